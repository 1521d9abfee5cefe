import { Form, Link, useNavigate, useSubmit } from '@remix-run/react';
import { type ReactNode, useCallback } from 'react';
import { useT } from '~/i18n/use-translation';
import type { CardOrderStatus } from './card-order.server';
import { CardOrderPanel, useJobErrorText } from './card-order-panel';
import { errorPageFor } from './error-pages';
import { withValue } from './mobile-qr';

/** What a card login action answers: a started order, a refusal code, or too many starts. */
export type CardLoginAnswer =
  | { orderId: string; autoStartToken: string }
  | { errorCode: string }
  | { tooManyStarts: true; retryAfterSeconds: number }
  | undefined;

/**
 * "SITHS eID på denna enhet" for Mina sidor and for the dashboard: starts the SITHS eID-app on this computer,
 * follows the order and, once the card has signed, posts `collect` to the page's own action.
 */
export function CardLoginPanel({
  agentLocalUrl,
  answer,
  heading,
  cancelTo,
  refusal,
}: {
  agentLocalUrl: string;
  answer: CardLoginAnswer;
  heading: string;
  cancelTo: string;
  /** The page's own text for a refusal code it knows better (a staff login without a role). */
  refusal?: (errorCode: string) => ReactNode | null;
}) {
  const t = useT();
  const errorText = useJobErrorText();
  const submit = useSubmit();
  const navigate = useNavigate();
  const order = answer && 'orderId' in answer ? answer : undefined;
  const failedCode = answer && 'errorCode' in answer ? answer.errorCode : null;

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
      <h1>{heading}</h1>
      <p>{t('mina.cardLogin.instructions')}</p>
      {order ? (
        <CardOrderPanel key={order.orderId} handle={{ ...order, agentLocalUrl }} onEnded={onEnded} />
      ) : (
        <Form method="post">
          {answer && 'tooManyStarts' in answer ? (
            <p role="alert" className="form-error">
              {withValue(t('mina.tooManyStarts'), 'seconds', answer.retryAfterSeconds)}
            </p>
          ) : null}
          {failedCode ? (
            <div role="alert" className="form-error">
              {refusal?.(failedCode) ?? errorText(failedCode)}
            </div>
          ) : null}
          <button type="submit" className="mina-button primary">
            {failedCode ? t('mina.tryAgain') : t('mina.agent.retry')}
          </button>
        </Form>
      )}
      <Link to={cancelTo}>{t('mina.agent.cancel')}</Link>
    </section>
  );
}
