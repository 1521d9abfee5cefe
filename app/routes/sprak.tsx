import { type ActionFunctionArgs, redirect } from '@remix-run/node';
import { z } from 'zod';
import { safeRedirectPath } from '~/forms/login-form';
import { locales } from '~/i18n/catalogue';
import { localeCookie } from '~/i18n/locale.server';

const languageFormSchema = z.object({ locale: z.enum(locales), returnTo: safeRedirectPath });

export async function action({ request }: ActionFunctionArgs) {
  const parsed = languageFormSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) throw new Response('Okänt språk', { status: 400 });
  return redirect(parsed.data.returnTo, {
    headers: { 'Set-Cookie': await localeCookie.serialize(parsed.data.locale) },
  });
}

export const loader = () => redirect('/');
