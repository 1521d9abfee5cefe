import type { AppLoadContext } from '@remix-run/node';
import { type ActionFunctionArgs, json, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useSubmit } from '@remix-run/react';
import { useCallback, useState } from 'react';
import { z } from 'zod';
import { useT } from '~/i18n/use-translation';
import type { CardOrderStatus } from '~/mina-sidor/card-order.server';
import { startCardOrder } from '~/mina-sidor/card-order.server';
import { CardOrderPanel } from '~/mina-sidor/card-order-panel';
import { eidOverview } from '~/mina-sidor/eid-overview.server';
import { CardRow, EidTableHead } from '~/mina-sidor/eid-parts';
import { type EndUser, requireEndUser } from '~/mina-sidor/end-user.server';
import { type MobileOrderView, MobileSithsQr } from '~/mina-sidor/mobile-qr';
import { consumeMobileReauth, startMobileReauth } from '~/mina-sidor/mobile-siths.server';
import { recordAudit } from '../../db/audit';

async function ownCard(context: AppLoadContext, user: EndUser, cardId: string | undefined) {
  return (await eidOverview(context, user)).cards.find((card) => card.id === cardId);
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireEndUser(request, context);
  const card = await ownCard(context, user, params.cardId);
  if (!card) throw json({ message: 'Kortet finns inte bland dina SITHS eID.' }, { status: 404 });
  return {
    card: { ...card, eids: card.eids.filter((eid) => eid.state === 'active') },
    agentLocalUrl: context.agentLocalUrl,
  };
}

const actionSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('reauth') }),
  z.object({ intent: z.literal('unlock'), reauthOrderId: z.uuid() }),
]);

/**
 * LÅS UPP: first a fresh Mobile SITHS re-authentication of the logged-in person, then, once, an unlock
 * order for the SITHS eID-app on this computer, which must see the chosen card.
 */
export async function action({ request, context, params }: ActionFunctionArgs) {
  const user = await requireEndUser(request, context);
  const card = await ownCard(context, user, params.cardId);
  const input = actionSchema.safeParse(Object.fromEntries(await request.formData()));
  const refuse = async (reason: string, status: number) => {
    await recordAudit(context.db, {
      actorUserId: user.userId,
      actorLabel: user.displayName,
      action: 'card_unlock_start',
      objectType: 'card',
      objectId: params.cardId ?? null,
      outcome: 'refused',
      detail: { reason },
    });
    return json({ stage: 'refused' as const, reason }, { status });
  };
  if (!card) return await refuse('not_own_card', 404);
  if (!input.success) return await refuse('invalid_input', 400);
  if (card.state !== 'locked') return await refuse('not_locked', 409);
  if (input.data.intent === 'reauth') {
    const reauth = await startMobileReauth(context, user);
    return json({ stage: 'reauth' as const, reauthOrderId: reauth.orderId, statusUrl: reauth.statusUrl });
  }
  const consumed = await consumeMobileReauth(context, user, input.data.reauthOrderId);
  if (!consumed.ok) return await refuse(`reauth_${consumed.reason}`, 409);
  const started = await startCardOrder(context, {
    purpose: 'unlock',
    expectedPersonId: user.personId,
    cardId: card.id,
    sessionId: user.sessionId,
  });
  return json(
    { stage: 'unlock' as const, orderId: started.orderId, autoStartToken: started.autoStartToken },
    { headers: { 'Set-Cookie': started.cookie } },
  );
}

export default function UnlockCard() {
  const { card, agentLocalUrl } = useLoaderData<typeof loader>();
  const stage = useActionData<typeof action>();
  const t = useT();
  const submit = useSubmit();
  const [ended, setEnded] = useState(false);
  const reauthFinished = useCallback(
    (view: MobileOrderView) => {
      if (stage?.stage === 'reauth' && view.state === 'completed') {
        submit({ intent: 'unlock', reauthOrderId: stage.reauthOrderId }, { method: 'post' });
      }
    },
    [stage, submit],
  );
  const noteEnded = useCallback((_status: CardOrderStatus) => setEnded(true), []);

  return (
    <section>
      <h1>{t('mina.unlock.heading')}</h1>
      <h2>{t('mina.unlock.want')}</h2>
      <table className="table">
        <EidTableHead first={t('mina.eids.card')} />
        <tbody>
          <CardRow card={card} />
        </tbody>
      </table>
      <div className="mina-panel">
        <h2>{t('mina.unlock.heading')}</h2>
        {stage?.stage === 'unlock' ? (
          <>
            <p>
              <strong>{t('mina.unlock.keepCard')}</strong>
            </p>
            <p>{t('mina.unlock.follow')}</p>
            <p>{t('mina.unlock.whenDone')}</p>
            <CardOrderPanel
              key={stage.orderId}
              handle={{ orderId: stage.orderId, autoStartToken: stage.autoStartToken, agentLocalUrl }}
              onEnded={noteEnded}
              retryFields={{ intent: 'reauth' }}
              doneText={t('mina.unlock.done')}
            />
            <div className="mina-buttons">
              {/* AVSLUTA once the job has ended: mid-job, AVBRYT ends it first. */}
              {ended ? (
                <Link to="/mina-sidor/eid" className="mina-button primary">
                  {t('mina.unlock.finish')}
                </Link>
              ) : (
                <button type="button" className="mina-button primary" disabled>
                  {t('mina.unlock.finish')}
                </button>
              )}
            </div>
          </>
        ) : stage?.stage === 'reauth' ? (
          <>
            <p>{t('mina.unlock.scan')}</p>
            <MobileSithsQr
              key={stage.reauthOrderId}
              statusUrl={stage.statusUrl}
              onFinished={reauthFinished}
              retry={
                <Form method="post">
                  <input type="hidden" name="intent" value="reauth" />
                  <button type="submit" className="mina-button primary">
                    {t('mina.tryAgain')}
                  </button>
                </Form>
              }
            />
          </>
        ) : card.state !== 'locked' ? (
          <p role="status">{t('mina.unlock.notLocked')}</p>
        ) : (
          <>
            {stage?.stage === 'refused' ? (
              <p role="alert" className="form-error">
                {t('mina.order.failed')}
              </p>
            ) : null}
            <p>{t('mina.unlock.reauth')}</p>
            <p>{t('mina.unlock.app')}</p>
            <p>
              <strong>{t('mina.unlock.keepCard')}</strong>
            </p>
            <Form method="post" className="button-row">
              <Link to="/mina-sidor/eid" className="mina-button">
                {t('mina.unlock.cancel')}
              </Link>
              <button type="submit" name="intent" value="reauth" className="mina-button primary">
                {t('mina.unlock.start')}
              </button>
            </Form>
          </>
        )}
      </div>
    </section>
  );
}
