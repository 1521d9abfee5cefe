import { and, asc, count, desc, eq, gt, inArray, lt } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { ageOn } from '../protocol/identifiers';
import { recordAudit } from './audit';
import type { AppDatabase } from './connection';
import { newId } from './ids';
import {
  decideTransition,
  type OrderAction,
  type OrderFacts,
  openOrderStates,
  type TransitionRefusal,
} from './order-lifecycle';
import { findPersonByIdentifier } from './persons';
import {
  cards,
  mobileDevices,
  type OrderState,
  type OrderType,
  orderEvents,
  orders,
  persons,
  personUnits,
  units,
  users,
} from './schema';

// better-sqlite3 runs a transaction on its one connection, so code inside `db.transaction(...)` keeps using
// `db` (and helpers that take it, such as recordAudit) and is part of the transaction.

/** Order types whose eID has trust level 3: only for persons 18 or older on the day of ordering. */
export const trustLevel3OrderTypes: readonly OrderType[] = ['eid_on_card', 'reserve_card_loa3', 'mobile'];
export const maxActiveMobileSiths = 3;

export interface StaffActor {
  userId: string;
  label: string;
}

export type UnitScope = 'all' | readonly string[];

const inScope = (scope: UnitScope, unitId: string) => scope === 'all' || scope.includes(unitId);

export type PlaceOrderRefusal =
  | 'person_not_found'
  | 'person_outside_units'
  | 'age_unknown'
  | 'under_18'
  | 'duplicate_open_order'
  | 'too_many_mobiles';

export interface PlaceOrderInput {
  actor: StaffActor;
  /** HSA-id or personnummer, as typed. */
  personIdentifier: string;
  type: OrderType;
  /** The units the actor orders for: their manager and contact person scope. */
  scope: UnitScope;
  now: Date;
}

export type PlaceOrderResult =
  | { ok: true; orderId: string }
  | { ok: false; reason: PlaceOrderRefusal; existingOrderId?: string };

/**
 * Places an order after every rule: person in the actor's units, 18+ for trust level 3, no second open
 * order of the type, at most three Mobile SITHS. One immediate transaction, so a double submit finds the
 * first order and is refused as a duplicate. Refusals are audited.
 */
export function placeOrder(db: AppDatabase, input: PlaceOrderInput): PlaceOrderResult {
  const result = db.transaction(() => placeInTransaction(db, input), { behavior: 'immediate' });
  if (!result.ok) {
    recordAudit(db, {
      actorUserId: input.actor.userId,
      actorLabel: input.actor.label,
      action: 'order_place',
      objectType: 'order',
      objectId: result.existingOrderId ?? null,
      outcome: 'refused',
      detail: { reason: result.reason, type: input.type },
    });
  }
  return result;
}

function placeInTransaction(tx: AppDatabase, input: PlaceOrderInput): PlaceOrderResult {
  const person = findPersonByIdentifier(tx, input.personIdentifier, input.now);
  if (!person) return { ok: false, reason: 'person_not_found' };
  const unitId = personUnitsOf(tx, person.id).find((candidate) => inScope(input.scope, candidate));
  if (!unitId) return { ok: false, reason: 'person_outside_units' };
  if (trustLevel3OrderTypes.includes(input.type)) {
    if (!person.personalIdentityNumber) return { ok: false, reason: 'age_unknown' };
    if (ageOn(person.personalIdentityNumber, input.now) < 18) return { ok: false, reason: 'under_18' };
  }
  const existing = findOpenOrder(tx, person.id, input.type);
  if (existing) return { ok: false, reason: 'duplicate_open_order', existingOrderId: existing };
  if (input.type === 'mobile' && activeMobileSithsCount(tx, person.id, input.now) >= maxActiveMobileSiths) {
    return { ok: false, reason: 'too_many_mobiles' };
  }
  const orderId = newId();
  tx.insert(orders)
    .values({
      id: orderId,
      type: input.type,
      state: 'placed',
      personId: person.id,
      unitId,
      placedByUserId: input.actor.userId,
      createdAt: input.now,
      updatedAt: input.now,
    })
    .run();
  tx.insert(orderEvents)
    .values({ orderId, actorUserId: input.actor.userId, fromState: null, toState: 'placed', at: input.now })
    .run();
  recordAudit(tx, {
    actorUserId: input.actor.userId,
    actorLabel: input.actor.label,
    action: 'order_place',
    objectType: 'order',
    objectId: orderId,
    unitId,
    outcome: 'success',
    detail: { type: input.type, personId: person.id, after: { state: 'placed' } },
  });
  return { ok: true, orderId };
}

function personUnitsOf(db: AppDatabase, personId: string): string[] {
  return db
    .select({ unitId: personUnits.unitId })
    .from(personUnits)
    .where(eq(personUnits.personId, personId))
    .orderBy(asc(personUnits.unitId))
    .all()
    .map((row) => row.unitId);
}

function findOpenOrder(db: AppDatabase, personId: string, type: OrderType): string | undefined {
  return db
    .select({ id: orders.id })
    .from(orders)
    .where(
      and(eq(orders.personId, personId), eq(orders.type, type), inArray(orders.state, [...openOrderStates])),
    )
    .get()?.id;
}

/** Active Mobile SITHS devices plus open Mobile SITHS orders: both count against the limit of three. */
export function activeMobileSithsCount(db: AppDatabase, personId: string, now: Date): number {
  const devices =
    db
      .select({ value: count() })
      .from(mobileDevices)
      .where(
        and(
          eq(mobileDevices.personId, personId),
          eq(mobileDevices.state, 'active'),
          gt(mobileDevices.validTo, now),
        ),
      )
      .get()?.value ?? 0;
  const openOrders =
    db
      .select({ value: count() })
      .from(orders)
      .where(
        and(
          eq(orders.personId, personId),
          eq(orders.type, 'mobile'),
          inArray(orders.state, [...openOrderStates]),
        ),
      )
      .get()?.value ?? 0;
  return devices + openOrders;
}

export type OrderChangeRefusal = TransitionRefusal | 'not_found' | 'stale';

export interface OrderChangeInput {
  orderId: string;
  actor: StaffActor & {
    isIdAdmin: boolean;
    /** The actor's manager and contact person scope: who may cancel the orders of those units. */
    placerScope: UnitScope;
  };
  /** The state the actor saw; a different one means somebody else acted first and nothing is done. */
  expectedState: OrderState;
  note?: string;
  now: Date;
}

export type OrderChangeResult = { ok: true; to: OrderState } | { ok: false; reason: OrderChangeRefusal };

/** The approval the order waits for (first, or the second of a trust-level-3 reserve card). Audited either way. */
export function approveOrder(db: AppDatabase, input: OrderChangeInput): OrderChangeResult {
  const action: OrderAction =
    input.expectedState === 'awaiting_second_approval' ? 'approve_second' : 'approve';
  return changeOrder(db, action, input);
}

export function cancelOrder(db: AppDatabase, input: OrderChangeInput): OrderChangeResult {
  return changeOrder(db, 'cancel', input);
}

function changeOrder(db: AppDatabase, action: OrderAction, input: OrderChangeInput): OrderChangeResult {
  const outcome = db.transaction(() => changeInTransaction(db, action, input), { behavior: 'immediate' });
  if (!outcome.result.ok) {
    recordAudit(db, {
      actorUserId: input.actor.userId,
      actorLabel: input.actor.label,
      action: `order_${action}`,
      objectType: 'order',
      objectId: input.orderId,
      unitId: outcome.unitId,
      outcome: 'refused',
      detail: { reason: outcome.result.reason, expectedState: input.expectedState },
    });
  }
  return outcome.result;
}

function changeInTransaction(
  tx: AppDatabase,
  action: OrderAction,
  input: OrderChangeInput,
): { result: OrderChangeResult; unitId: string | null } {
  const order = tx.select().from(orders).where(eq(orders.id, input.orderId)).get();
  if (!order) return { result: { ok: false, reason: 'not_found' }, unitId: null };
  if (order.state !== input.expectedState)
    return { result: { ok: false, reason: 'stale' }, unitId: order.unitId };
  const facts: OrderFacts = { ...order, firstApproverUserId: firstApproverOf(tx, order.id) };
  const decision = decideTransition(facts, action, {
    kind: 'staff',
    userId: input.actor.userId,
    isIdAdmin: input.actor.isIdAdmin,
    inPlacerScope: inScope(input.actor.placerScope, order.unitId),
  });
  if (!decision.ok) return { result: decision, unitId: order.unitId };
  writeTransition(tx, {
    orderId: order.id,
    unitId: order.unitId,
    from: order.state,
    to: decision.to,
    action,
    actor: input.actor,
    note: input.note ?? null,
    now: input.now,
  });
  return { result: decision, unitId: order.unitId };
}

function firstApproverOf(db: AppDatabase, orderId: string): string | null {
  return (
    db
      .select({ actorUserId: orderEvents.actorUserId })
      .from(orderEvents)
      .where(and(eq(orderEvents.orderId, orderId), eq(orderEvents.toState, 'awaiting_second_approval')))
      .orderBy(desc(orderEvents.at))
      .get()?.actorUserId ?? null
  );
}

interface TransitionWrite {
  orderId: string;
  unitId: string;
  from: OrderState;
  to: OrderState;
  action: OrderAction;
  actor: StaffActor | null;
  note: string | null;
  now: Date;
}

/** The conditional update, its timeline event and its audit event: all or nothing, inside the caller's transaction. */
function writeTransition(tx: AppDatabase, write: TransitionWrite): void {
  const updated = tx
    .update(orders)
    .set({ state: write.to, updatedAt: write.now })
    .where(and(eq(orders.id, write.orderId), eq(orders.state, write.from)))
    .run();
  if (updated.changes !== 1)
    throw new Error(`order ${write.orderId} left ${write.from} during its transition`);
  tx.insert(orderEvents)
    .values({
      orderId: write.orderId,
      actorUserId: write.actor?.userId ?? null,
      fromState: write.from,
      toState: write.to,
      note: write.note,
      at: write.now,
    })
    .run();
  recordAudit(tx, {
    actorUserId: write.actor?.userId ?? null,
    actorLabel: write.actor?.label ?? 'system',
    action: `order_${write.action}`,
    objectType: 'order',
    objectId: write.orderId,
    unitId: write.unitId,
    outcome: 'success',
    detail: { before: { state: write.from }, after: { state: write.to } },
  });
}

/** Three calendar months before `now`: orders placed before it and still open have expired. */
export function expiryCutoff(now: Date): Date {
  const cutoff = new Date(now);
  cutoff.setUTCMonth(cutoff.getUTCMonth() - 3);
  return cutoff;
}

/** Expires every open order placed more than three months before `now`; returns how many. */
export function expireStaleOrders(db: AppDatabase, now: Date): number {
  return db.transaction(
    () => {
      const stale = db
        .select({ id: orders.id, unitId: orders.unitId, state: orders.state })
        .from(orders)
        .where(and(inArray(orders.state, [...openOrderStates]), lt(orders.createdAt, expiryCutoff(now))))
        .all();
      for (const order of stale) {
        writeTransition(db, {
          orderId: order.id,
          unitId: order.unitId,
          from: order.state,
          to: 'expired',
          action: 'expire',
          actor: null,
          note: 'not_fulfilled_within_3_months',
          now,
        });
      }
      return stale.length;
    },
    { behavior: 'immediate' },
  );
}

export interface OrderEventView {
  id: number;
  at: number;
  fromState: OrderState | null;
  toState: OrderState;
  actorName: string | null;
  note: string | null;
}

const placedBy = alias(users, 'placed_by');

/** One order with its person, unit, placer, card and timeline; undefined when there is no such order. */
export function findOrderDetail(db: AppDatabase, orderId: string) {
  const order = db
    .select({
      id: orders.id,
      type: orders.type,
      state: orders.state,
      unitId: orders.unitId,
      unitName: units.name,
      personId: orders.personId,
      personHsaId: persons.hsaId,
      personalIdentityNumber: persons.personalIdentityNumber,
      personName: persons.givenName,
      personSurname: persons.surname,
      placedByUserId: orders.placedByUserId,
      placedByName: placedBy.displayName,
      cardSerial: cards.serial,
      createdAt: orders.createdAt,
      updatedAt: orders.updatedAt,
    })
    .from(orders)
    .innerJoin(persons, eq(persons.id, orders.personId))
    .innerJoin(units, eq(units.id, orders.unitId))
    .innerJoin(placedBy, eq(placedBy.id, orders.placedByUserId))
    .leftJoin(cards, eq(cards.id, orders.cardId))
    .where(eq(orders.id, orderId))
    .get();
  if (!order) return undefined;
  const events = db
    .select({
      id: orderEvents.id,
      at: orderEvents.at,
      fromState: orderEvents.fromState,
      toState: orderEvents.toState,
      actorName: users.displayName,
      actorUserId: orderEvents.actorUserId,
      note: orderEvents.note,
    })
    .from(orderEvents)
    .leftJoin(users, eq(users.id, orderEvents.actorUserId))
    .where(eq(orderEvents.orderId, orderId))
    .orderBy(asc(orderEvents.at), asc(orderEvents.id))
    .all();
  return { ...order, events };
}

export type OrderDetail = NonNullable<ReturnType<typeof findOrderDetail>>;
