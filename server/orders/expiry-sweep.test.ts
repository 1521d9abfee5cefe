import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppDatabase } from '../../db/connection';
import { first } from '../../db/engine';
import { expireStaleOrders, placeOrder } from '../../db/orders';
import { orderEvents, orders, users } from '../../db/schema';
import { demoPersons, seedDemoData } from '../../db/seed';
import { openTestDatabase } from '../../test-support/test-database';
import { createLogger } from '../logger';
import { type OrderExpirySweep, startOrderExpirySweep } from './expiry-sweep';

const placedAt = new Date('2026-01-15T10:00:00Z');
const hourMs = 60 * 60_000;
let db: AppDatabase;
let clock: Date;
let sweep: OrderExpirySweep | undefined;

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  db = await openTestDatabase();
  await seedDemoData(db, { hashPassword: async (password) => `fake$${password}`, now: placedAt });
  clock = placedAt;
});

afterEach(async () => {
  await sweep?.stop();
  sweep = undefined;
  vi.useRealTimers();
  await db.close();
});

async function placeCarinasOrder(): Promise<string> {
  const chef = first(await db.select().from(users).where(eq(users.username, 'chef')).limit(1))!;
  const result = await placeOrder(db, {
    actor: { userId: chef.id, label: 'chef' },
    personIdentifier: demoPersons.carina.hsaId,
    type: 'mobile',
    scope: 'all',
    now: placedAt,
  });
  if (!result.ok) throw new Error(result.reason);
  return result.orderId;
}

const stateOf = async (orderId: string) =>
  first(await db.select().from(orders).where(eq(orders.id, orderId)).limit(1))!.state;

describe('order expiry sweep', () => {
  it('expires an unfulfilled order on the first sweep after three months, and not before', async () => {
    const orderId = await placeCarinasOrder();
    sweep = await startOrderExpirySweep({
      db,
      logger: createLogger('silent'),
      now: () => clock,
      intervalMs: hourMs,
    });

    clock = new Date('2026-04-15T09:30:00Z');
    vi.advanceTimersByTime(hourMs);
    await sweep.idle();
    expect(await stateOf(orderId)).toBe('placed');

    clock = new Date('2026-04-15T10:30:00Z');
    vi.advanceTimersByTime(hourMs);
    await sweep.idle();
    expect(await stateOf(orderId)).toBe('expired');
  });

  it('runs at start and on demand, and not after it is stopped', async () => {
    clock = new Date('2026-05-01T00:00:00Z');
    sweep = await startOrderExpirySweep({
      db,
      logger: createLogger('silent'),
      now: () => clock,
      intervalMs: hourMs,
    });
    const orderId = await placeCarinasOrder();
    await sweep.stop();
    vi.advanceTimersByTime(10 * hourMs);
    await sweep.idle();
    expect(await stateOf(orderId)).toBe('placed');
    expect(await sweep.runOnce()).toBe(1);
    expect(await stateOf(orderId)).toBe('expired');
  });

  it('run by several processes at once, expires each order once, with one event', async () => {
    const carinas = await placeCarinasOrder();
    const expiredEvents = async () =>
      (
        await db
          .select({ orderId: orderEvents.orderId })
          .from(orderEvents)
          .where(eq(orderEvents.toState, 'expired'))
      ).map((event) => event.orderId);
    const before = await expiredEvents();
    clock = new Date('2026-05-01T00:00:00Z');
    const counts = await Promise.all([
      expireStaleOrders(db, clock),
      expireStaleOrders(db, clock),
      expireStaleOrders(db, clock),
    ]);
    // An order expired before cannot expire again: every event of an order not among those is new.
    const added = (await expiredEvents()).filter((orderId) => !before.includes(orderId));
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(added.length);
    expect(new Set(added).size).toBe(added.length);
    expect(added).toContain(carinas);
    expect(await stateOf(carinas)).toBe('expired');
  });
});
