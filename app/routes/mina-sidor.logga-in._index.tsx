import { type LoaderFunctionArgs, redirect } from '@remix-run/node';
import { Form, Link } from '@remix-run/react';
import { useT } from '~/i18n/use-translation';
import { getEndUser } from '~/mina-sidor/end-user.server';

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (await getEndUser(request, context)) throw redirect('/mina-sidor/eid');
  return null;
}

/** "Välj SITHS eID på annan enhet" (Mobile SITHS) or "på denna enhet" (the card in this computer's reader). */
export default function LoginChoice() {
  const t = useT();
  return (
    <section className="mina-login">
      <h1>{t('mina.login.heading')}</h1>
      <ul className="mina-choice-list">
        <li>
          <Link to="/mina-sidor/logga-in/annan-enhet" className="mina-button primary">
            {t('mina.login.otherDevice')}
          </Link>
          <p className="hint">{t('mina.login.otherDeviceHint')}</p>
        </li>
        <li>
          <Form method="post" action="/mina-sidor/logga-in/denna-enhet">
            <button type="submit" className="mina-button primary">
              {t('mina.login.thisDevice')}
            </button>
          </Form>
          <p className="hint">{t('mina.login.thisDeviceHint')}</p>
        </li>
      </ul>
      <Link to="/mina-sidor">{t('mina.back')}</Link>
    </section>
  );
}
