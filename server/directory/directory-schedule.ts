import type { AppDatabase } from '../../db/connection';
import { lastCompletedApplyRun } from '../../db/directory-sync-runs';
import type { Logger } from '../logger';
import { startPeriodicTask } from '../periodic-task';
import type { DirectorySync } from './directory-sync-service';

export interface DirectoryScheduleOptions {
  db: AppDatabase;
  sync: DirectorySync;
  logger: Logger;
  now?: () => Date;
  /** How often the schedule looks: an incremental run each time, a full one when the last is older than `fullEveryMs`. */
  intervalMs: number;
  fullEveryMs: number;
}

export interface DirectorySchedule {
  /** One tick: starts the run that is due, if any, and waits for it. */
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Keeps siths-desk in step with the directory. Nothing runs until a system administrator has applied the
 * first run (after its preview); an interrupted run is resumed by the next tick, in whichever process.
 */
export async function startDirectorySchedule(options: DirectoryScheduleOptions): Promise<DirectorySchedule> {
  const now = options.now ?? (() => new Date());
  const runOnce = async () => {
    const lastApply = await lastCompletedApplyRun(options.db);
    if (!lastApply) return;
    const lastFull = await lastCompletedApplyRun(options.db, 'full');
    const fullDue = !lastFull || now().getTime() - lastFull.startedAt.getTime() >= options.fullEveryMs;
    const start = await options.sync.start({
      mode: 'apply',
      userId: null,
      actorLabel: 'directory_sync',
      kind: fullDue ? 'full' : 'incremental',
    });
    if (start.started) await start.finished;
  };
  const task = await startPeriodicTask({
    logger: options.logger,
    failureMessage: 'directory sync schedule failed',
    intervalMs: options.intervalMs,
    run: runOnce,
    firstRun: 'none',
  });
  return {
    runOnce,
    async stop() {
      await task.stop();
      await options.sync.idle();
    },
  };
}
