import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import type { ReactNode } from 'react';
import { identityViewerOf } from '~/auth/permissions';
import { requireSection } from '~/auth/section.server';
import type { MessageKey } from '~/i18n/catalogue';
import { useT } from '~/i18n/use-translation';
import { orderTypeLabel } from '~/orders/labels';
import { useDateFormat } from '~/people/format';
import { HiddenIdentityName, ProtectedIdentityBadge } from '~/people/protected-identity';
import { countTodoIn, todoScopes } from '~/todo/todo-scope.server';
import {
  listExpiringCards,
  listExpiringEids,
  listExpiringOrders,
  listLowStockUnits,
  listNotActivatedReserveCards,
  type TodoPerson,
  todoListLimit,
  unitNames,
} from '../../db/todo-list';

export const meta: MetaFunction = () => [{ title: 'Att göra – SITHS eID-portalen' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'todo');
  const now = new Date();
  const scopes = todoScopes(principal);
  const { units: scope, stock: stockScope } = scopes;
  const viewer = identityViewerOf(principal);
  const eids = await listExpiringEids(context.db, scope, now, viewer);
  const cards = await listExpiringCards(context.db, scope, now, viewer);
  const orders = await listExpiringOrders(context.db, scope, now, viewer);
  const reserveCards = await listNotActivatedReserveCards(context.db, stockScope, now, viewer);
  const names = await unitNames(
    context.db,
    [...cards, ...orders, ...reserveCards].map((item) => item.unitId),
  );
  const unitOf = (unitId: string) => ({ unitId, unitName: names.get(unitId) ?? unitId });
  return {
    limit: todoListLimit,
    counts: await countTodoIn(context, scopes, now),
    eids: eids.map((eid) => ({
      id: eid.eidId,
      cardSerial: eid.cardSerial,
      deviceName: eid.deviceName,
      validTo: eid.validTo.getTime(),
      person: eid.person,
    })),
    cards: cards.map((card) => ({
      id: card.cardId,
      serial: card.serial,
      validTo: card.validTo.getTime(),
      ...unitOf(card.unitId),
      person: card.person,
    })),
    lowStock: await listLowStockUnits(context.db, stockScope),
    orders: orders.map((order) => ({
      id: order.orderId,
      type: order.type,
      expiresAt: order.expiresAt.getTime(),
      ...unitOf(order.unitId),
      person: order.person,
    })),
    reserveCards: reserveCards.map((card) => ({
      id: card.cardId,
      serial: card.serial,
      assignedAt: card.assignedAt.getTime(),
      ...unitOf(card.unitId),
      person: card.person,
    })),
  };
}

export default function TodoPage() {
  const data = useLoaderData<typeof loader>();
  const t = useT();
  const format = useDateFormat();
  return (
    <>
      <h1>{t('todo.heading')}</h1>
      <p className="muted">{t('todo.intro')}</p>
      <TodoSection
        id="expiring-eids"
        heading="todo.expiringEids.heading"
        count={data.counts.expiringEids}
        shown={data.eids.length}
        limit={data.limit}
        columns={['todo.person', 'todo.expiringEids.eid', 'todo.validTo']}
        rows={data.eids.map((eid) => ({
          key: eid.id,
          cells: [
            <PersonCell key="person" person={eid.person} />,
            eid.cardSerial
              ? `${t('todo.expiringEids.onCard')} ${eid.cardSerial}`
              : `${t('todo.expiringEids.mobile')} ${eid.deviceName ?? ''}`,
            format.date(eid.validTo),
          ],
        }))}
      />
      <TodoSection
        id="expiring-cards"
        heading="todo.expiringCards.heading"
        count={data.counts.expiringCards}
        shown={data.cards.length}
        limit={data.limit}
        columns={['todo.person', 'todo.expiringCards.serial', 'todo.unit', 'todo.validTo']}
        rows={data.cards.map((card) => ({
          key: card.id,
          cells: [
            <PersonCell key="person" person={card.person} />,
            card.serial,
            card.unitName,
            format.date(card.validTo),
          ],
        }))}
      />
      <TodoSection
        id="low-stock"
        heading="todo.lowStock.heading"
        count={data.counts.lowStockUnits}
        shown={data.lowStock.length}
        limit={data.limit}
        columns={['todo.unit', 'todo.lowStock.inStock', 'todo.lowStock.threshold']}
        rows={data.lowStock.map((unit) => ({
          key: unit.unitId,
          cells: [
            <Link key="unit" to={`/admin/reservkort/enhet/${unit.unitId}`}>
              {unit.unitName}
            </Link>,
            String(unit.inStock),
            String(unit.threshold),
          ],
        }))}
      />
      <TodoSection
        id="expiring-orders"
        heading="todo.expiringOrders.heading"
        count={data.counts.expiringOrders}
        shown={data.orders.length}
        limit={data.limit}
        columns={['todo.expiringOrders.order', 'todo.person', 'todo.unit', 'todo.expiringOrders.expiresAt']}
        rows={data.orders.map((order) => ({
          key: order.id,
          cells: [
            <Link key="order" to={`/admin/bestallningar/${order.id}`}>
              {orderTypeLabel(t, order.type)}
            </Link>,
            <PersonCell key="person" person={order.person} />,
            order.unitName,
            format.date(order.expiresAt),
          ],
        }))}
      />
      <TodoSection
        id="not-activated"
        heading="todo.notActivated.heading"
        count={data.counts.notActivatedReserveCards}
        shown={data.reserveCards.length}
        limit={data.limit}
        columns={['todo.expiringCards.serial', 'todo.person', 'todo.unit', 'todo.notActivated.assignedAt']}
        rows={data.reserveCards.map((card) => ({
          key: card.id,
          cells: [
            <Link key="card" to={`/admin/reservkort/enhet/${card.unitId}`}>
              {card.serial}
            </Link>,
            <PersonCell key="person" person={card.person} />,
            card.unitName,
            format.date(card.assignedAt),
          ],
        }))}
      />
    </>
  );
}

/** A hidden person has no link: their page answers as for nobody. */
function PersonCell({ person }: { person: TodoPerson }) {
  if (person.hidden) return <HiddenIdentityName />;
  return (
    <>
      <Link to={`/admin/personer/${person.personId}`}>
        {person.name}
        {person.personalIdentityNumber ? ` (${person.personalIdentityNumber})` : ''}
      </Link>{' '}
      <ProtectedIdentityBadge shown={person.protectedIdentity} />
    </>
  );
}

function TodoSection(props: {
  id: string;
  heading: MessageKey;
  count: number;
  shown: number;
  limit: number;
  columns: MessageKey[];
  rows: Array<{ key: string; cells: ReactNode[] }>;
}) {
  const t = useT();
  return (
    <section aria-labelledby={`${props.id}-heading`} data-testid={`todo-${props.id}`}>
      <h2 id={`${props.id}-heading`}>
        {t(props.heading)} ({props.count})
      </h2>
      {props.rows.length === 0 ? (
        <p className="muted">{t('todo.none')}</p>
      ) : (
        <table className="data-table">
          <thead>
            <tr>
              {props.columns.map((column) => (
                <th key={column}>{t(column)}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.rows.map((row) => (
              <tr key={row.key}>
                {row.cells.map((cell, index) => (
                  // The columns are fixed per section: the index is the column.
                  // biome-ignore lint/suspicious/noArrayIndexKey: see above
                  <td key={index}>{cell}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.count > props.shown ? (
        <p className="muted">
          {t('todo.shown')} {props.shown}
        </p>
      ) : null}
    </section>
  );
}
