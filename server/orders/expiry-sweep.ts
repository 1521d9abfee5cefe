import type { AppDatabase } from '../../db/connection';
import { expireStaleOrders } from '../../db/orders';
import type { Logger } from '../logger';

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
  runOnce(): number;
  stop(): void;
}

/** Expires orders not fulfilled within three months: once at start, then every `intervalMs`. */
export function startOrderExpirySweep({
  db,
  logger,
  now = () => new Date(),
  intervalMs = 60 * 60_000,
}: OrderExpirySweepOptions): OrderExpirySweep {
  const runOnce = () => {
    const expired = expireStaleOrders(db, now());
    if (expired > 0) logger.info({ expired }, 'orders expired after three months');
    return expired;
  };
  const sweep = () => {
    try {
      runOnce();
    } catch (error) {
      // A failed sweep (a locked database, say) must not take the server down; the next one retries.
      logger.error({ err: error }, 'order expiry sweep failed');
    }
  };
  sweep();
  const timer = setInterval(sweep, intervalMs);
  timer.unref();
  return { runOnce, stop: () => clearInterval(timer) };
}
