import { type ActionFunctionArgs, json, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigate, useRevalidator, useSubmit } from '@remix-run/react';
import { useCallback } from 'react';
import { z } from 'zod';
import { useT } from '~/i18n/use-translation';
import { type ActivationView, activationView } from '~/mina-sidor/activation.server';
import { tooManyStartsResponse } from '~/mina-sidor/anonymous-starts.server';
import type { CardOrderStatus } from '~/mina-sidor/card-order.server';
import { startAnonymousCardOrder, startCardOrder } from '~/mina-sidor/card-order.server';
import { collectCardLogin } from '~/mina-sidor/card-order-actions.server';
import { CardOrderPanel } from '~/mina-sidor/card-order-panel';
import { getEndUser } from '~/mina-sidor/end-user.server';
import { errorPageFor } from '~/mina-sidor/error-pages';
import { withValue } from '~/mina-sidor/mobile-qr';
import { recordFoldedRefusal } from '../../db/audit';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await getEndUser(request, context);
  return {
    loggedIn: user !== null,
    view: user ? ((await activationView(context, user)) ?? null) : null,
    agentLocalUrl: context.agentLocalUrl,
  };
}

const actionSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('register') }),
  z.object({ intent: z.literal('collect'), orderId: z.uuid() }),
  z.object({ intent: z.literal('activate') }),
]);

/**
 * AKTIVERA DITT RESERVKORT: register the card and identify with its envelope code (a card order the
 * SITHS eID-app runs), then, logged in with the reserve card, AKTIVERA starts the activation job.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const input = actionSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!input.success) return json({ stage: 'refused' as const, reason: 'invalid_input' }, { status: 400 });
  if (input.data.intent === 'collect') {
    return collectCardLogin(request, context, input.data.orderId, { redirectTo: '/mina-sidor/aktivera' });
  }
  if (input.data.intent === 'register') {
    const started = await startAnonymousCardOrder(context, 'reserve_registration');
    if (!started.ok) return tooManyStartsResponse(started);
    return json(
      { stage: 'register' as const, orderId: started.orderId, autoStartToken: started.autoStartToken },
      { headers: { 'Set-Cookie': started.cookie } },
    );
  }
  const user = await getEndUser(request, context);
  const view = user ? await activationView(context, user) : undefined;
  if (!user || !view?.eid || view.card.state !== 'assigned') {
    await recordFoldedRefusal(context.db, {
      actorUserId: user?.userId ?? null,
      actorLabel: user?.displayName ?? 'anonym',
      action: 'reserve_card_activate_start',
      objectType: 'card',
      objectId: view?.card.id ?? null,
      detail: {
        reason: !user ? 'not_logged_in' : !view ? 'not_reserve_login' : 'not_activatable',
        clientAddress: context.clientAddress,
      },
    });
    return json({ stage: 'refused' as const, reason: 'not_activatable' }, { status: 409 });
  }
  const started = await startCardOrder(context, {
    purpose: 'activate',
    expectedPersonId: user.personId,
    cardId: view.card.id,
    sessionId: user.sessionId,
  });
  return json(
    { stage: 'activate' as const, orderId: started.orderId, autoStartToken: started.autoStartToken },
    { headers: { 'Set-Cookie': started.cookie } },
  );
}

export default function ActivateReserveCard() {
  const { loggedIn, view, agentLocalUrl } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const stage = answer && 'stage' in answer ? answer : undefined;
  const t = useT();
  const submit = useSubmit();
  const navigate = useNavigate();
  const revalidator = useRevalidator();
  const registerOrder = stage?.stage === 'register' ? stage : undefined;
  const activateOrder = stage?.stage === 'activate' ? stage : undefined;

  const registrationEnded = useCallback(
    (status: CardOrderStatus) => {
      const errorPage = errorPageFor(status.errorCode);
      if (errorPage) navigate(errorPage);
      else if (status.phase === 'completed' && registerOrder) {
        submit({ intent: 'collect', orderId: registerOrder.orderId }, { method: 'post' });
      }
    },
    [navigate, submit, registerOrder],
  );
  const activationEnded = useCallback(
    (status: CardOrderStatus) => {
      if (status.phase === 'completed') revalidator.revalidate();
    },
    [revalidator],
  );

  if (view?.card.state === 'active') {
    return (
      <section>
        <h1>{t('mina.activate.heading')}</h1>
        <LoggedInWithReserveCard view={view} />
        {view.issued ? <IssuedEid eid={view.issued} /> : null}
        <h2>{t('mina.activate.done')}</h2>
        <Form method="post" action="/mina-sidor/logga-ut">
          <button type="submit" className="mina-button primary">
            {t('mina.activate.logout')}
          </button>
        </Form>
      </section>
    );
  }

  if (view && activateOrder) {
    return (
      <section>
        <h1>{t('mina.activate.heading')}</h1>
        <h2>{t('mina.activate.started')}</h2>
        <p>{t('mina.activate.inProgress')}</p>
        <CardOrderPanel
          key={activateOrder.orderId}
          handle={{ ...activateOrder, agentLocalUrl }}
          showProgress
          onEnded={activationEnded}
          retryFields={{ intent: 'activate' }}
        />
      </section>
    );
  }

  if (view) {
    return (
      <section>
        <h1>{t('mina.activate.heading')}</h1>
        <LoggedInWithReserveCard view={view} />
        {view.eid ? (
          <>
            <h2>{t('mina.activate.toFetch')}</h2>
            <p>
              {t('mina.eids.organisation')} {view.eid.organisation} {t('mina.eids.validTo')}{' '}
              {view.eid.validTo} {t('mina.eids.trustLevel')} {view.eid.trustLevel}
            </p>
            <table className="table">
              <thead>
                <tr>
                  <th>{t('mina.activate.serviceId')}</th>
                  <th>{t('mina.activate.upn')}</th>
                  <th>{t('mina.activate.email')}</th>
                </tr>
              </thead>
              <tbody>
                <tr>
                  <td>
                    {view.eid.serviceId.kind === 'pnr' ? t('mina.activate.pnr') : t('mina.activate.hsaId')}:{' '}
                    {view.eid.serviceId.value}
                  </td>
                  <td data-label={t('mina.activate.upn')}>{view.eid.upn}</td>
                  <td data-label={t('mina.activate.email')}>{view.eid.email ?? ''}</td>
                </tr>
              </tbody>
            </table>
            <div className="mina-panel">
              <h2>{t('mina.activate.termsHeading')}</h2>
              <p>{t('mina.activate.terms1')}</p>
              <p>{t('mina.activate.terms2')}</p>
              <p>{t('mina.activate.terms3')}</p>
              <p>
                {t('mina.activate.fullTerms')} <a href="https://www.inera.se/siths">inera.se/siths</a>
              </p>
              <p>{t('mina.activate.accept')}</p>
              <p>{t('mina.activate.codeNeeded')}</p>
              {stage?.stage === 'refused' ? (
                <p role="alert" className="form-error">
                  {t('mina.order.failed')}
                </p>
              ) : null}
              <Form method="post">
                <button type="submit" name="intent" value="activate" className="mina-button primary">
                  {t('mina.activate.button')}
                </button>
              </Form>
              <p>
                <strong>{t('mina.activate.keepCard')}</strong>
              </p>
            </div>
          </>
        ) : (
          <p role="alert" className="form-error">
            {t('mina.error2006.text')} {t('mina.error2006.contact')}
          </p>
        )}
      </section>
    );
  }

  return (
    <section>
      <h1>{t('mina.activate.heading')}</h1>
      {loggedIn ? <p role="alert">{t('mina.activate.notReserve')}</p> : null}
      <p>{t('mina.activate.register')}</p>
      {registerOrder ? (
        <CardOrderPanel
          key={registerOrder.orderId}
          handle={{ ...registerOrder, agentLocalUrl }}
          onEnded={registrationEnded}
          retryFields={{ intent: 'register' }}
        />
      ) : (
        <Form method="post">
          {answer && 'tooManyStarts' in answer ? (
            <p role="alert" className="form-error">
              {withValue(t('mina.tooManyStarts'), 'seconds', answer.retryAfterSeconds)}
            </p>
          ) : null}
          <button type="submit" name="intent" value="register" className="mina-button primary">
            {t('mina.activate.start')}
          </button>
        </Form>
      )}
    </section>
  );
}

/** The done page's "SITHS eID": what the activation wrote to the card, in the guide's order. */
function IssuedEid({ eid }: { eid: NonNullable<ActivationView['issued']> }) {
  const t = useT();
  return (
    <section className="mina-panel issued-eid" aria-labelledby="issued-eid-heading">
      <h2 id="issued-eid-heading">{t('mina.eids.eidHeading')}</h2>
      <dl>
        <dt>{t('mina.eids.organisation')}</dt>
        <dd>{eid.organisation}</dd>
        <dt>{t('mina.eids.validFrom')}</dt>
        <dd className="date">{eid.validFrom}</dd>
        <dt>{t('mina.eids.validTo')}</dt>
        <dd className="date">{eid.validTo}</dd>
        <dt>{t('mina.eids.trustLevel')}</dt>
        <dd>{eid.trustLevel}</dd>
        <dt>{t('mina.activate.hsaId')}</dt>
        <dd>{eid.hsaId}</dd>
        <dt>{t('mina.activate.upn')}</dt>
        <dd>{eid.upn}</dd>
        <dt>{t('mina.activate.email')}</dt>
        <dd>{eid.email ?? ''}</dd>
      </dl>
    </section>
  );
}

function LoggedInWithReserveCard({ view }: { view: ActivationView }) {
  const t = useT();
  return (
    <div className="mina-panel">
      <h2>{t('mina.eids.loggedInWith')}</h2>
      <p>
        {t('mina.eids.card')} {t('mina.eids.reserveCard')} {t('mina.eids.organisation')}{' '}
        {view.card.organisation} {t('mina.eids.validTo')} {view.card.validTo}
      </p>
      <p>
        {t('mina.eids.serial')} {view.card.serial}
      </p>
    </div>
  );
}
