import type { AppDatabase } from '../../db/connection';
import { expireStaleOrders } from '../../db/orders';
import type { Logger } from '../logger';
import { startPeriodicTask } from '../periodic-task';

export interface OrderExpirySweepOptions {
  db: AppDatabase;
  logger: Logger;
  /** The clock; tests pass their own. */
  now?: () => Date;
  /** How often the sweep runs; an hour by default (expiry is counted in months). */
  intervalMs?: number;
}

export interface OrderExpirySweep {
  /** Expires what is due now and returns how many orders it expired. */
  runOnce(): Promise<number>;
  /** Settles when the timer's sweep that is running, if any, has ended. */
  idle(): Promise<void>;
  /** Stops the timer and waits for a sweep still running. */
  stop(): Promise<void>;
}

/** Expires orders not fulfilled within three months: once at start, then every `intervalMs`. */
export async function startOrderExpirySweep({
  db,
  logger,
  now = () => new Date(),
  intervalMs = 60 * 60_000,
}: OrderExpirySweepOptions): Promise<OrderExpirySweep> {
  const runOnce = async () => {
    const expired = await expireStaleOrders(db, now());
    if (expired > 0) logger.info({ expired }, 'orders expired after three months');
    return expired;
  };
  const task = await startPeriodicTask({
    logger,
    failureMessage: 'order expiry sweep failed',
    intervalMs,
    run: runOnce,
    firstRun: 'wait',
  });
  return { runOnce, idle: task.idle, stop: task.stop };
}
