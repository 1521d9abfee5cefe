import {
  type ActionFunctionArgs,
  json,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from '@remix-run/node';
import { Form, Link, useSearchParams } from '@remix-run/react';
import { loginWithPassword } from '~/auth/login.server';
import { getPrincipal } from '~/auth/staff.server';
import { PublicHeader } from '~/components/public-header';
import { loginFormSchema } from '~/forms/login-form';
import { Field, SubmitButton, ValidatedForm } from '~/forms/validated-form';
import { type FieldErrors, validateForm } from '~/forms/validation';
import { useT } from '~/i18n/use-translation';

export const meta: MetaFunction = () => [{ title: 'Logga in – SITHS eID-portalen' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await getPrincipal(request, context);
  if (principal && principal.roles.size > 0) throw redirect('/admin');
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = validateForm(loginFormSchema, await request.formData());
  if (!form.ok) return json({ errors: form.errors }, { status: 400 });
  const result = await loginWithPassword(context, form.data);
  if (!result.ok)
    return json({ errors: { form: result.error } satisfies FieldErrors }, { status: result.status });
  return redirect(form.data.redirectTo, { headers: { 'Set-Cookie': result.cookie } });
}

/**
 * Staff log in with their SITHS eID (the card on this computer, or Mobile SITHS); the password form is the
 * break-glass way in, for the accounts that have one.
 */
export default function LoginPage() {
  const t = useT();
  const [searchParams] = useSearchParams();
  const redirectTo = searchParams.get('redirectTo') ?? '/admin';
  const query = `?${new URLSearchParams({ redirectTo })}`;
  return (
    <>
      <PublicHeader />
      <main className="login">
        <h1>{t('login.heading')}</h1>
        <p className="muted">{t('login.intro')}</p>
        <ul className="mina-choice-list">
          <li>
            <Link to={`/logga-in/annan-enhet${query}`} className="mina-button primary">
              {t('login.eid.otherDevice')}
            </Link>
            <p className="hint">{t('login.eid.otherDeviceHint')}</p>
          </li>
          <li>
            <Form method="post" action={`/logga-in/denna-enhet${query}`}>
              <button type="submit" className="mina-button primary">
                {t('login.eid.thisDevice')}
              </button>
            </Form>
            <p className="hint">{t('login.eid.thisDeviceHint')}</p>
          </li>
        </ul>
        <h2>{t('login.breakGlass.heading')}</h2>
        <p className="muted">{t('login.breakGlass.intro')}</p>
        <ValidatedForm schema={loginFormSchema} method="post" className="card form">
          <input type="hidden" name="redirectTo" value={redirectTo} />
          <Field name="username" label={t('login.username')} autoComplete="username" required />
          <Field
            name="password"
            label={t('login.password')}
            type="password"
            autoComplete="current-password"
            required
          />
          <SubmitButton>{t('login.submit')}</SubmitButton>
        </ValidatedForm>
      </main>
    </>
  );
}
