import type { LoaderFunctionArgs } from '@remix-run/node';
import { Form, isRouteErrorResponse, NavLink, Outlet, useLoaderData, useRouteError } from '@remix-run/react';
import { hasAnyRole } from '~/auth/permissions';
import { dashboardSections } from '~/auth/sections';
import { requireStaff } from '~/auth/staff.server';
import { LanguageSwitch } from '~/components/language-switch';
import { useT } from '~/i18n/use-translation';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await requireStaff(request, context);
  const sections = Object.values(dashboardSections)
    .filter((section) => hasAnyRole(principal, section.roles))
    .map(({ path, label }) => ({ path, label }));
  return { displayName: principal.displayName, sections };
}

export default function AdminLayout() {
  const { displayName, sections } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <div className="shell">
      <header className="topbar">
        <div className="brand">
          <strong>{t('app.title')}</strong>
          <span>{t('app.tagline')}</span>
        </div>
        <div className="topbar-actions">
          <span className="user-name">{displayName}</span>
          <LanguageSwitch />
          <Form method="post" action="/logga-ut" className="inline">
            <button type="submit" className="link-button">
              {t('nav.logout')}
            </button>
          </Form>
        </div>
      </header>
      <nav className="sidenav" aria-label={t('nav.mainMenu')}>
        <ul>
          {sections.map((section) => (
            <li key={section.path}>
              <NavLink to={section.path} end={section.path === '/admin'}>
                {t(section.label)}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const t = useT();
  const message =
    isRouteErrorResponse(error) && typeof (error.data as { message?: unknown })?.message === 'string'
      ? (error.data as { message: string }).message
      : t('error.unexpected');
  return (
    <main className="error-page">
      <h1>{t('error.heading')}</h1>
      <p role="alert">{message}</p>
      <a href="/admin">{t('error.backToStart')}</a>
    </main>
  );
}
