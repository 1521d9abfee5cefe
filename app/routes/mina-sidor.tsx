import type { LoaderFunctionArgs } from '@remix-run/node';
import {
  Form,
  isRouteErrorResponse,
  Link,
  NavLink,
  Outlet,
  useLoaderData,
  useRouteError,
} from '@remix-run/react';
import { useT } from '~/i18n/use-translation';
import { getEndUser } from '~/mina-sidor/end-user.server';
import { JobInProgressProvider, useJobInProgress } from '~/mina-sidor/job-in-progress';
import { listRoleAssignments } from '../../db/users';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await getEndUser(request, context);
  return {
    user: user ? { displayName: user.displayName } : null,
    isStaff: user ? (await listRoleAssignments(context.db, user.userId)).length > 0 : false,
  };
}

/** The frame of every Mina sidor page: "SITHS Mina sidor, EN TJÄNST FRÅN INERA", help and the user's name. */
export default function MinaSidorLayout() {
  return (
    <JobInProgressProvider>
      <MinaSidorFrame />
    </JobInProgressProvider>
  );
}

/** While a card job waits or runs, the menu and Logga ut wait: the page's AVBRYT ends the job first. */
function MinaSidorFrame() {
  const { user, isStaff } = useLoaderData<typeof loader>();
  const t = useT();
  const busy = useJobInProgress();
  const navLink = (to: string, label: string) =>
    busy ? (
      <span className="mina-nav-item" aria-disabled="true">
        {label}
      </span>
    ) : (
      <NavLink to={to}>{label}</NavLink>
    );
  return (
    <div className="mina">
      <header className="mina-top">
        <Link to="/mina-sidor" className="mina-brand">
          <strong>{t('mina.brand')}</strong>
          <span>{t('mina.brandTagline')}</span>
        </Link>
        <div className="mina-top-actions">
          <a href="https://www.inera.se/kundservice/" rel="noreferrer" target="_blank">
            {t('mina.help')}
          </a>
          {user ? (
            <>
              <span className="user-name">{user.displayName}</span>
              {isStaff && !busy ? <Link to="/admin">{t('mina.toDashboard')}</Link> : null}
              <Form method="post" action="/mina-sidor/logga-ut" className="inline">
                <button type="submit" className="link-button" disabled={busy}>
                  {t('mina.logout')}
                </button>
              </Form>
            </>
          ) : null}
        </div>
      </header>
      {user ? (
        <nav className="mina-nav" aria-label={t('mina.nav')}>
          {navLink('/mina-sidor/eid', t('mina.nav.eids'))}
          {navLink('/mina-sidor/hamta-mobilt-siths', t('mina.nav.getMobile'))}
          {navLink('/mina-sidor/ogiltiga', t('mina.nav.invalid'))}
          {busy ? <span className="mina-nav-note">{t('mina.order.busy')}</span> : null}
        </nav>
      ) : null}
      <main className="mina-content">
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
    <main className="mina-content error-page">
      <h1>{t('error.heading')}</h1>
      <p role="alert">{message}</p>
      <Link to="/mina-sidor">{t('error.backToStart')}</Link>
    </main>
  );
}
