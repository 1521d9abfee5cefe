import {
  type ActionFunctionArgs,
  json,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from '@remix-run/node';
import { Form, useActionData, useNavigation, useSearchParams } from '@remix-run/react';
import { loginWithPassword } from '~/auth/login.server';
import { getPrincipal } from '~/auth/staff.server';
import { FieldError } from '~/components/field-error';
import { PublicHeader } from '~/components/public-header';
import { loginFormSchema } from '~/forms/login-form';
import type { MessageKey } from '~/i18n/catalogue';
import { useT } from '~/i18n/use-translation';

export const meta: MetaFunction = () => [{ title: 'Logga in – SITHS eID-portalen' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await getPrincipal(request, context);
  if (principal && principal.roles.size > 0) throw redirect('/admin');
  return null;
}

type FieldErrors = Partial<Record<'username' | 'password' | 'form', MessageKey>>;

export async function action({ request, context }: ActionFunctionArgs) {
  const parsed = loginFormSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) {
    const errors: FieldErrors = {};
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] === 'username' || issue.path[0] === 'password' ? issue.path[0] : 'form';
      errors[field] ??= issue.message as MessageKey;
    }
    return json({ errors }, { status: 400 });
  }
  const result = await loginWithPassword(context, parsed.data);
  if (!result.ok)
    return json({ errors: { form: result.error } satisfies FieldErrors }, { status: result.status });
  return redirect(parsed.data.redirectTo, { headers: { 'Set-Cookie': result.cookie } });
}

export default function LoginPage() {
  const t = useT();
  const actionData = useActionData<typeof action>();
  const errors: FieldErrors = actionData?.errors ?? {};
  const [searchParams] = useSearchParams();
  const submitting = useNavigation().state === 'submitting';
  return (
    <>
      <PublicHeader />
      <main className="login">
        <h1>{t('login.heading')}</h1>
        <p className="muted">{t('login.intro')}</p>
        <Form method="post" noValidate className="card form">
          <input type="hidden" name="redirectTo" value={searchParams.get('redirectTo') ?? '/admin'} />
          {errors.form && (
            <p className="form-error" role="alert">
              {t(errors.form)}
            </p>
          )}
          <label htmlFor="username">{t('login.username')}</label>
          <input
            id="username"
            name="username"
            autoComplete="username"
            required
            aria-invalid={Boolean(errors.username)}
            aria-describedby="username-error"
          />
          <FieldError id="username-error" message={errors.username && t(errors.username)} />
          <label htmlFor="password">{t('login.password')}</label>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            aria-invalid={Boolean(errors.password)}
            aria-describedby="password-error"
          />
          <FieldError id="password-error" message={errors.password && t(errors.password)} />
          <button type="submit" className="primary" disabled={submitting}>
            {t('login.submit')}
          </button>
        </Form>
      </main>
    </>
  );
}
