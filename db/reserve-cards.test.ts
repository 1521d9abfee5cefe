import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { and, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AppDatabase, openDatabase, openMigratedDatabase } from './connection';
import { newId } from './ids';
import {
  assignReserveCard,
  listAssignableCards,
  listAssignableOrders,
  listStock,
  type ReserveCardActor,
  registerReserveCard,
  setLowStockThreshold,
  stockLevels,
  withdrawReserveCard,
} from './reserve-cards';
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

async function seeded(path = ':memory:'): Promise<AppDatabase> {
  const db = openMigratedDatabase(path);
  await seedDemoData(db, { hashPassword: fakeHash, now });
  return db;
}

function unitId(db: AppDatabase, hsaId: string): string {
  return db.select().from(units).where(eq(units.hsaId, hsaId)).get()!.id;
}

function userId(db: AppDatabase, username: string): string {
  return db.select().from(users).where(eq(users.username, username)).get()!.id;
}

function contactPerson(db: AppDatabase, username: string, rootHsaId: string): ReserveCardActor {
  return {
    userId: userId(db, username),
    label: username,
    scope: expandUnitSubtrees(db, [unitId(db, rootHsaId)]),
  };
}

/** A reserve-card order of a person of the unit, in the given state, with no card. */
function addReserveOrder(
  db: AppDatabase,
  unitHsaId: string,
  type: 'reserve_card_loa2' | 'reserve_card_loa3',
  state: OrderState = 'ready',
): string {
  const unit = unitId(db, unitHsaId);
  const person = db
    .select({ id: persons.id })
    .from(persons)
    .innerJoin(personUnits, eq(personUnits.personId, persons.id))
    .where(eq(personUnits.unitId, unit))
    .get()!;
  const id = newId();
  db.insert(orders)
    .values({ id, type, state, personId: person.id, unitId: unit, placedByUserId: userId(db, 'kontakt') })
    .run();
  return id;
}

function inStockCard(db: AppDatabase, unitHsaId: string, trustLevel: 2 | 3): string {
  return listStock(db, unitId(db, unitHsaId), { state: 'in_stock', trustLevel })[0]!.id;
}

function lastAudit(db: AppDatabase, action: string) {
  return db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.action, action))
    .orderBy(desc(auditEvents.id))
    .get();
}

function cardState(db: AppDatabase, cardId: string) {
  return db.select().from(cards).where(eq(cards.id, cardId)).get()!;
}

describe('reserve-card stock', () => {
  let db: AppDatabase;
  let kontakt: ReserveCardActor;
  beforeEach(async () => {
    db = await seeded();
    kontakt = contactPerson(db, 'kontakt', sahlgrenska);
  });

  it('registers a card in stock, valid five years, and audits it', () => {
    const outcome = registerReserveCard(
      db,
      {
        serial: '9752 0000 0000 0000 007',
        productCode: 'SITHS-RES-3',
        trustLevel: 3,
        unitId: unitId(db, kardiologi),
      },
      kontakt,
      now,
    );
    expect(outcome.ok).toBe(true);
    const card = db.select().from(cards).where(eq(cards.serial, newSerials[0]!)).get()!;
    expect(card).toMatchObject({ kind: 'reserve', state: 'in_stock', trustLevel: 3, holderPersonId: null });
    expect(card.validTo.getUTCFullYear()).toBe(2031);
    expect(lastAudit(db, 'reserve_card_register')).toMatchObject({ outcome: 'success', objectId: card.id });
  });

  it.each([
    ['975200000000000000', 'serial_length'],
    ['97520000000000000070', 'serial_length'],
    ['97520000000000000A8', 'serial_digits'],
    ['9752000000000000008', 'serial_check_digit'],
  ])('refuses serial %s (%s), changes nothing and audits the refusal', (serial, refusal) => {
    const before = db.select().from(cards).all().length;
    const outcome = registerReserveCard(
      db,
      { serial, productCode: 'SITHS-RES-2', trustLevel: 2, unitId: unitId(db, kardiologi) },
      kontakt,
    );
    expect(outcome).toEqual({ ok: false, refusal });
    expect(db.select().from(cards).all().length).toBe(before);
    expect(lastAudit(db, 'reserve_card_register')).toMatchObject({ outcome: 'refused' });
    expect(lastAudit(db, 'reserve_card_register')!.detail).toMatchObject({ reason: refusal });
  });

  it('refuses a duplicate serial, a unit outside the scope, a bad product code and trust level', () => {
    const card = {
      serial: newSerials[0]!,
      productCode: 'SITHS-RES-2',
      trustLevel: 2,
      unitId: unitId(db, kardiologi),
    };
    expect(registerReserveCard(db, card, kontakt).ok).toBe(true);
    expect(registerReserveCard(db, card, kontakt)).toEqual({ ok: false, refusal: 'duplicate_serial' });
    const skovdeUnit = unitId(db, skovde);
    expect(registerReserveCard(db, { ...card, serial: newSerials[1]!, unitId: skovdeUnit }, kontakt)).toEqual(
      {
        ok: false,
        refusal: 'other_unit',
      },
    );
    expect(registerReserveCard(db, { ...card, serial: newSerials[1]!, productCode: 'x' }, kontakt)).toEqual({
      ok: false,
      refusal: 'invalid_product_code',
    });
    expect(registerReserveCard(db, { ...card, serial: newSerials[1]!, trustLevel: 4 }, kontakt)).toEqual({
      ok: false,
      refusal: 'invalid_trust_level',
    });
    const refusals = db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'reserve_card_register'), eq(auditEvents.outcome, 'refused')))
      .all();
    expect(refusals).toHaveLength(4);
  });

  it('reports stock per unit with low-stock warnings, per trust level too', () => {
    const levels = stockLevels(db, 'all');
    const orto = levels.find((level) => level.unitHsaId === demoLowStockUnitHsaId)!;
    expect(orto).toMatchObject({ threshold: 5, inStock: { 2: 1, 3: 1 }, total: 2, low: true });
    const akut = levels.find((level) => level.unitHsaId === 'SE2321000131-S000000010112')!;
    expect(akut).toMatchObject({
      inStock: { 2: 5, 3: 3 },
      low: false,
      lowByTrustLevel: { 2: false, 3: false },
    });
    const ownLevels = stockLevels(db, kontakt.scope);
    expect(ownLevels.map((level) => level.unitHsaId)).not.toContain(demoLowStockUnitHsaId);
    expect(ownLevels).toHaveLength(4);
  });

  it('sets a threshold within scope with before and after in the audit, and refuses other units', () => {
    const kardio = unitId(db, kardiologi);
    expect(setLowStockThreshold(db, { unitId: kardio, threshold: 9 }, kontakt)).toEqual({
      ok: true,
      before: 5,
    });
    expect(stockLevels(db, [kardio])[0]).toMatchObject({ threshold: 9, low: true });
    expect(lastAudit(db, 'low_stock_threshold_set')!.detail).toEqual({ before: 5, after: 9 });
    expect(setLowStockThreshold(db, { unitId: unitId(db, skovde), threshold: 1 }, kontakt)).toEqual({
      ok: false,
      refusal: 'other_unit',
    });
    expect(setLowStockThreshold(db, { unitId: kardio, threshold: -1 }, kontakt)).toEqual({
      ok: false,
      refusal: 'invalid_threshold',
    });
  });

  it('withdraws an in-stock card for good, and refuses a card that is not in stock or not in scope', () => {
    const cardId = inStockCard(db, kardiologi, 2);
    expect(withdrawReserveCard(db, { cardId }, kontakt).ok).toBe(true);
    expect(cardState(db, cardId).state).toBe('revoked');
    expect(lastAudit(db, 'reserve_card_withdraw')).toMatchObject({ outcome: 'success', objectId: cardId });
    expect(lastAudit(db, 'reserve_card_withdraw')!.detail).toMatchObject({ withdrawal: 'withdrawn' });
    expect(withdrawReserveCard(db, { cardId }, kontakt)).toEqual({ ok: false, refusal: 'card_not_in_stock' });
    const skovdeCard = inStockCard(db, 'SE2321000131-S000000030322', 2);
    expect(withdrawReserveCard(db, { cardId: skovdeCard }, kontakt)).toEqual({
      ok: false,
      refusal: 'other_unit',
    });
    expect(cardState(db, skovdeCard).state).toBe('in_stock');
  });
});

describe('assigning a reserve card to a person ("Aktivera reservkort för person")', () => {
  let db: AppDatabase;
  let kontakt: ReserveCardActor;
  beforeEach(async () => {
    db = await seeded();
    kontakt = contactPerson(db, 'kontakt', sahlgrenska);
  });

  it('assigns the card to the order person; the order keeps ready, gets the card and an event', () => {
    const orderId = addReserveOrder(db, kardiologi, 'reserve_card_loa3');
    expect(listAssignableOrders(db, kontakt.scope).map((order) => order.id)).toContain(orderId);
    const cardId = listAssignableCards(db, kontakt.scope, 3, unitId(db, kardiologi))[0]!.id;
    const outcome = assignReserveCard(db, { cardId, orderId }, kontakt, now);
    expect(outcome.ok).toBe(true);
    const order = db.select().from(orders).where(eq(orders.id, orderId)).get()!;
    expect(order).toMatchObject({ state: 'ready', cardId });
    expect(cardState(db, cardId)).toMatchObject({ state: 'assigned', holderPersonId: order.personId });
    expect(db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId)).all()).toEqual([
      expect.objectContaining({ fromState: 'ready', toState: 'ready', actorUserId: kontakt.userId }),
    ]);
    expect(lastAudit(db, 'reserve_card_assign')).toMatchObject({ outcome: 'success', objectId: cardId });
    expect(listAssignableOrders(db, kontakt.scope).map((order) => order.id)).not.toContain(orderId);
  });

  it.each([
    ['trust level mismatch', 'reserve_card_loa3', 'ready', 2, 'trust_level_mismatch'],
    ['order not ready', 'reserve_card_loa2', 'placed', 2, 'order_not_ready'],
    ['order awaiting second approval', 'reserve_card_loa3', 'awaiting_second_approval', 3, 'order_not_ready'],
  ] as const)('refuses a %s, changes nothing, audits it', (_name, type, state, trustLevel, refusal) => {
    const orderId = addReserveOrder(db, kardiologi, type, state);
    const cardId = inStockCard(db, kardiologi, trustLevel);
    expect(assignReserveCard(db, { cardId, orderId }, kontakt)).toEqual({ ok: false, refusal });
    expect(cardState(db, cardId).state).toBe('in_stock');
    expect(db.select().from(orders).where(eq(orders.id, orderId)).get()!.cardId).toBeNull();
    expect(lastAudit(db, 'reserve_card_assign')).toMatchObject({ outcome: 'refused', objectId: cardId });
  });

  it('refuses a card of another unit and an order of another unit', () => {
    const orderId = addReserveOrder(db, kardiologi, 'reserve_card_loa2');
    const skovdeCard = inStockCard(db, 'SE2321000131-S000000030322', 2);
    expect(assignReserveCard(db, { cardId: skovdeCard, orderId }, kontakt)).toEqual({
      ok: false,
      refusal: 'other_unit',
    });
    const skovdeOrder = addReserveOrder(db, 'SE2321000131-S000000030322', 'reserve_card_loa2');
    const ownCard = inStockCard(db, kardiologi, 2);
    expect(assignReserveCard(db, { cardId: ownCard, orderId: skovdeOrder }, kontakt)).toEqual({
      ok: false,
      refusal: 'other_unit',
    });
    expect(lastAudit(db, 'reserve_card_assign')!.detail).toMatchObject({ reason: 'other_unit' });
  });

  it('refuses a second card for an order that has one, and an unknown card or order', () => {
    const orderId = addReserveOrder(db, kardiologi, 'reserve_card_loa2');
    const [first, second] = listStock(db, unitId(db, kardiologi), { state: 'in_stock', trustLevel: 2 });
    expect(assignReserveCard(db, { cardId: first!.id, orderId }, kontakt).ok).toBe(true);
    expect(assignReserveCard(db, { cardId: second!.id, orderId }, kontakt)).toEqual({
      ok: false,
      refusal: 'order_has_card',
    });
    expect(assignReserveCard(db, { cardId: 'nope', orderId }, kontakt)).toEqual({
      ok: false,
      refusal: 'unknown_card',
    });
    expect(assignReserveCard(db, { cardId: second!.id, orderId: 'nope' }, kontakt)).toEqual({
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
  let directory: string;
  let path: string;
  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'reserve-race-'));
    path = join(directory, 'race.sqlite');
    (await seeded(path)).$client.close();
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('lets exactly one of two threads with their own connections win', async () => {
    const db = openDatabase(path);
    const kontakt = contactPerson(db, 'kontakt', sahlgrenska);
    const orderIds = [
      addReserveOrder(db, kardiologi, 'reserve_card_loa2'),
      addReserveOrder(db, kardiologi, 'reserve_card_loa2'),
    ];
    const cardId = inStockCard(db, kardiologi, 2);
    const start = new Int32Array(new SharedArrayBuffer(4));
    const outcomes = await Promise.all(
      orderIds.map(
        (orderId) =>
          new Promise((resolve, reject) => {
            const worker = new Worker(raceWorker, {
              eval: true,
              workerData: { path, start, input: { cardId, orderId }, actor: kontakt },
            });
            worker.once('message', resolve);
            worker.once('error', reject);
          }),
      ),
    );
    expect(outcomes).toHaveLength(2);
    expect(outcomes.filter((outcome) => (outcome as { ok: boolean }).ok)).toHaveLength(1);
    expect(outcomes).toContainEqual({ ok: false, refusal: 'card_not_in_stock' });
    const assignedTo = db.select().from(orders).where(eq(orders.cardId, cardId)).all();
    expect(assignedTo).toHaveLength(1);
    db.$client.close();
  });
});
