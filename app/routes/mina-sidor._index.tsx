import { type LoaderFunctionArgs, redirect } from '@remix-run/node';
import { Form, Link } from '@remix-run/react';
import { useT } from '~/i18n/use-translation';
import { getEndUser } from '~/mina-sidor/end-user.server';

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (await getEndUser(request, context)) throw redirect('/mina-sidor/eid');
  return null;
}

/** The start page: the guide's two ways in, LOGGA IN and AKTIVERA DITT RESERVKORT. */
export default function MinaSidorStart() {
  const t = useT();
  return (
    <section className="mina-start">
      <h1>{t('mina.start.heading')}</h1>
      <p>{t('mina.start.intro')}</p>
      <div className="mina-choices">
        <Link to="/mina-sidor/logga-in" className="mina-button primary">
          {t('mina.start.login')}
        </Link>
        <Form method="post" action="/mina-sidor/aktivera">
          <button type="submit" name="intent" value="register" className="mina-button">
            {t('mina.start.activate')}
          </button>
        </Form>
      </div>
      <p className="hint">{t('mina.start.activateHint')}</p>
    </section>
  );
}
