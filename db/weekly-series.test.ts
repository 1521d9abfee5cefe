import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../test-support/test-database';
import type { AppDatabase } from './connection';
import { newId } from './ids';
import { cards, orders, persons, units, users } from './schema';
import {
  isoWeekOf,
  lastWeekStarts,
  ordersPlacedPerWeek,
  reserveStockPerWeek,
  weekStartOf,
} from './weekly-series';

const now = new Date('2026-03-04T12:00:00Z');
const day = 86_400_000;

let db: AppDatabase;

beforeEach(async () => {
  db = await openTestDatabase();
});

afterEach(async () => {
  await db.close();
});

describe('weeks', () => {
  it('starts weeks on Monday and numbers them as ISO 8601 does', () => {
    expect(weekStartOf(now).toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(isoWeekOf(now)).toBe(10);
    expect(isoWeekOf(new Date('2021-01-03T00:00:00Z'))).toBe(53);
    expect(lastWeekStarts(now, 12)).toHaveLength(12);
    expect(lastWeekStarts(now, 12)[0]!.toISOString()).toBe('2025-12-15T00:00:00.000Z');
  });
});

describe('reserve stock per week', () => {
  it('counts a card from its registration until it left stock, only in scope', async () => {
    await db.insert(units).values({ id: 'u1', hsaId: 'SE1', name: 'Enhet', organisation: 'Org' });
    const card = async (
      serial: string,
      state: 'in_stock' | 'revoked',
      createdDaysAgo: number,
      updatedDaysAgo: number,
    ) =>
      await db.insert(cards).values({
        id: newId(),
        serial,
        kind: 'reserve',
        productCode: 'SITHS-RES-2',
        trustLevel: 2,
        state,
        holderPersonId: null,
        unitId: 'u1',
        validFrom: new Date(now.getTime() - createdDaysAgo * day),
        validTo: new Date(now.getTime() + 1000 * day),
        createdAt: new Date(now.getTime() - createdDaysAgo * day),
        updatedAt: new Date(now.getTime() - updatedDaysAgo * day),
      });
    await card('9752000000000000007', 'in_stock', 100, 100);
    await card('9752000000000000015', 'in_stock', 1, 1);
    await card('9752000000000000023', 'revoked', 100, 20);
    const series = await reserveStockPerWeek(db, 'all', now);
    expect(series.map((week) => week.value)).toEqual([2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2]);
    expect((await reserveStockPerWeek(db, [], now)).every((week) => week.value === 0)).toBe(true);
    expect((await reserveStockPerWeek(db, ['other'], now)).every((week) => week.value === 0)).toBe(true);
    expect((await ordersPlacedPerWeek(db, 'all', now)).every((week) => week.value === 0)).toBe(true);
  });
});

describe('orders per week', () => {
  it('puts each order in the week it was placed, only in scope', async () => {
    await db.insert(units).values({ id: 'u1', hsaId: 'SE1', name: 'Enhet', organisation: 'Org' });
    await db.insert(persons).values({ id: 'p1', hsaId: 'TST-1', givenName: 'Anna', surname: 'Berg' });
    await db.insert(users).values({ id: 'c1', username: 'chef', displayName: 'Chef' });
    const order = async (daysAgo: number) =>
      await db.insert(orders).values({
        id: newId(),
        type: 'mobile',
        personId: 'p1',
        unitId: 'u1',
        placedByUserId: 'c1',
        createdAt: new Date(now.getTime() - daysAgo * day - 3_600_123),
      });
    for (const daysAgo of [0, 1, 9, 30, 30, 200]) await order(daysAgo);
    const values = (await ordersPlacedPerWeek(db, 'all', now)).map((week) => week.value);
    expect(values).toEqual([0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 1, 2]);
    expect((await ordersPlacedPerWeek(db, ['other'], now)).every((week) => week.value === 0)).toBe(true);
  });
});
