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
  const { user, isStaff } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <div className="mina">
      <header className="mina-top">
        <Link to="/mina-sidor" className="mina-brand">
          <strong>{t('mina.brand')}</strong>
          <span>{t('mina.brandTagline')}</span>
        </Link>
        <div className="mina-top-actions">
          <a href="https://www.inera.se/kundservice/" rel="noreferrer">
            {t('mina.help')}
          </a>
          {user ? (
            <>
              <span className="user-name">{user.displayName}</span>
              {isStaff ? <Link to="/admin">{t('mina.toDashboard')}</Link> : null}
              <Form method="post" action="/mina-sidor/logga-ut" className="inline">
                <button type="submit" className="link-button">
                  {t('mina.logout')}
                </button>
              </Form>
            </>
          ) : null}
        </div>
      </header>
      {user ? (
        <nav className="mina-nav" aria-label={t('mina.nav')}>
          <NavLink to="/mina-sidor/eid">{t('mina.nav.eids')}</NavLink>
          <NavLink to="/mina-sidor/hamta-mobilt-siths">{t('mina.nav.getMobile')}</NavLink>
          <NavLink to="/mina-sidor/ogiltiga">{t('mina.nav.invalid')}</NavLink>
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
