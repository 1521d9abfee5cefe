import {
  type ActionFunctionArgs,
  json,
  type LinksFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from '@remix-run/node';
import { Link, useLoaderData, useSearchParams } from '@remix-run/react';
import { requireRole } from '~/auth/staff.server';
import { Field, SubmitButton, ValidatedForm } from '~/forms/validated-form';
import { type FieldErrors, validateForm } from '~/forms/validation';
import { useT } from '~/i18n/use-translation';
import { OrderStateBadge, useDateTimeFormat } from '~/orders/components';
import { orderNoteText, orderStateLabel, orderTypeLabel } from '~/orders/labels';
import { orderActionSchema } from '~/orders/order-forms';
import { type OfferedAction, offeredActions, orderActorOf, requireOrder } from '~/orders/order-page.server';
import { orderChangeRefusalStatus } from '~/orders/refusals';
import { auditRefusedInput } from '~/orders/refused-input.server';
import ordersStyles from '~/styles/orders.css';
import { approveOrder, cancelOrder } from '../../db/orders';
import { maskPersonalIdentityNumber } from '../../protocol/identifiers';

export const meta: MetaFunction = () => [{ title: 'Beställning – SITHS eID-portalen' }];
export const links: LinksFunction = () => [{ rel: 'stylesheet', href: ordersStyles }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { principal, order } = await requireOrder(request, context, params.orderId);
  const { personalIdentityNumber, ...shown } = order;
  return {
    order: {
      ...shown,
      personalIdentityNumber: personalIdentityNumber && maskPersonalIdentityNumber(personalIdentityNumber),
    },
    actions: offeredActions(principal, order),
  };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { principal, order } = await requireOrder(request, context, params.orderId);
  const form = validateForm(orderActionSchema, await request.formData());
  if (!form.ok) {
    await auditRefusedInput(context, principal, { action: 'order_change', objectId: order.id }, form.errors);
    return json({ errors: form.errors }, { status: 400 });
  }
  const { intent, expectedState, note } = form.data;
  await requireRole(
    request,
    context,
    principal,
    intent === 'approve' ? ['id_admin'] : ['id_admin', 'manager', 'contact_person'],
    {
      action: `order_${intent}`,
      objectType: 'order',
    },
  );
  const input = {
    orderId: order.id,
    actor: orderActorOf(principal),
    expectedState,
    now: new Date(),
    ...(note && { note }),
  };
  const result =
    intent === 'approve' ? await approveOrder(context.db, input) : await cancelOrder(context.db, input);
  if (result.ok) return redirect(`/admin/bestallningar/${order.id}?klart=${intent}`);
  const errors: FieldErrors = { form: `orders.error.${result.reason}` };
  return json({ errors }, { status: orderChangeRefusalStatus[result.reason] });
}

function ConfirmAction({ action }: { action: OfferedAction }) {
  const { order } = useLoaderData<typeof loader>();
  const t = useT();
  const intent = action === 'cancel' ? 'cancel' : 'approve';
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

function OrderActions() {
  const { actions } = useLoaderData<typeof loader>();
  const t = useT();
  const [searchParams] = useSearchParams();
  const confirming = actions.find((action) => action === searchParams.get('bekrafta'));
  const done = searchParams.get('klart');
  return (
    <section className="card">
      <h2>{t('orders.detail.actions')}</h2>
      {(done === 'approve' || done === 'cancel') && (
        <p className="ok-text" role="status">
          {t(`orders.done.${done}`)}
        </p>
      )}
      {confirming ? (
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
                {order.personName} {order.personSurname}{' '}
                <span className="muted">
                  · {order.personHsaId}
                  {order.personalIdentityNumber && ` · ${order.personalIdentityNumber}`}
                </span>
              </dd>
            </div>
            <div>
              <dt>{t('orders.detail.unit')}</dt>
              <dd>{order.unitName}</dd>
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
        </aside>
      </div>
    </>
  );
}
