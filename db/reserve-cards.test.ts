import { Worker } from 'node:worker_threads';
import { and, desc, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createTestDatabaseLocation,
  openTestDatabase,
  type TestDatabaseLocation,
} from '../test-support/test-database';
import { type AppDatabase, openDatabase } from './connection';
import { first } from './engine';
import { newId } from './ids';
import { seesNoProtectedIdentity } from './protected-identity';
import { assignReserveCard, listAssignableCards, listAssignableOrders } from './reserve-card-assignment';
import {
  listStock,
  registerReserveCard,
  setLowStockThreshold,
  stockLevels,
  withdrawReserveCard,
} from './reserve-card-stock';
import type { ReserveCardActor } from './reserve-cards';
import {
  auditEvents,
  cards,
  type OrderState,
  orderEvents,
  orders,
  persons,
  personUnits,
  units,
  users,
} from './schema';
import { demoLowStockUnitHsaId, seedDemoData } from './seed';
import { expandUnitSubtrees } from './units';

const now = new Date('2026-03-02T09:00:00Z');
const fakeHash = async (password: string) => `fake$${password}`;
const sahlgrenska = 'SE2321000131-S000000010100';
const kardiologi = 'SE2321000131-S000000010127';
const skovde = 'SE2321000131-S000000030300';
/** Valid 19-digit serials with a correct Luhn check digit, not used by the demo data. */
const newSerials = ['9752000000000000007', '9752000000000000015', '9752000000000000023'];

async function seeded(db: AppDatabase): Promise<AppDatabase> {
  await seedDemoData(db, { hashPassword: fakeHash, now });
  return db;
}

async function unitId(db: AppDatabase, hsaId: string): Promise<string> {
  return first(await db.select().from(units).where(eq(units.hsaId, hsaId)).limit(1))!.id;
}

async function userId(db: AppDatabase, username: string): Promise<string> {
  return first(await db.select().from(users).where(eq(users.username, username)).limit(1))!.id;
}

async function contactPerson(
  db: AppDatabase,
  username: string,
  rootHsaId: string,
): Promise<ReserveCardActor> {
  return {
    userId: await userId(db, username),
    label: username,
    scope: await expandUnitSubtrees(db, [await unitId(db, rootHsaId)]),
  };
}

/** A reserve-card order of a person of the unit, in the given state, with no card. */
async function addReserveOrder(
  db: AppDatabase,
  unitHsaId: string,
  type: 'reserve_card_loa2' | 'reserve_card_loa3',
  state: OrderState = 'ready',
): Promise<string> {
  const unit = await unitId(db, unitHsaId);
  const person = first(
    await db
      .select({ id: persons.id })
      .from(persons)
      .innerJoin(personUnits, eq(personUnits.personId, persons.id))
      .where(eq(personUnits.unitId, unit))
      .limit(1),
  )!;
  const id = newId();
  await db.insert(orders).values({
    id,
    type,
    state,
    personId: person.id,
    unitId: unit,
    placedByUserId: await userId(db, 'kontakt'),
  });
  return id;
}

async function inStockCard(db: AppDatabase, unitHsaId: string, trustLevel: 2 | 3): Promise<string> {
  return (await listStock(db, await unitId(db, unitHsaId), { state: 'in_stock', trustLevel }))[0]!.id;
}

async function lastAudit(db: AppDatabase, action: string) {
  return first(
    await db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, action))
      .orderBy(desc(auditEvents.id))
      .limit(1),
  );
}

async function cardState(db: AppDatabase, cardId: string) {
  return first(await db.select().from(cards).where(eq(cards.id, cardId)).limit(1))!;
}

describe('reserve-card stock', () => {
  let db: AppDatabase;
  let kontakt: ReserveCardActor;
  beforeEach(async () => {
    db = await seeded(await openTestDatabase());
    kontakt = await contactPerson(db, 'kontakt', sahlgrenska);
  });
  afterEach(async () => {
    await db.close();
  });

  it('registers a card in stock, valid five years, and audits it', async () => {
    const outcome = await registerReserveCard(
      db,
      {
        serial: '9752 0000 0000 0000 007',
        productCode: 'SITHS-RES-3',
        trustLevel: 3,
        unitId: await unitId(db, kardiologi),
      },
      kontakt,
      now,
    );
    expect(outcome.ok).toBe(true);
    const card = first(await db.select().from(cards).where(eq(cards.serial, newSerials[0]!)).limit(1))!;
    expect(card).toMatchObject({ kind: 'reserve', state: 'in_stock', trustLevel: 3, holderPersonId: null });
    expect(card.validTo.getUTCFullYear()).toBe(2031);
    expect(await lastAudit(db, 'reserve_card_register')).toMatchObject({
      outcome: 'success',
      objectId: card.id,
    });
  });

  it.each([
    ['975200000000000000', 'serial_length'],
    ['97520000000000000070', 'serial_length'],
    ['97520000000000000A8', 'serial_digits'],
    ['9752000000000000008', 'serial_check_digit'],
  ])('refuses serial %s (%s), changes nothing and audits the refusal', async (serial, refusal) => {
    const before = (await db.select().from(cards)).length;
    const outcome = await registerReserveCard(
      db,
      { serial, productCode: 'SITHS-RES-2', trustLevel: 2, unitId: await unitId(db, kardiologi) },
      kontakt,
    );
    expect(outcome).toEqual({ ok: false, refusal });
    expect((await db.select().from(cards)).length).toBe(before);
    expect(await lastAudit(db, 'reserve_card_register')).toMatchObject({ outcome: 'refused' });
    expect((await lastAudit(db, 'reserve_card_register'))!.detail).toMatchObject({ reason: refusal });
  });

  it('refuses a duplicate serial, a unit outside the scope, a bad product code and trust level', async () => {
    const card = {
      serial: newSerials[0]!,
      productCode: 'SITHS-RES-2',
      trustLevel: 2,
      unitId: await unitId(db, kardiologi),
    };
    expect((await registerReserveCard(db, card, kontakt)).ok).toBe(true);
    expect(await registerReserveCard(db, card, kontakt)).toEqual({ ok: false, refusal: 'duplicate_serial' });
    const skovdeUnit = await unitId(db, skovde);
    expect(
      await registerReserveCard(db, { ...card, serial: newSerials[1]!, unitId: skovdeUnit }, kontakt),
    ).toEqual({
      ok: false,
      refusal: 'other_unit',
    });
    expect(
      await registerReserveCard(db, { ...card, serial: newSerials[1]!, productCode: 'x' }, kontakt),
    ).toEqual({
      ok: false,
      refusal: 'invalid_product_code',
    });
    expect(
      await registerReserveCard(db, { ...card, serial: newSerials[1]!, trustLevel: 4 }, kontakt),
    ).toEqual({
      ok: false,
      refusal: 'invalid_trust_level',
    });
    const refusals = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'reserve_card_register'), eq(auditEvents.outcome, 'refused')));
    expect(refusals).toHaveLength(4);
  });

  it('reports stock per unit with low-stock warnings, per trust level too', async () => {
    const levels = await stockLevels(db, 'all');
    const orto = levels.find((level) => level.unitHsaId === demoLowStockUnitHsaId)!;
    expect(orto).toMatchObject({ threshold: 5, inStock: { 2: 1, 3: 1 }, total: 2, low: true });
    const akut = levels.find((level) => level.unitHsaId === 'SE2321000131-S000000010112')!;
    expect(akut).toMatchObject({
      inStock: { 2: 5, 3: 3 },
      low: false,
      lowByTrustLevel: { 2: false, 3: false },
    });
    const ownLevels = await stockLevels(db, kontakt.scope);
    expect(ownLevels.map((level) => level.unitHsaId)).not.toContain(demoLowStockUnitHsaId);
    expect(ownLevels).toHaveLength(4);
  });

  it('sets a threshold within scope with before and after in the audit, and refuses other units', async () => {
    const kardio = await unitId(db, kardiologi);
    expect(await setLowStockThreshold(db, { unitId: kardio, threshold: 9 }, kontakt)).toEqual({
      ok: true,
      before: 5,
    });
    expect((await stockLevels(db, [kardio]))[0]).toMatchObject({ threshold: 9, low: true });
    expect((await lastAudit(db, 'low_stock_threshold_set'))!.detail).toEqual({ before: 5, after: 9 });
    expect(
      await setLowStockThreshold(db, { unitId: await unitId(db, skovde), threshold: 1 }, kontakt),
    ).toEqual({
      ok: false,
      refusal: 'other_unit',
    });
    expect(await setLowStockThreshold(db, { unitId: kardio, threshold: -1 }, kontakt)).toEqual({
      ok: false,
      refusal: 'invalid_threshold',
    });
  });

  it('withdraws an in-stock card for good, and refuses a card that is not in stock or not in scope', async () => {
    const cardId = await inStockCard(db, kardiologi, 2);
    expect((await withdrawReserveCard(db, { cardId }, kontakt)).ok).toBe(true);
    expect((await cardState(db, cardId)).state).toBe('revoked');
    expect(await lastAudit(db, 'reserve_card_withdraw')).toMatchObject({
      outcome: 'success',
      objectId: cardId,
    });
    expect((await lastAudit(db, 'reserve_card_withdraw'))!.detail).toMatchObject({ withdrawal: 'withdrawn' });
    expect(await withdrawReserveCard(db, { cardId }, kontakt)).toEqual({
      ok: false,
      refusal: 'card_not_in_stock',
    });
    const skovdeCard = await inStockCard(db, 'SE2321000131-S000000030322', 2);
    expect(await withdrawReserveCard(db, { cardId: skovdeCard }, kontakt)).toEqual({
      ok: false,
      refusal: 'other_unit',
    });
    expect((await cardState(db, skovdeCard)).state).toBe('in_stock');
  });
});

describe('assigning a reserve card to a person ("Aktivera reservkort för person")', () => {
  let db: AppDatabase;
  let kontakt: ReserveCardActor;
  beforeEach(async () => {
    db = await seeded(await openTestDatabase());
    kontakt = await contactPerson(db, 'kontakt', sahlgrenska);
  });
  afterEach(async () => {
    await db.close();
  });

  it('assigns the card to the order person; the order keeps ready, gets the card and an event', async () => {
    const orderId = await addReserveOrder(db, kardiologi, 'reserve_card_loa3');
    expect(
      (await listAssignableOrders(db, kontakt.scope, seesNoProtectedIdentity)).map((order) => order.id),
    ).toContain(orderId);
    const cardId = (await listAssignableCards(db, kontakt.scope, 3, await unitId(db, kardiologi)))[0]!.id;
    const outcome = await assignReserveCard(db, { cardId, orderId }, kontakt, now);
    expect(outcome.ok).toBe(true);
    const order = first(await db.select().from(orders).where(eq(orders.id, orderId)).limit(1))!;
    expect(order).toMatchObject({ state: 'ready', cardId });
    expect(await cardState(db, cardId)).toMatchObject({ state: 'assigned', holderPersonId: order.personId });
    expect(await db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId))).toEqual([
      expect.objectContaining({ fromState: 'ready', toState: 'ready', actorUserId: kontakt.userId }),
    ]);
    expect(await lastAudit(db, 'reserve_card_assign')).toMatchObject({
      outcome: 'success',
      objectId: cardId,
    });
    expect(
      (await listAssignableOrders(db, kontakt.scope, seesNoProtectedIdentity)).map((order) => order.id),
    ).not.toContain(orderId);
  });

  it.each([
    ['trust level mismatch', 'reserve_card_loa3', 'ready', 2, 'trust_level_mismatch'],
    ['order not ready', 'reserve_card_loa2', 'placed', 2, 'order_not_ready'],
    ['order awaiting second approval', 'reserve_card_loa3', 'awaiting_second_approval', 3, 'order_not_ready'],
  ] as const)('refuses a %s, changes nothing, audits it', async (_name, type, state, trustLevel, refusal) => {
    const orderId = await addReserveOrder(db, kardiologi, type, state);
    const cardId = await inStockCard(db, kardiologi, trustLevel);
    expect(await assignReserveCard(db, { cardId, orderId }, kontakt)).toEqual({ ok: false, refusal });
    expect((await cardState(db, cardId)).state).toBe('in_stock');
    expect(first(await db.select().from(orders).where(eq(orders.id, orderId)).limit(1))!.cardId).toBeNull();
    expect(await lastAudit(db, 'reserve_card_assign')).toMatchObject({
      outcome: 'refused',
      objectId: cardId,
    });
  });

  it('refuses a card of another unit and an order of another unit', async () => {
    const orderId = await addReserveOrder(db, kardiologi, 'reserve_card_loa2');
    const skovdeCard = await inStockCard(db, 'SE2321000131-S000000030322', 2);
    expect(await assignReserveCard(db, { cardId: skovdeCard, orderId }, kontakt)).toEqual({
      ok: false,
      refusal: 'other_unit',
    });
    const skovdeOrder = await addReserveOrder(db, 'SE2321000131-S000000030322', 'reserve_card_loa2');
    const ownCard = await inStockCard(db, kardiologi, 2);
    expect(await assignReserveCard(db, { cardId: ownCard, orderId: skovdeOrder }, kontakt)).toEqual({
      ok: false,
      refusal: 'other_unit',
    });
    expect((await lastAudit(db, 'reserve_card_assign'))!.detail).toMatchObject({ reason: 'other_unit' });
  });

  it('refuses a second card for an order that has one, and an unknown card or order', async () => {
    const orderId = await addReserveOrder(db, kardiologi, 'reserve_card_loa2');
    const [one, second] = await listStock(db, await unitId(db, kardiologi), {
      state: 'in_stock',
      trustLevel: 2,
    });
    expect((await assignReserveCard(db, { cardId: one!.id, orderId }, kontakt)).ok).toBe(true);
    expect(await assignReserveCard(db, { cardId: second!.id, orderId }, kontakt)).toEqual({
      ok: false,
      refusal: 'order_has_card',
    });
    expect(await assignReserveCard(db, { cardId: 'nope', orderId }, kontakt)).toEqual({
      ok: false,
      refusal: 'unknown_card',
    });
    expect(await assignReserveCard(db, { cardId: second!.id, orderId: 'nope' }, kontakt)).toEqual({
      ok: false,
      refusal: 'unknown_order',
    });
  });
});

// The worker loads its TypeScript through tsx, as `node --import tsx` would.
const raceWorker = `import('tsx/esm/api').then((tsx) => {
  tsx.register();
  return import(${JSON.stringify(new URL('./reserve-cards.race-worker.ts', import.meta.url).href)});
});`;

describe('two contact persons assigning the same card at the same time', () => {
  let location: TestDatabaseLocation;
  let db: AppDatabase;
  beforeAll(async () => {
    location = await createTestDatabaseLocation();
    db = await seeded(await openDatabase(location.url));
  });
  afterAll(async () => {
    await db.close();
    await location.remove();
  });

  it('lets exactly one of two threads with their own connections win', async () => {
    const kontakt = await contactPerson(db, 'kontakt', sahlgrenska);
    const orderIds = [
      await addReserveOrder(db, kardiologi, 'reserve_card_loa2'),
      await addReserveOrder(db, kardiologi, 'reserve_card_loa2'),
    ];
    const cardId = await inStockCard(db, kardiologi, 2);
    const start = new Int32Array(new SharedArrayBuffer(4));
    const outcomes = await Promise.all(
      orderIds.map(
        (orderId) =>
          new Promise((resolve, reject) => {
            const worker = new Worker(raceWorker, {
              eval: true,
              workerData: { url: location.url, start, input: { cardId, orderId }, actor: kontakt },
            });
            worker.once('message', resolve);
            worker.once('error', reject);
          }),
      ),
    );
    expect(outcomes).toHaveLength(2);
    expect(outcomes.filter((outcome) => (outcome as { ok: boolean }).ok)).toHaveLength(1);
    expect(outcomes).toContainEqual({ ok: false, refusal: 'card_not_in_stock' });
    const assignedTo = await db.select().from(orders).where(eq(orders.cardId, cardId));
    expect(assignedTo).toHaveLength(1);
  });
});
