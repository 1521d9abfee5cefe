import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AppDatabase, openMigratedDatabase } from '../../db/connection';
import { placeOrder } from '../../db/orders';
import { orders, users } from '../../db/schema';
import { demoPersons, seedDemoData } from '../../db/seed';
import { createLogger } from '../logger';
import { type OrderExpirySweep, startOrderExpirySweep } from './expiry-sweep';

const placedAt = new Date('2026-01-15T10:00:00Z');
const hourMs = 60 * 60_000;
let db: AppDatabase;
let clock: Date;
let sweep: OrderExpirySweep | undefined;

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  db = openMigratedDatabase(':memory:');
  await seedDemoData(db, { hashPassword: async (password) => `fake$${password}`, now: placedAt });
  clock = placedAt;
});

afterEach(() => {
  sweep?.stop();
  vi.useRealTimers();
});

function placeCarinasOrder(): string {
  const chef = db.select().from(users).where(eq(users.username, 'chef')).get()!;
  const result = placeOrder(db, {
    actor: { userId: chef.id, label: 'chef' },
    personIdentifier: demoPersons.carina.hsaId,
    type: 'mobile',
    scope: 'all',
    now: placedAt,
  });
  if (!result.ok) throw new Error(result.reason);
  return result.orderId;
}

const stateOf = (orderId: string) => db.select().from(orders).where(eq(orders.id, orderId)).get()!.state;

describe('order expiry sweep', () => {
  it('expires an unfulfilled order on the first sweep after three months, and not before', () => {
    const orderId = placeCarinasOrder();
    sweep = startOrderExpirySweep({
      db,
      logger: createLogger('silent'),
      now: () => clock,
      intervalMs: hourMs,
    });

    clock = new Date('2026-04-15T09:30:00Z');
    vi.advanceTimersByTime(hourMs);
    expect(stateOf(orderId)).toBe('placed');

    clock = new Date('2026-04-15T10:30:00Z');
    vi.advanceTimersByTime(hourMs);
    expect(stateOf(orderId)).toBe('expired');
  });

  it('runs at start and on demand, and not after it is stopped', () => {
    clock = new Date('2026-05-01T00:00:00Z');
    sweep = startOrderExpirySweep({
      db,
      logger: createLogger('silent'),
      now: () => clock,
      intervalMs: hourMs,
    });
    const orderId = placeCarinasOrder();
    sweep.stop();
    vi.advanceTimersByTime(10 * hourMs);
    expect(stateOf(orderId)).toBe('placed');
    expect(sweep.runOnce()).toBe(1);
    expect(stateOf(orderId)).toBe('expired');
  });
});
