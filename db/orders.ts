import { and, asc, count, desc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import { ageOn } from '../protocol/identifiers';
import { recordAudit } from './audit';
import type { AppDatabase, AppTransaction, Queryable } from './connection';
import { first, forEngine, runStatement } from './engine';
import { newId } from './ids';
import {
  decideTransition,
  type OrderAction,
  type OrderFacts,
  openOrderStates,
  type TransitionRefusal,
} from './order-lifecycle';
import { findPersonByIdentifier } from './persons';
import { type IdentityViewer, isHiddenFrom, seesNoProtectedIdentity, shownTo } from './protected-identity';
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
import { type DecisionSignature, recordDecisionSignature } from './signed-decisions';
import { inUnitScope, type UnitScope } from './unit-scope';

/** Order types whose eID has trust level 3: only for persons 18 or older on the day of ordering. */
export const trustLevel3OrderTypes: readonly OrderType[] = ['eid_on_card', 'reserve_card_loa3', 'mobile'];
export const maxActiveMobileSiths = 3;

export interface StaffActor {
  userId: string;
  label: string;
}

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
  /** Whether the actor may see protected identities; absent, they may not. */
  viewer?: IdentityViewer;
  now: Date;
}

export type PlaceOrderResult =
  | { ok: true; orderId: string }
  | { ok: false; reason: PlaceOrderRefusal; existingOrderId?: string };

/** The refusal as the audit log keeps it: a protected identity hidden from the actor says so there only. */
type PlaceOrderAttempt =
  | PlaceOrderResult
  | { ok: false; reason: 'person_not_found'; protectedIdentity: true };

/**
 * Places an order after every rule: person in the actor's units, 18+ for trust level 3, no second open
 * order of the type, at most three Mobile SITHS. One transaction that holds the person (lockPerson), so a
 * double submit finds the first order and is refused as a duplicate. A protected identity the actor may not
 * see is refused as a person not found. Refusals are audited.
 */
export async function placeOrder(db: AppDatabase, input: PlaceOrderInput): Promise<PlaceOrderResult> {
  const result = await db.transaction((tx) => placeInTransaction(tx, input));
  if (result.ok) return result;
  const hidden = 'protectedIdentity' in result;
  await recordAudit(db, {
    actorUserId: input.actor.userId,
    actorLabel: input.actor.label,
    action: 'order_place',
    objectType: 'order',
    objectId: hidden ? null : (result.existingOrderId ?? null),
    outcome: 'refused',
    detail: { reason: hidden ? 'protected_identity' : result.reason, type: input.type },
  });
  return hidden ? { ok: false, reason: 'person_not_found' } : result;
}

async function placeInTransaction(tx: Queryable, input: PlaceOrderInput): Promise<PlaceOrderAttempt> {
  const person = await findPersonByIdentifier(tx, input.personIdentifier, input.now);
  if (!person) return { ok: false, reason: 'person_not_found' };
  if (isHiddenFrom(input.viewer ?? seesNoProtectedIdentity, person.protectedIdentity)) {
    return { ok: false, reason: 'person_not_found', protectedIdentity: true };
  }
  await lockPerson(tx, person.id);
  const unitId = (await personUnitsOf(tx, person.id)).find((candidate) =>
    inUnitScope(input.scope, candidate),
  );
  if (!unitId) return { ok: false, reason: 'person_outside_units' };
  if (trustLevel3OrderTypes.includes(input.type)) {
    if (!person.personalIdentityNumber) return { ok: false, reason: 'age_unknown' };
    if (ageOn(person.personalIdentityNumber, input.now) < 18) return { ok: false, reason: 'under_18' };
  }
  const existing = await findOpenOrder(tx, person.id, input.type);
  if (existing) return { ok: false, reason: 'duplicate_open_order', existingOrderId: existing };
  if (
    input.type === 'mobile' &&
    (await activeMobileSithsCount(tx, person.id, input.now)) >= maxActiveMobileSiths
  ) {
    return { ok: false, reason: 'too_many_mobiles' };
  }
  const orderId = newId();
  await tx.insert(orders).values({
    id: orderId,
    type: input.type,
    state: 'placed',
    personId: person.id,
    unitId,
    placedByUserId: input.actor.userId,
    createdAt: input.now,
    updatedAt: input.now,
  });
  await tx
    .insert(orderEvents)
    .values({ orderId, actorUserId: input.actor.userId, fromState: null, toState: 'placed', at: input.now });
  await recordAudit(tx, {
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

/**
 * The engines' one difference here. SQLite's transactions begin immediate and so run one at a time;
 * PostgreSQL runs them side by side, so the person's row is locked until commit and two placements for the
 * same person take turns: the second sees the first's order (duplicate) and counts it (Mobile SITHS limit).
 */
async function lockPerson(tx: Queryable, personId: string): Promise<void> {
  const lock = forEngine(tx, {
    sqlite: null,
    postgres: sql`select 1 from ${persons} where ${persons.id} = ${personId} for update`,
  });
  if (lock) await runStatement(tx, lock);
}

async function personUnitsOf(db: Queryable, personId: string): Promise<string[]> {
  return (
    await db
      .select({ unitId: personUnits.unitId })
      .from(personUnits)
      .where(eq(personUnits.personId, personId))
      .orderBy(asc(personUnits.unitId))
  ).map((row) => row.unitId);
}

async function findOpenOrder(db: Queryable, personId: string, type: OrderType): Promise<string | undefined> {
  return first(
    await db
      .select({ id: orders.id })
      .from(orders)
      .where(
        and(
          eq(orders.personId, personId),
          eq(orders.type, type),
          inArray(orders.state, [...openOrderStates]),
        ),
      )
      .limit(1),
  )?.id;
}

/** Active Mobile SITHS devices plus open Mobile SITHS orders: both count against the limit of three. */
export async function activeMobileSithsCount(db: Queryable, personId: string, now: Date): Promise<number> {
  const devices =
    first(
      await db
        .select({ value: count() })
        .from(mobileDevices)
        .where(
          and(
            eq(mobileDevices.personId, personId),
            eq(mobileDevices.state, 'active'),
            gt(mobileDevices.validTo, now),
          ),
        )
        .limit(1),
    )?.value ?? 0;
  const openOrders =
    first(
      await db
        .select({ value: count() })
        .from(orders)
        .where(
          and(
            eq(orders.personId, personId),
            eq(orders.type, 'mobile'),
            inArray(orders.state, [...openOrderStates]),
          ),
        )
        .limit(1),
    )?.value ?? 0;
  return devices + openOrders;
}

export type OrderChangeRefusal =
  | TransitionRefusal
  | 'not_found'
  | 'stale'
  | 'signature_required'
  | 'signature_spent';

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
  /**
   * The second approval of a trust-level-3 reserve card is a signed decision: the signature of it, as the
   * deciding page checked it. Recorded in the approval's transaction; other changes take none.
   */
  signature?: DecisionSignature;
  now: Date;
}

export type OrderChangeResult = { ok: true; to: OrderState } | { ok: false; reason: OrderChangeRefusal };

/**
 * The approval the order waits for (first, or the second of a trust-level-3 reserve card, which needs its
 * signature). Audited either way.
 */
export async function approveOrder(db: AppDatabase, input: OrderChangeInput): Promise<OrderChangeResult> {
  return await changeOrder(db, approvalOf(input.expectedState), input);
}

/**
 * Whether the approval the order waits for would be given to the actor now, without giving it: a second
 * approval is signed before it is given, and nobody should sign what the order will refuse (four eyes, a
 * changed order). Refusals are audited like those of approveOrder.
 */
export async function checkApproval(db: AppDatabase, input: OrderChangeInput): Promise<OrderChangeResult> {
  const action = approvalOf(input.expectedState);
  const outcome = await decideChange(db, action, input);
  if (!outcome.result.ok) await auditRefusedChange(db, action, input, outcome);
  return outcome.result;
}

export async function cancelOrder(db: AppDatabase, input: OrderChangeInput): Promise<OrderChangeResult> {
  return await changeOrder(db, 'cancel', input);
}

const approvalOf = (expectedState: OrderState): OrderAction =>
  expectedState === 'awaiting_second_approval' ? 'approve_second' : 'approve';

/** Thrown inside an order change's transaction to undo it: its signature was spent by another decision. */
class SignatureSpent extends Error {
  constructor(readonly unitId: string) {
    super('signature spent');
  }
}

interface ChangeOutcome {
  result: OrderChangeResult;
  unitId: string | null;
}

async function changeOrder(
  db: AppDatabase,
  action: OrderAction,
  input: OrderChangeInput,
): Promise<OrderChangeResult> {
  let outcome: ChangeOutcome;
  try {
    outcome = await db.transaction((tx) => changeInTransaction(tx, action, input));
  } catch (error) {
    if (!(error instanceof SignatureSpent)) throw error;
    outcome = { result: { ok: false, reason: 'signature_spent' }, unitId: error.unitId };
  }
  if (!outcome.result.ok) await auditRefusedChange(db, action, input, outcome);
  return outcome.result;
}

async function auditRefusedChange(
  db: AppDatabase,
  action: OrderAction,
  input: OrderChangeInput,
  outcome: ChangeOutcome,
): Promise<void> {
  if (outcome.result.ok) return;
  await recordAudit(db, {
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

/** The order as it is now, and whether the actor may do `action` to it: the lifecycle's rules, nothing written. */
async function decideChange(
  q: Queryable,
  action: OrderAction,
  input: OrderChangeInput,
): Promise<ChangeOutcome & { from?: OrderState }> {
  const order = first(await q.select().from(orders).where(eq(orders.id, input.orderId)).limit(1));
  if (!order) return { result: { ok: false, reason: 'not_found' }, unitId: null };
  if (order.state !== input.expectedState)
    return { result: { ok: false, reason: 'stale' }, unitId: order.unitId };
  const facts: OrderFacts = { ...order, firstApproverUserId: await firstApproverOf(q, order.id) };
  const decision = decideTransition(facts, action, {
    kind: 'staff',
    userId: input.actor.userId,
    isIdAdmin: input.actor.isIdAdmin,
    inPlacerScope: inUnitScope(input.actor.placerScope, order.unitId),
  });
  return { result: decision, unitId: order.unitId, from: order.state };
}

/** A second approval is decided only with a signature of exactly that decision about this order. */
function signatureMissing(action: OrderAction, orderId: string, signature: DecisionSignature | undefined) {
  return (
    action === 'approve_second' &&
    (signature?.kind !== 'order_second_approval' ||
      signature.objectType !== 'order' ||
      signature.objectId !== orderId)
  );
}

async function changeInTransaction(
  tx: AppTransaction,
  action: OrderAction,
  input: OrderChangeInput,
): Promise<ChangeOutcome> {
  const decided = await decideChange(tx, action, input);
  const { result, unitId, from } = decided;
  if (!result.ok || !unitId || !from) return decided;
  if (signatureMissing(action, input.orderId, input.signature))
    return { result: { ok: false, reason: 'signature_required' }, unitId };
  const moved = await writeTransition(tx, {
    orderId: input.orderId,
    unitId,
    from,
    to: result.to,
    action,
    actor: input.actor,
    note: input.note ?? null,
    now: input.now,
  });
  // Another transaction moved the order after it was read (PostgreSQL runs them side by side).
  if (!moved) return { result: { ok: false, reason: 'stale' }, unitId };
  const signature = action === 'approve_second' ? input.signature : undefined;
  if (signature && !(await recordDecisionSignature(tx, signature))) throw new SignatureSpent(unitId);
  return { result, unitId };
}

async function firstApproverOf(db: Queryable, orderId: string): Promise<string | null> {
  return (
    first(
      await db
        .select({ actorUserId: orderEvents.actorUserId })
        .from(orderEvents)
        .where(and(eq(orderEvents.orderId, orderId), eq(orderEvents.toState, 'awaiting_second_approval')))
        .orderBy(desc(orderEvents.at))
        .limit(1),
    )?.actorUserId ?? null
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

/**
 * The conditional update, its timeline event and its audit event, inside the caller's transaction. The
 * update is the first write and settles a race: false, with nothing written, when the order has left
 * `from` meanwhile.
 */
async function writeTransition(tx: Queryable, write: TransitionWrite): Promise<boolean> {
  const updated = await tx
    .update(orders)
    .set({ state: write.to, updatedAt: write.now })
    .where(and(eq(orders.id, write.orderId), eq(orders.state, write.from)))
    .returning({ id: orders.id });
  if (updated.length !== 1) return false;
  await tx.insert(orderEvents).values({
    orderId: write.orderId,
    actorUserId: write.actor?.userId ?? null,
    fromState: write.from,
    toState: write.to,
    note: write.note,
    at: write.now,
  });
  await recordAudit(tx, {
    actorUserId: write.actor?.userId ?? null,
    actorLabel: write.actor?.label ?? 'system',
    action: `order_${write.action}`,
    objectType: 'order',
    objectId: write.orderId,
    unitId: write.unitId,
    outcome: 'success',
    detail: { before: { state: write.from }, after: { state: write.to } },
  });
  return true;
}

/** Three calendar months before `now`: orders placed before it and still open have expired. */
export function expiryCutoff(now: Date): Date {
  const cutoff = new Date(now);
  cutoff.setUTCMonth(cutoff.getUTCMonth() - 3);
  return cutoff;
}

/** Expires every open order placed more than three months before `now`; returns how many. */
export async function expireStaleOrders(db: AppDatabase, now: Date): Promise<number> {
  return db.transaction(async (tx) => {
    const stale = await tx
      .select({ id: orders.id, unitId: orders.unitId, state: orders.state })
      .from(orders)
      .where(and(inArray(orders.state, [...openOrderStates]), lt(orders.createdAt, expiryCutoff(now))));
    let expired = 0;
    for (const order of stale) {
      const moved = await writeTransition(tx, {
        orderId: order.id,
        unitId: order.unitId,
        from: order.state,
        to: 'expired',
        action: 'expire',
        actor: null,
        note: 'not_fulfilled_within_3_months',
        now,
      });
      if (moved) expired += 1;
    }
    return expired;
  });
}

export interface OrderEventView {
  id: number;
  at: number;
  fromState: OrderState | null;
  toState: OrderState;
  actorName: string | null;
  note: string | null;
}

/**
 * One order with its person, unit, placer, card and timeline; undefined when there is no such order. The
 * person and the unit (their placement) are hidden from a viewer who may not see their protected identity.
 */
export async function findOrderDetail(
  db: AppDatabase,
  orderId: string,
  viewer: IdentityViewer = seesNoProtectedIdentity,
) {
  const row = first(
    await db
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
        protectedIdentity: persons.protectedIdentity,
        placedByUserId: orders.placedByUserId,
        placedByName: users.displayName,
        cardSerial: cards.serial,
        createdAt: orders.createdAt,
        updatedAt: orders.updatedAt,
      })
      .from(orders)
      .innerJoin(persons, eq(persons.id, orders.personId))
      .innerJoin(units, eq(units.id, orders.unitId))
      .innerJoin(users, eq(users.id, orders.placedByUserId))
      .leftJoin(cards, eq(cards.id, orders.cardId))
      .where(eq(orders.id, orderId))
      .limit(1),
  );
  if (!row) return undefined;
  const {
    unitName,
    personHsaId,
    personalIdentityNumber,
    personName,
    personSurname,
    protectedIdentity,
    ...order
  } = row;
  const person = shownTo(viewer, protectedIdentity, {
    givenName: personName,
    surname: personSurname,
    hsaId: personHsaId,
    personalIdentityNumber,
    unitName,
  });
  const events = await db
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
    .orderBy(asc(orderEvents.at), asc(orderEvents.id));
  return { ...order, person, events };
}

export type OrderDetail = NonNullable<Awaited<ReturnType<typeof findOrderDetail>>>;

/** Cancels every open order for a person who left the region (the directory no longer holds them). */
export async function cancelOpenOrdersOfLeaver(tx: Queryable, personId: string, now: Date): Promise<number> {
  const open = await tx
    .select({ id: orders.id, unitId: orders.unitId, state: orders.state })
    .from(orders)
    .where(and(eq(orders.personId, personId), inArray(orders.state, [...openOrderStates])));
  let cancelled = 0;
  for (const order of open) {
    const moved = await writeTransition(tx, {
      orderId: order.id,
      unitId: order.unitId,
      from: order.state,
      to: 'cancelled',
      action: 'cancel',
      actor: null,
      note: 'person_left_region',
      now,
    });
    if (moved) cancelled += 1;
  }
  return cancelled;
}
