import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import type { AppDatabase, Queryable } from './connection';
import { first, isUniqueViolation } from './engine';
import { findableBy, type IdentityViewer, isHiddenFrom, seesNoProtectedIdentity } from './protected-identity';
import { findReserveCard, type ReserveCardDetail } from './reserve-card-stock';
import {
  type Attempt,
  Refused,
  type ReserveCardActor,
  type ReserveCardOutcome,
  type ReserveCardRefusal,
  type ReserveOrderType,
  refuse,
  reserveOrderTrustLevel,
  succeed,
} from './reserve-cards';
import { cards, orderEvents, orders, persons, units } from './schema';
import { inUnitScope, isEmptyUnitScope, type UnitScope, unitScopeCondition } from './unit-scope';

export interface AssignableOrder {
  id: string;
  type: ReserveOrderType;
  unitId: string;
  unitName: string;
  personId: string;
  personName: string;
  personHsaId: string;
  createdAt: Date;
}

/**
 * Ready reserve-card orders in scope that have no card yet: what a contact person can activate a card for.
 * Not the orders of a protected identity the viewer may not see: nobody activates a card for them.
 */
export async function listAssignableOrders(
  db: AppDatabase,
  scope: UnitScope,
  viewer: IdentityViewer,
): Promise<AssignableOrder[]> {
  if (isEmptyUnitScope(scope)) return [];
  return (
    await db
      .select({
        id: orders.id,
        type: orders.type,
        unitId: orders.unitId,
        unitName: units.name,
        personId: persons.id,
        givenName: persons.givenName,
        surname: persons.surname,
        personHsaId: persons.hsaId,
        createdAt: orders.createdAt,
      })
      .from(orders)
      .innerJoin(persons, eq(persons.id, orders.personId))
      .innerJoin(units, eq(units.id, orders.unitId))
      .where(
        and(
          eq(orders.state, 'ready'),
          inArray(orders.type, ['reserve_card_loa2', 'reserve_card_loa3']),
          isNull(orders.cardId),
          unitScopeCondition(orders.unitId, scope),
          findableBy(viewer, persons.protectedIdentity),
        ),
      )
      .orderBy(asc(orders.createdAt))
      .limit(500)
  ).map(({ givenName, surname, type, ...order }) => ({
    ...order,
    type: type as ReserveOrderType,
    personName: `${givenName} ${surname}`,
  }));
}

export interface AssignableCard {
  id: string;
  serial: string;
  productCode: string;
  trustLevel: number;
  unitId: string;
  unitName: string;
}

/** In-stock reserve cards of one trust level in scope, the order's own unit first. */
export async function listAssignableCards(
  db: AppDatabase,
  scope: UnitScope,
  trustLevel: 2 | 3,
  preferredUnitId?: string,
): Promise<AssignableCard[]> {
  if (isEmptyUnitScope(scope)) return [];
  const rows = await db
    .select({
      id: cards.id,
      serial: cards.serial,
      productCode: cards.productCode,
      trustLevel: cards.trustLevel,
      unitId: cards.unitId,
      unitName: units.name,
    })
    .from(cards)
    .innerJoin(units, eq(units.id, cards.unitId))
    .where(
      and(
        eq(cards.kind, 'reserve'),
        eq(cards.state, 'in_stock'),
        eq(cards.trustLevel, trustLevel),
        unitScopeCondition(cards.unitId, scope),
      ),
    )
    .orderBy(asc(units.name), asc(cards.serial))
    .limit(500);
  const preferred = (card: AssignableCard) => (card.unitId === preferredUnitId ? 0 : 1);
  return rows.sort((a, b) => preferred(a) - preferred(b));
}

interface OrderForAssignment {
  id: string;
  type: string;
  state: string;
  unitId: string;
  personId: string;
  cardId: string | null;
  protectedIdentity: boolean;
}

async function findOrderForAssignment(
  db: Queryable,
  orderId: string,
): Promise<OrderForAssignment | undefined> {
  return first(
    await db
      .select({
        id: orders.id,
        type: orders.type,
        state: orders.state,
        unitId: orders.unitId,
        personId: orders.personId,
        cardId: orders.cardId,
        protectedIdentity: persons.protectedIdentity,
      })
      .from(orders)
      .innerJoin(persons, eq(persons.id, orders.personId))
      .where(eq(orders.id, orderId))
      .limit(1),
  );
}

/** The order of a protected identity the actor may not see is, to them, no order at all. */
const hiddenFrom = (actor: ReserveCardActor, order: OrderForAssignment | undefined) =>
  order !== undefined && isHiddenFrom(actor.viewer ?? seesNoProtectedIdentity, order.protectedIdentity);

function assignmentRefusal(
  card: ReserveCardDetail | undefined,
  order: OrderForAssignment | undefined,
  actor: ReserveCardActor,
): ReserveCardRefusal | null {
  const { scope } = actor;
  if (!card) return 'unknown_card';
  if (!order || hiddenFrom(actor, order)) return 'unknown_order';
  if (!inUnitScope(scope, card.unitId) || !inUnitScope(scope, order.unitId)) return 'other_unit';
  if (order.type !== 'reserve_card_loa2' && order.type !== 'reserve_card_loa3') return 'not_reserve_order';
  if (order.state !== 'ready') return 'order_not_ready';
  if (order.cardId !== null) return 'order_has_card';
  if (card.state !== 'in_stock') return 'card_not_in_stock';
  if (card.trustLevel !== reserveOrderTrustLevel[order.type]) return 'trust_level_mismatch';
  return null;
}

/**
 * "Aktivera reservkort för person": gives an in-stock card to the person of a ready reserve-card order.
 * Both rows change only if they are still as read (conditional updates in one transaction), so of two
 * contact persons assigning the same card at once exactly one wins: on PostgreSQL the second update waits
 * for the first one's row lock, then finds the card no longer in stock. The order stays `ready`: the
 * person's own activation fulfils it.
 */
export async function assignReserveCard(
  db: AppDatabase,
  input: { cardId: string; orderId: string },
  actor: ReserveCardActor,
  now = new Date(),
): Promise<ReserveCardOutcome<{ personId: string; serial: string; unitId: string }>> {
  const seen = await findReserveCard(db, input.cardId);
  const attempt: Attempt = {
    action: 'reserve_card_assign',
    objectType: 'reserve_card',
    objectId: input.cardId,
    unitId: seen?.unitId ?? null,
    detail: { orderId: input.orderId, serial: seen?.serial, before: 'in_stock', after: 'assigned' },
  };
  let hiddenPerson = false;
  try {
    return await db.transaction(async (tx) => {
      const card = await findReserveCard(tx, input.cardId);
      const order = await findOrderForAssignment(tx, input.orderId);
      hiddenPerson = hiddenFrom(actor, order);
      const refusal = assignmentRefusal(card, order, actor);
      if (refusal || !card || !order) throw new Refused(refusal ?? 'unknown_card');
      await takeCardOutOfStock(tx, card, order, actor, now);
      await succeed(tx, actor, { ...attempt, detail: { ...attempt.detail, personId: order.personId } });
      return { ok: true as const, personId: order.personId, serial: card.serial, unitId: card.unitId };
    });
  } catch (error) {
    if (error instanceof Refused) {
      const audited = hiddenPerson
        ? { ...attempt, detail: { ...attempt.detail, protectedIdentity: true } }
        : attempt;
      return await refuse(db, actor, audited, error.refusal);
    }
    if (isUniqueViolation(error)) return await refuse(db, actor, attempt, 'order_has_card');
    throw error;
  }
}

async function takeCardOutOfStock(
  tx: Queryable,
  card: ReserveCardDetail,
  order: OrderForAssignment,
  actor: ReserveCardActor,
  now: Date,
): Promise<void> {
  const cardId = card.id;
  const cardChanged = await tx
    .update(cards)
    .set({ state: 'assigned', holderPersonId: order.personId, updatedAt: now })
    .where(and(eq(cards.id, cardId), eq(cards.state, 'in_stock'), isNull(cards.holderPersonId)))
    .returning({ id: cards.id });
  if (cardChanged.length !== 1) throw new Refused('card_not_in_stock');
  const orderChanged = await tx
    .update(orders)
    .set({ cardId, updatedAt: now })
    .where(and(eq(orders.id, order.id), eq(orders.state, 'ready'), isNull(orders.cardId)))
    .returning({ id: orders.id });
  if (orderChanged.length !== 1) throw new Refused('order_has_card');
  await tx.insert(orderEvents).values({
    orderId: order.id,
    actorUserId: actor.userId,
    fromState: 'ready',
    toState: 'ready',
    note: `Reservkort ${card.serial} aktiverat i portalen`,
    at: now,
  });
}
