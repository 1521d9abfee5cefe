import {
  type ActionFunctionArgs,
  json,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
  type SerializeFrom,
} from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { hasAnyRole, identityViewerOf, visibleUnits } from '~/auth/permissions';
import { requireSection } from '~/auth/section.server';
import { invalidInput } from '~/forms/invalid-input.server';
import { Field, SubmitButton, useFieldError, ValidatedForm } from '~/forms/validated-form';
import { validateForm } from '~/forms/validation';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import { useT } from '~/i18n/use-translation';
import { requireStockKeeper, stockKeeperRoles, stockReaderRoles } from '~/reserve-cards/access.server';
import { assignReserveCardSchema } from '~/reserve-cards/forms';
import { formatDate, orderTypeLabel } from '~/reserve-cards/labels';
import { refusalResponse } from '~/reserve-cards/refusals.server';
import areaStyles from '~/styles/reserve-cards.css';
import {
  assignReserveCard,
  listAssignableCards,
  listAssignableOrders,
} from '../../db/reserve-card-assignment';
import { reserveOrderTrustLevel } from '../../db/reserve-cards';

export const meta: MetaFunction = () => [{ title: 'Aktivera reservkort för person – SITHS eID-portalen' }];
export const links = () => [{ rel: 'stylesheet', href: areaStyles }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'reserveCards');
  const orders = await listAssignableOrders(
    context.db,
    visibleUnits(principal, stockReaderRoles),
    identityViewerOf(principal),
  );
  const chosenId = new URL(request.url).searchParams.get('bestallning');
  const chosen = chosenId ? orders.find((order) => order.id === chosenId) : undefined;
  if (chosenId && !chosen) {
    throw json({ message: translator(await localeOf(request))('error.notFound') }, { status: 404 });
  }
  const canChange = hasAnyRole(principal, stockKeeperRoles);
  const cards =
    chosen && canChange
      ? await listAssignableCards(
          context.db,
          visibleUnits(principal, stockKeeperRoles),
          reserveOrderTrustLevel[chosen.type],
          chosen.unitId,
        )
      : [];
  return { orders, chosen: chosen ?? null, cards, canChange };
}

const assignAttempt = { action: 'reserve_card_assign', objectType: 'reserve_card' };

export async function action({ request, context }: ActionFunctionArgs) {
  const { principal, actor } = await requireStockKeeper(request, context, assignAttempt);
  const form = validateForm(assignReserveCardSchema, await request.formData());
  if (!form.ok) return await invalidInput(context, principal, assignAttempt, form.errors);
  const outcome = await assignReserveCard(context.db, form.data, actor);
  if (!outcome.ok) return refusalResponse(outcome.refusal);
  throw redirect(`/admin/reservkort/enhet/${outcome.unitId}?tilldelat=${outcome.serial}`);
}

type LoaderData = SerializeFrom<typeof loader>;

export default function AssignReserveCardPage() {
  const { orders, chosen, cards, canChange } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <>
      <p>
        <Link to="/admin/reservkort">{t('reserveCards.unit.back')}</Link>
      </p>
      <h1>{t('reserveCards.assign.heading')}</h1>
      <p className="muted">{t('reserveCards.assign.intro')}</p>
      <h2>{t('reserveCards.assign.orders')}</h2>
      {orders.length === 0 ? (
        <p>{t('reserveCards.assign.noOrders')}</p>
      ) : (
        <OrderTable orders={orders} chosenId={chosen?.id} />
      )}
      {chosen && canChange && <AssignForm order={chosen} cards={cards} />}
    </>
  );
}

function OrderTable({ orders, chosenId }: { orders: LoaderData['orders']; chosenId?: string }) {
  const t = useT();
  return (
    <table className="table" data-testid="assignable-orders">
      <thead>
        <tr>
          <th scope="col">{t('reserveCards.assign.person')}</th>
          <th scope="col">{t('reserveCards.assign.orderType')}</th>
          <th scope="col">{t('reserveCards.assign.unit')}</th>
          <th scope="col">{t('reserveCards.assign.ordered')}</th>
          <td />
        </tr>
      </thead>
      <tbody>
        {orders.map((order) => (
          <tr
            key={order.id}
            className={order.id === chosenId ? 'chosen' : undefined}
            data-testid={`order-${order.id}`}
          >
            <td>
              {order.personName} <span className="muted">{order.personHsaId}</span>
            </td>
            <td>{t(orderTypeLabel(order.type))}</td>
            <td>{order.unitName}</td>
            <td>{formatDate(order.createdAt)}</td>
            <td>
              {order.id === chosenId ? (
                <span className="badge info">{t('reserveCards.assign.chosen')}</span>
              ) : (
                <Link to={`?bestallning=${order.id}`}>{t('reserveCards.assign.choose')}</Link>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AssignForm({
  order,
  cards,
}: {
  order: NonNullable<LoaderData['chosen']>;
  cards: LoaderData['cards'];
}) {
  const t = useT();
  return (
    <section className="card" aria-labelledby="assign-heading">
      <h2 id="assign-heading">{t('reserveCards.assign.confirmHeading')}</h2>
      <p>
        <strong>{order.personName}</strong> – {t(orderTypeLabel(order.type))}, {order.unitName}
      </p>
      {cards.length === 0 ? (
        <p role="status">{t('reserveCards.assign.noCards')}</p>
      ) : (
        <ValidatedForm schema={assignReserveCardSchema} method="post" className="reserve-form">
          <input type="hidden" name="orderId" value={order.id} />
          <OrderError />
          <Field as="select" name="cardId" label={t('reserveCards.assign.card')} defaultValue="">
            <option value="">{t('reserveCards.assign.chooseCard')}</option>
            {cards.map((card) => (
              <option key={card.id} value={card.id}>
                {card.serial} – {card.productCode}, {card.unitName}
              </option>
            ))}
          </Field>
          <SubmitButton>{t('reserveCards.assign.submit')}</SubmitButton>
        </ValidatedForm>
      )}
    </section>
  );
}

/** The order is a hidden field, so its errors (not ready any more, already has a card) show here. */
function OrderError() {
  const message = useFieldError('orderId');
  return message ? (
    <p className="form-error" role="alert">
      {message}
    </p>
  ) : null;
}
