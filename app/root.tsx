import type { LinksFunction, LoaderFunctionArgs } from '@remix-run/node';
import {
  isRouteErrorResponse,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useLoaderData,
  useRouteError,
} from '@remix-run/react';
import { useNonce } from './components/nonce';
import { translator } from './i18n/catalogue';
import { localeOf } from './i18n/locale.server';
import { useT } from './i18n/use-translation';
import styles from './styles/app.css';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: styles }];

export async function loader({ request }: LoaderFunctionArgs) {
  return { locale: await localeOf(request) };
}

function Document({ children, lang }: { children: React.ReactNode; lang: string }) {
  const nonce = useNonce();
  return (
    <html lang={lang}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  const { locale } = useLoaderData<typeof loader>();
  return (
    <Document lang={locale}>
      <Outlet />
    </Document>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const t = useT();
  const fallback = translator('sv');
  const message = isRouteErrorResponse(error)
    ? ((error.data as { message?: string } | undefined)?.message ??
      (error.status === 404 ? t('error.notFound') : t('error.unexpected')))
    : fallback('error.unexpected');
  return (
    <Document lang="sv">
      <main className="error-page">
        <h1>{t('error.heading')}</h1>
        <p role="alert">{message}</p>
        <a href="/">{t('error.backToStart')}</a>
      </main>
    </Document>
  );
}
