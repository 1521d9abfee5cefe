import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../test-support/test-database';
import type { AppDatabase } from './connection';
import { createReminderWorld, daysFrom, type ReminderWorld } from './reminder-test-fixtures';
import {
  claimLowStockCrossing,
  claimReminder,
  clearRecoveredStockReminders,
  contactPersonsByUnit,
  dueCardExpiries,
  dueEidExpiries,
  dueNotActivatedReserveCards,
  dueOrderExpiries,
  isoWeekPeriod,
  unitsNewlyLowOnStock,
} from './reminders';
import { cards, eids } from './schema';
import { countTodo, listExpiringEids, listExpiringOrders, listLowStockUnits } from './todo-list';

const now = new Date('2026-03-02T09:00:00Z');
let db: AppDatabase;
let world: ReminderWorld;

beforeEach(async () => {
  db = await openTestDatabase();
  world = await createReminderWorld(db, now);
});

afterEach(async () => {
  await db.close();
});

describe('what is due', () => {
  it('selects active eIDs and cards in use that expire within 30 days, and nothing later, earlier or out of use', async () => {
    const soon = await world.card({
      unitId: world.units.akut,
      holder: world.persons.carina,
      state: 'active',
      validTo: daysFrom(now, 10),
    });
    const soonEid = await world.eid({
      personId: world.persons.carina,
      cardId: soon.id,
      validTo: daysFrom(now, 10),
    });
    const later = await world.card({
      unitId: world.units.akut,
      holder: world.persons.carina,
      state: 'active',
      validTo: daysFrom(now, 31),
    });
    await world.eid({ personId: world.persons.carina, cardId: later.id, validTo: daysFrom(now, 31) });
    const gone = await world.card({
      unitId: world.units.akut,
      holder: world.persons.olof,
      state: 'locked',
      validTo: daysFrom(now, 20),
    });
    await world.eid({ personId: world.persons.olof, cardId: gone.id, validTo: daysFrom(now, -1) });
    const revokedEid = await world.eid({
      personId: world.persons.olof,
      cardId: gone.id,
      validTo: daysFrom(now, 5),
    });
    await db
      .update(eids)
      .set({ state: 'revoked', revokedAt: now, revocationReason: 'lost' })
      .where(eq(eids.id, revokedEid));
    await world.card({
      unitId: world.units.akut,
      holder: null,
      state: 'in_stock',
      validTo: daysFrom(now, 5),
    });

    expect((await dueEidExpiries(db, now)).map((eid) => eid.subjectId)).toEqual([soonEid]);
    expect((await dueCardExpiries(db, now)).map((card) => [card.subjectId, card.period]).sort()).toEqual(
      [
        [soon.id, '2026-03-12'],
        [gone.id, '2026-03-22'],
      ].sort(),
    );
  });

  it('selects open orders 14 days before their three months run out, with the placer', async () => {
    const due = await world.order({
      personId: world.persons.carina,
      unitId: world.units.akut,
      placedBy: world.users.chef,
      createdAt: new Date('2025-12-10T08:00:00Z'),
    });
    await world.order({
      personId: world.persons.carina,
      unitId: world.units.akut,
      placedBy: world.users.chef,
      createdAt: new Date('2026-01-20T08:00:00Z'),
    });
    await world.order({
      personId: world.persons.carina,
      unitId: world.units.akut,
      placedBy: world.users.chef,
      createdAt: new Date('2025-11-30T08:00:00Z'),
    });
    const byAdmin = await world.order({
      personId: world.persons.olof,
      unitId: world.units.skovde,
      placedBy: world.users.admin,
      createdAt: new Date('2025-12-05T08:00:00Z'),
    });

    const found = await dueOrderExpiries(db, now);
    expect(found.map((order) => order.subjectId).sort()).toEqual([due, byAdmin].sort());
    const ofChef = found.find((order) => order.subjectId === due);
    expect(ofChef).toMatchObject({
      period: '2026-03-10',
      placer: { givenName: 'Anna', surname: 'Bergström' },
    });
    expect(found.find((order) => order.subjectId === byAdmin)?.placer).toBeNull();
  });

  it('selects reserve cards assigned 30 days ago or more and still not activated', async () => {
    const old = await world.card({
      unitId: world.units.akut,
      holder: world.persons.carina,
      state: 'assigned',
      updatedAt: daysFrom(now, -31),
    });
    await world.card({
      unitId: world.units.akut,
      holder: world.persons.carina,
      state: 'assigned',
      updatedAt: daysFrom(now, -10),
    });
    expect((await dueNotActivatedReserveCards(db, now)).map((card) => card.subjectId)).toEqual([old.id]);
  });
});

describe('once per period', () => {
  it('sends a reminder once per subject and period, and again for a new expiry date', async () => {
    const card = await world.card({
      unitId: world.units.akut,
      holder: world.persons.carina,
      state: 'active',
      validTo: daysFrom(now, 10),
    });
    const [due] = await dueCardExpiries(db, now);
    const key = { kind: 'card_expiring' as const, subjectId: card.id, period: due!.period };

    expect(await claimReminder(db, key, now)).toBe(true);
    expect(await claimReminder(db, key, now)).toBe(false);
    expect(await dueCardExpiries(db, now)).toEqual([]);

    await db
      .update(cards)
      .set({ validTo: daysFrom(now, 20) })
      .where(eq(cards.id, card.id));
    expect((await dueCardExpiries(db, now)).map((found) => found.period)).toEqual(['2026-03-22']);
  });

  it('names the digest period after the ISO week', () => {
    expect(isoWeekPeriod(new Date('2026-03-02T09:00:00Z'))).toBe('2026-W10');
    expect(isoWeekPeriod(new Date('2027-01-01T09:00:00Z'))).toBe('2026-W53');
    expect(isoWeekPeriod(new Date('2024-12-30T09:00:00Z'))).toBe('2025-W01');
  });
});

describe('low stock, once per crossing', () => {
  it('reminds when the stock goes under the threshold, not again until it has recovered and gone under anew', async () => {
    const first = await world.card({ unitId: world.units.akut, holder: null, state: 'in_stock' });
    expect((await unitsNewlyLowOnStock(db)).map((unit) => unit.unitId).sort()).toEqual(
      [world.units.akut, world.units.skovde].sort(),
    );

    expect(await claimLowStockCrossing(db, world.units.akut, now)).toBe(true);
    expect(await claimLowStockCrossing(db, world.units.akut, now)).toBe(false);
    expect((await unitsNewlyLowOnStock(db)).map((unit) => unit.unitId)).toEqual([world.units.skovde]);
    expect(await clearRecoveredStockReminders(db)).toEqual([]);

    const second = await world.card({ unitId: world.units.akut, holder: null, state: 'in_stock' });
    expect(await clearRecoveredStockReminders(db)).toEqual([world.units.akut]);
    expect((await unitsNewlyLowOnStock(db)).map((unit) => unit.unitId)).toEqual([world.units.skovde]);

    await db
      .update(cards)
      .set({ state: 'assigned', holderPersonId: world.persons.carina })
      .where(eq(cards.id, second.id));
    expect((await unitsNewlyLowOnStock(db)).map((unit) => unit.unitId)).toContain(world.units.akut);
    expect(await claimLowStockCrossing(db, world.units.akut, daysFrom(now, 1))).toBe(true);
    expect(first.id).not.toBe(second.id);
  });
});

describe('scoping', () => {
  it('lists for the Att göra page only what lies in the units in scope', async () => {
    const card = await world.card({
      unitId: world.units.akut,
      holder: world.persons.carina,
      state: 'active',
      validTo: daysFrom(now, 10),
    });
    await world.eid({ personId: world.persons.carina, cardId: card.id, validTo: daysFrom(now, 10) });
    await world.order({
      personId: world.persons.carina,
      unitId: world.units.akut,
      placedBy: world.users.chef,
      createdAt: new Date('2025-12-10T08:00:00Z'),
    });
    const sahlgrenskaScope = [world.units.sahlgrenska, world.units.akut];
    const skovdeScope = [world.units.skovde];

    expect(await listExpiringEids(db, sahlgrenskaScope, now)).toHaveLength(1);
    expect(await listExpiringEids(db, skovdeScope, now)).toEqual([]);
    expect(await listExpiringOrders(db, skovdeScope, now)).toEqual([]);
    expect((await listLowStockUnits(db, skovdeScope)).map((unit) => unit.unitId)).toEqual([
      world.units.skovde,
    ]);
    expect(await countTodo(db, sahlgrenskaScope, now)).toEqual({
      expiringEids: 1,
      expiringCards: 1,
      lowStockUnits: 1,
      expiringOrders: 1,
      notActivatedReserveCards: 0,
    });
    expect(await countTodo(db, skovdeScope, now)).toEqual({
      expiringEids: 0,
      expiringCards: 0,
      lowStockUnits: 1,
      expiringOrders: 0,
      notActivatedReserveCards: 0,
    });
    expect(await countTodo(db, [], now)).toMatchObject({ lowStockUnits: 0 });
  });

  it("finds a unit's contact persons at the unit and above it, not those of other units", async () => {
    const contactPersonsOf = await contactPersonsByUnit(db);
    expect(contactPersonsOf(world.units.akut).map((person) => person.userId)).toEqual([world.users.kontakt]);
    expect(contactPersonsOf(world.units.skovde).map((person) => person.userId)).toEqual([
      world.users.kontaktSkovde,
    ]);
  });
});
