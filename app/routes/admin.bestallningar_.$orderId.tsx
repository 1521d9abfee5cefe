import {
  type ActionFunctionArgs,
  type AppLoadContext,
  json,
  type LinksFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from '@remix-run/node';
import { Link, useActionData, useLoaderData, useSearchParams } from '@remix-run/react';
import type { Principal } from '~/auth/permissions';
import { requireRole } from '~/auth/staff.server';
import {
  type DecisionToSign,
  type SigningHandle,
  type SigningRefusal,
  signerOf,
  startDecisionSigning,
  takeDecisionSignature,
} from '~/decisions/decision-signing.server';
import { SignDecisionChoice, SignDecisionProgress } from '~/decisions/sign-decision-panel';
import { SignedDecisionList } from '~/decisions/signed-decision-list';
import { signingRefusalStatus } from '~/decisions/signing-refusals';
import { secondApprovalStatement } from '~/decisions/statements';
import { Field, SubmitButton, ValidatedForm } from '~/forms/validated-form';
import { type FieldErrors, validateForm } from '~/forms/validation';
import { translator } from '~/i18n/catalogue';
import { useT } from '~/i18n/use-translation';
import { OrderStateBadge, useDateTimeFormat } from '~/orders/components';
import { orderNoteText, orderStateLabel, orderTypeLabel } from '~/orders/labels';
import { type OrderActionForm, orderActionSchema } from '~/orders/order-forms';
import {
  type OfferedAction,
  offeredActions,
  orderActorOf,
  requireOrder,
  requireOrderOfShownPerson,
  type ShownOrderDetail,
} from '~/orders/order-page.server';
import { orderChangeRefusalStatus } from '~/orders/refusals';
import { auditRefusedInput } from '~/orders/refused-input.server';
import { HiddenIdentityName, ProtectedIdentityBadge } from '~/people/protected-identity';
import ordersStyles from '~/styles/orders.css';
import {
  approveOrder,
  cancelOrder,
  checkApproval,
  type OrderChangeInput,
  type OrderChangeRefusal,
  type OrderChangeResult,
} from '../../db/orders';
import { listSignedDecisionsAbout } from '../../db/signed-decisions';
import { maskPersonalIdentityNumber } from '../../protocol/identifiers';

/** Statements are Swedish whatever the page's language. */
const swedish = translator('sv');

export const meta: MetaFunction = () => [{ title: 'Beställning – SITHS eID-portalen' }];
export const links: LinksFunction = () => [{ rel: 'stylesheet', href: ordersStyles }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { principal, order } = await requireOrder(request, context, params.orderId);
  // The ids of the person and the unit stay on the server: the unit is a hidden identity's placement.
  const { person, personId: _personId, unitId: _unitId, ...shown } = order;
  const signedDecisions = await listSignedDecisionsAbout(context.db, 'order', order.id);
  return {
    order: {
      ...shown,
      person: person.hidden
        ? person
        : {
            ...person,
            personalIdentityNumber:
              person.personalIdentityNumber && maskPersonalIdentityNumber(person.personalIdentityNumber),
          },
    },
    actions: offeredActions(principal, order),
    signedDecisions: signedDecisions.map(({ id, signerName, method, signedAt }) => ({
      id,
      signerName,
      method,
      signedAt,
    })),
    agentLocalUrl: context.agentLocalUrl,
  };
}

/** What the second approval's signing steps carry from step to step: the form as the ID-administrator sent it. */
interface SecondApprovalReview {
  expectedState: string;
  note: string;
}

const answer = (
  errors: FieldErrors | null,
  review: SecondApprovalReview | null,
  init: ResponseInit = {},
  signing: SigningHandle | null = null,
) => json({ errors, review, signing }, init);

const changeRefused = (reason: OrderChangeRefusal) =>
  answer(
    { form: reason === 'signature_spent' ? 'decision.error.signature_spent' : `orders.error.${reason}` },
    null,
    { status: orderChangeRefusalStatus[reason] },
  );

const changed = (orderId: string, result: OrderChangeResult, done: 'approve' | 'cancel' = 'approve') =>
  result.ok ? redirect(`/admin/bestallningar/${orderId}?klart=${done}`) : changeRefused(result.reason);

/** A signing step without what it needs, or for an order that is not waiting for its second approval. */
function incompleteStep({ intent, expectedState, method, orderId }: OrderActionForm): boolean {
  if (intent === 'approve' || intent === 'cancel') return false;
  if (expectedState !== 'awaiting_second_approval') return true;
  return (intent === 'sign' && !method) || (intent === 'confirm' && !orderId);
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { principal, order } = await requireOrderOfShownPerson(request, context, params.orderId);
  const form = validateForm(orderActionSchema, await request.formData());
  if (!form.ok || incompleteStep(form.data)) {
    const errors: FieldErrors = form.ok ? { form: 'form.error.invalid' } : form.errors;
    await auditRefusedInput(context, principal, { action: 'order_change', objectId: order.id }, errors);
    return answer(errors, null, { status: 400 });
  }
  const { intent, expectedState, note } = form.data;
  const orderAction =
    intent === 'cancel'
      ? 'cancel'
      : expectedState === 'awaiting_second_approval'
        ? 'approve_second'
        : 'approve';
  await requireRole(
    request,
    context,
    principal,
    orderAction === 'cancel' ? ['id_admin', 'manager', 'contact_person'] : ['id_admin'],
    { action: `order_${orderAction}`, objectType: 'order' },
  );
  const input: OrderChangeInput = {
    orderId: order.id,
    actor: orderActorOf(principal),
    expectedState,
    now: new Date(),
    ...(note && { note }),
  };
  if (intent === 'cancel') return changed(order.id, await cancelOrder(context.db, input), 'cancel');
  if (intent === 'approve') return changed(order.id, await approveOrder(context.db, input));
  return await secondApprovalStep(context, principal, order, input, form.data);
}

/**
 * The second approval of a trust-level-3 reserve card, a signed decision. `review` and `sign` ask first
 * whether it may be given (nobody signs what four eyes will refuse), `sign` starts the signing of its
 * statement, `confirm` approves with the signature, which the approval's transaction records and spends.
 */
async function secondApprovalStep(
  context: AppLoadContext,
  principal: Principal,
  order: ShownOrderDetail,
  input: OrderChangeInput,
  form: OrderActionForm,
) {
  const review: SecondApprovalReview = { expectedState: input.expectedState, note: input.note ?? '' };
  const decision = secondApprovalDecision(order, await signerOf(context, principal), principal);
  const signingRefused = (refusal: SigningRefusal) =>
    answer({ form: `decision.error.${refusal}` }, review, { status: signingRefusalStatus[refusal] });
  if (form.intent === 'confirm') {
    const signed = await takeDecisionSignature(context, principal, decision, form.orderId ?? '');
    if (!signed.ok) return signingRefused(signed.reason);
    return changed(order.id, await approveOrder(context.db, { ...input, signature: signed.signature }));
  }
  const allowed = await checkApproval(context.db, input);
  if (!allowed.ok) return changeRefused(allowed.reason);
  if (form.intent === 'review') return answer(null, review);
  const started = await startDecisionSigning(context, principal, decision, form.method ?? 'card');
  if (!started.ok) return signingRefused(started.reason);
  const { cookie, ...signing } = started.signing;
  return answer(null, review, cookie ? { headers: { 'Set-Cookie': cookie } } : {}, signing);
}

/** What the second approval's signature is of: the order, whose it is, what and where, in Swedish. */
function secondApprovalDecision(
  order: ShownOrderDetail,
  signer: Awaited<ReturnType<typeof signerOf>>,
  principal: Principal,
): DecisionToSign {
  const { person } = order;
  return {
    kind: 'order_second_approval',
    objectType: 'order',
    objectId: order.id,
    unitId: order.unitId,
    statementFor: (signingOrderId, at) =>
      secondApprovalStatement(
        {
          signer: signer ?? { name: principal.displayName, hsaId: '' },
          person: { name: `${person.givenName} ${person.surname}`, hsaId: person.hsaId },
          orderId: order.id,
          orderType: orderTypeLabel(swedish, order.type),
          unit: person.unitName,
        },
        signingOrderId,
        at,
      ),
  };
}

function ConfirmAction({ action }: { action: OfferedAction }) {
  const { order } = useLoaderData<typeof loader>();
  const t = useT();
  const intent = action === 'cancel' ? 'cancel' : action === 'approve_second' ? 'review' : 'approve';
  return (
    <ValidatedForm schema={orderActionSchema} method="post" className="card orders-confirm">
      <p>
        <strong>{t(`orders.confirm.${action}`)}</strong>
      </p>
      <input type="hidden" name="intent" value={intent} />
      <input type="hidden" name="expectedState" value={order.state} />
      <Field name="note" as="textarea" label={t('orders.confirm.note')} maxLength={500} rows={2} />
      <div className="button-row">
        <SubmitButton className={action === 'cancel' ? 'small danger' : 'primary'}>
          {t('orders.confirm.yes')}
        </SubmitButton>
        <Link to=".">{t('orders.confirm.no')}</Link>
      </div>
    </ValidatedForm>
  );
}

/** The second approval once reviewed: choose how to sign it, then follow the signing until it is confirmed. */
function SignSecondApproval({
  review,
  signing,
}: {
  review: SecondApprovalReview;
  signing: SigningHandle | null;
}) {
  const { agentLocalUrl } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const t = useT();
  const fields = { expectedState: review.expectedState, ...(review.note && { note: review.note }) };
  const formError = actionData?.errors?.form;
  return (
    <div className="card orders-confirm">
      <p>
        <strong>{t('orders.confirm.approve_second')}</strong>
      </p>
      {review.note && (
        <p>
          {t('orders.confirm.note')}: {review.note}
        </p>
      )}
      {signing ? (
        <SignDecisionProgress signing={signing} agentLocalUrl={agentLocalUrl} fields={fields} />
      ) : (
        <SignDecisionChoice fields={fields} />
      )}
      {formError && (
        <p className="form-error" role="alert">
          {t(formError)}
        </p>
      )}
      <Link to=".">{t('orders.confirm.no')}</Link>
    </div>
  );
}

function OrderActions() {
  const { actions } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const t = useT();
  const [searchParams] = useSearchParams();
  const confirming = actions.find((action) => action === searchParams.get('bekrafta'));
  const done = searchParams.get('klart');
  const review = actionData?.review ?? null;
  return (
    <section className="card">
      <h2>{t('orders.detail.actions')}</h2>
      {(done === 'approve' || done === 'cancel') && (
        <p className="ok-text" role="status">
          {t(`orders.done.${done}`)}
        </p>
      )}
      {review && confirming === 'approve_second' ? (
        <SignSecondApproval review={review} signing={actionData?.signing ?? null} />
      ) : confirming ? (
        <ConfirmAction action={confirming} />
      ) : actions.length === 0 ? (
        <p className="muted">{t('orders.detail.noActions')}</p>
      ) : (
        <div className="button-row">
          {actions.map((action) => (
            <Link key={action} className="orders-link-button" to={`?bekrafta=${action}`}>
              {t(`orders.action.${action}`)}
            </Link>
          ))}
        </div>
      )}
    </section>
  );
}

/** The signed decisions about the order (its second approval), each with its signature to download. */
function SignedDecisions() {
  const { signedDecisions } = useLoaderData<typeof loader>();
  const t = useT();
  if (signedDecisions.length === 0) return null;
  return (
    <section className="card">
      <h2>{t('orders.detail.signatures')}</h2>
      <SignedDecisionList decisions={signedDecisions} />
    </section>
  );
}

function Timeline() {
  const { order } = useLoaderData<typeof loader>();
  const t = useT();
  const format = useDateTimeFormat();
  return (
    <section>
      <h2>{t('orders.detail.timeline')}</h2>
      <ol className="timeline">
        {order.events.map((event) => (
          <li key={event.id} data-testid="order-event">
            <span className="timeline-time" suppressHydrationWarning>
              {format.format(new Date(event.at))}
            </span>{' '}
            {event.fromState && `${orderStateLabel(t, event.fromState)} → `}
            <strong>{orderStateLabel(t, event.toState)}</strong> –{' '}
            {event.actorName ?? t('orders.detail.system')}
            {event.note && <div className="muted">{orderNoteText(t, event.note)}</div>}
          </li>
        ))}
      </ol>
    </section>
  );
}

export default function OrderPage() {
  const { order } = useLoaderData<typeof loader>();
  const { person } = order;
  const t = useT();
  const format = useDateTimeFormat();
  return (
    <>
      <p>
        <Link to="/admin/bestallningar">{t('orders.detail.back')}</Link>
      </p>
      <h1>
        {t('orders.detail.heading')}: {orderTypeLabel(t, order.type)} <OrderStateBadge state={order.state} />
      </h1>
      <div className="columns">
        <div>
          <dl className="facts card">
            <div>
              <dt>{t('orders.detail.person')}</dt>
              <dd>
                {person.hidden ? (
                  <HiddenIdentityName />
                ) : (
                  <>
                    {person.givenName} {person.surname}{' '}
                    <ProtectedIdentityBadge shown={person.protectedIdentity} />{' '}
                    <span className="muted">
                      · {person.hsaId}
                      {person.personalIdentityNumber && ` · ${person.personalIdentityNumber}`}
                    </span>
                  </>
                )}
              </dd>
            </div>
            <div>
              <dt>{t('orders.detail.unit')}</dt>
              <dd>{person.hidden ? '–' : person.unitName}</dd>
            </div>
            <div>
              <dt>{t('orders.detail.placedBy')}</dt>
              <dd>{order.placedByName}</dd>
            </div>
            <div>
              <dt>{t('orders.detail.placedAt')}</dt>
              <dd suppressHydrationWarning>{format.format(new Date(order.createdAt))}</dd>
            </div>
            {order.type.startsWith('reserve_card') && (
              <div>
                <dt>{t('orders.detail.card')}</dt>
                <dd>{order.cardSerial ?? t('orders.detail.noCard')}</dd>
              </div>
            )}
          </dl>
          <Timeline />
        </div>
        <aside>
          <OrderActions />
          <SignedDecisions />
        </aside>
      </div>
    </>
  );
}
