import type { LoaderFunctionArgs } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { useT } from '~/i18n/use-translation';

const errorCodes = ['2004', '2006'] as const;

export async function loader({ params }: LoaderFunctionArgs) {
  const code = errorCodes.find((candidate) => candidate === params.code);
  if (!code) throw new Response('Okänd felkod', { status: 404 });
  return { code };
}

/** The guide's error pages: 2004 "Ej aktiverat reservkort" and 2006, no SITHS eID order for the card. */
export default function ErrorCodePage() {
  const { code } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <section className="mina-error" aria-labelledby="error-title">
      <p className="mina-error-code">{code}</p>
      {code === '2004' ? (
        <>
          <h1 id="error-title">{t('mina.error2004.title')}</h1>
          <p>{t('mina.error2004.text')}</p>
          <p className="hint">{t('mina.error2004.hint')}</p>
        </>
      ) : (
        <>
          <h1 id="error-title">{t('mina.error2006.title')}</h1>
          <p>{t('mina.error2006.text')}</p>
          <p>
            <strong>{t('mina.error2006.contact')}</strong>
          </p>
        </>
      )}
      <Link to="/mina-sidor" className="mina-button primary">
        {t('mina.error.backToStart')}
      </Link>
    </section>
  );
}
