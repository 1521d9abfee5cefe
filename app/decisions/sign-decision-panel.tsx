import { Form, useSubmit } from '@remix-run/react';
import { useCallback } from 'react';
import { useT } from '~/i18n/use-translation';
import type { CardOrderStatus } from '~/mina-sidor/card-order.server';
import { CardOrderPanel } from '~/mina-sidor/card-order-panel';
import { type MobileOrderView, MobileSithsQr } from '~/mina-sidor/mobile-qr';
import type { SigningHandle } from './decision-signing.server';

/**
 * "Underteckna": the decider chooses the card on this computer or Mobile SITHS; the page's action starts a
 * signing order (intent `sign`) and answers with it. `fields` are the decision's own form fields, posted
 * again with every step so the decision signed is the decision made.
 */
export function SignDecisionChoice({ fields }: { fields: Record<string, string> }) {
  const t = useT();
  return (
    <div className="sign-decision">
      <p>{t('decision.sign.intro')}</p>
      <div className="button-row">
        {(['card', 'mobile_siths'] as const).map((method) => (
          <Form method="post" key={method}>
            {Object.entries(fields).map(([name, value]) => (
              <input key={name} type="hidden" name={name} value={value} />
            ))}
            <input type="hidden" name="intent" value="sign" />
            <input type="hidden" name="method" value={method} />
            <button type="submit" className="button primary">
              {t(method === 'card' ? 'decision.sign.withCard' : 'decision.sign.withMobile')}
            </button>
          </Form>
        ))}
      </div>
    </div>
  );
}

/**
 * Follows a signing order: shows the statement being signed, the SITHS eID-app or the QR code, and once the
 * signature is there posts `confirm` with the order id and the decision's fields.
 */
export function SignDecisionProgress({
  signing,
  agentLocalUrl,
  fields,
}: {
  signing: SigningHandle;
  agentLocalUrl: string;
  fields: Record<string, string>;
}) {
  const t = useT();
  const submit = useSubmit();
  const confirm = useCallback(
    () => submit({ ...fields, intent: 'confirm', orderId: signing.orderId }, { method: 'post' }),
    [fields, signing.orderId, submit],
  );
  const onCardEnded = useCallback(
    (status: CardOrderStatus) => {
      if (status.phase === 'completed') confirm();
    },
    [confirm],
  );
  const onMobileFinished = useCallback(
    (view: MobileOrderView) => {
      if (view.state === 'completed') confirm();
    },
    [confirm],
  );
  return (
    <div className="sign-decision">
      <h2>{t('decision.sign.statementHeading')}</h2>
      <pre className="signed-statement" data-testid="statement-to-sign">
        {signing.statement}
      </pre>
      {signing.method === 'card' ? (
        <CardOrderPanel
          key={signing.orderId}
          handle={{ orderId: signing.orderId, autoStartToken: signing.autoStartToken, agentLocalUrl }}
          onEnded={onCardEnded}
        />
      ) : (
        <MobileSithsQr key={signing.orderId} statusUrl={signing.statusUrl} onFinished={onMobileFinished} />
      )}
    </div>
  );
}
