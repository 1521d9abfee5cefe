import type { AppDatabase } from '../../db/connection';
import { reminderKinds } from '../../db/schema';
import type { Logger } from '../logger';
import type { ReminderMailSettings } from '../mail/reminder-templates';
import { startPeriodicTask } from '../periodic-task';
import { type PassCount, reminderPasses } from './reminder-kinds';

export interface ReminderSweepOptions {
  db: AppDatabase;
  logger: Logger;
  mail: ReminderMailSettings;
  /** Has the mail sender look at the outbox; called after a sweep that queued mail. */
  onMailQueued?: () => void;
  /** The clock; tests pass their own. */
  now?: () => Date;
  /** How often the sweep runs; an hour by default (reminders are counted in days). */
  intervalMs?: number;
}

export type ReminderSweepResult = Record<(typeof reminderKinds)[number], PassCount>;

export interface ReminderSweep {
  /** Sends every reminder due now, each once, and says how many of each kind went out. */
  runOnce(): Promise<ReminderSweepResult>;
  /** Settles when the timer's sweep that is running, if any, has ended. */
  idle(): Promise<void>;
  /** Stops the timer and waits for a sweep still running. */
  stop(): Promise<void>;
}

/**
 * Sends the reminders through the mail outbox: once at start, then every `intervalMs`. Several processes
 * may sweep at once; the database lets each reminder out once.
 */
export async function startReminderSweep({
  db,
  logger,
  mail,
  onMailQueued = () => {},
  now = () => new Date(),
  intervalMs = 60 * 60_000,
}: ReminderSweepOptions): Promise<ReminderSweep> {
  const runOnce = async () => {
    const at = now();
    const result = {} as ReminderSweepResult;
    for (const kind of reminderKinds) result[kind] = await reminderPasses[kind]({ db, now: at, mail });
    const mails = Object.values(result).reduce((sum, count) => sum + count.mails, 0);
    if (mails > 0) {
      logger.info({ reminders: result }, 'reminders queued');
      onMailQueued();
    }
    return result;
  };
  const task = await startPeriodicTask({
    logger,
    failureMessage: 'reminder sweep failed',
    intervalMs,
    run: runOnce,
    firstRun: 'background',
  });
  return { runOnce, idle: task.idle, stop: task.stop };
}
