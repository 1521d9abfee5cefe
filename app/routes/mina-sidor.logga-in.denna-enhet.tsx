import { type ActionFunctionArgs, json, type LoaderFunctionArgs, redirect } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigate, useSubmit } from '@remix-run/react';
import { useCallback } from 'react';
import { useT } from '~/i18n/use-translation';
import { tooManyStartsResponse } from '~/mina-sidor/anonymous-starts.server';
import type { CardOrderStatus } from '~/mina-sidor/card-order.server';
import { startAnonymousCardOrder } from '~/mina-sidor/card-order.server';
import { collectCardLogin, collectSchema } from '~/mina-sidor/card-order-actions.server';
import { CardOrderPanel, useJobErrorText } from '~/mina-sidor/card-order-panel';
import { getEndUser } from '~/mina-sidor/end-user.server';
import { errorPageFor } from '~/mina-sidor/error-pages';
import { withValue } from '~/mina-sidor/mobile-qr';

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (await getEndUser(request, context)) throw redirect('/mina-sidor/eid');
  return { agentLocalUrl: context.agentLocalUrl };
}

/** "SITHS eID på denna enhet": the SITHS eID-app on this computer signs with the card in its reader. */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = Object.fromEntries(await request.formData());
  const collect = collectSchema.safeParse(form);
  if (collect.success) return collectCardLogin(request, context, collect.data.orderId, '/mina-sidor/eid');
  const started = await startAnonymousCardOrder(context, 'login');
  if (!started.ok) return tooManyStartsResponse(started);
  return json(
    { orderId: started.orderId, autoStartToken: started.autoStartToken },
    { headers: { 'Set-Cookie': started.cookie } },
  );
}

export default function CardLogin() {
  const { agentLocalUrl } = useLoaderData<typeof loader>();
  const started = useActionData<typeof action>();
  const t = useT();
  const errorText = useJobErrorText();
  const submit = useSubmit();
  const navigate = useNavigate();
  const order = started && 'orderId' in started ? started : undefined;
  const failedCode = started && 'errorCode' in started ? started.errorCode : null;

  const onEnded = useCallback(
    (status: CardOrderStatus) => {
      if (!order) return;
      const errorPage = errorPageFor(status.errorCode);
      if (errorPage) navigate(errorPage);
      else if (status.phase === 'completed')
        submit({ intent: 'collect', orderId: order.orderId }, { method: 'post' });
    },
    [order, navigate, submit],
  );

  return (
    <section className="mina-login">
      <h1>{t('mina.cardLogin.heading')}</h1>
      <p>{t('mina.cardLogin.instructions')}</p>
      {order ? (
        <CardOrderPanel key={order.orderId} handle={{ ...order, agentLocalUrl }} onEnded={onEnded} />
      ) : (
        <Form method="post">
          {started && 'tooManyStarts' in started ? (
            <p role="alert" className="form-error">
              {withValue(t('mina.tooManyStarts'), 'seconds', started.retryAfterSeconds)}
            </p>
          ) : null}
          {failedCode ? (
            <p role="alert" className="form-error">
              {errorText(failedCode)}
            </p>
          ) : null}
          <button type="submit" className="mina-button primary">
            {failedCode ? t('mina.tryAgain') : t('mina.agent.retry')}
          </button>
        </Form>
      )}
      <Link to="/mina-sidor">{t('mina.agent.cancel')}</Link>
    </section>
  );
}
