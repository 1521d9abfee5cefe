import { and, desc, eq, lt } from 'drizzle-orm';
import type { DirectorySyncKind, DirectorySyncMode } from '../protocol/domain-values';
import { recordAudit } from './audit';
import type { AppDatabase, Queryable } from './connection';
import {
  type DirectoryRunReport,
  type DirectorySyncCounts,
  emptyCounts,
  reportCap,
  type StepOutcome,
} from './directory-sync';
import { first, isUniqueViolation } from './engine';
import { newId } from './ids';
import { directorySyncRuns, users } from './schema';

export type DirectorySyncRunRow = typeof directorySyncRuns.$inferSelect;

export interface DirectorySyncRun extends Omit<DirectorySyncRunRow, 'counts' | 'report'> {
  counts: DirectorySyncCounts;
  report: DirectoryRunReport;
}

export function readRun(row: DirectorySyncRunRow): DirectorySyncRun {
  const report = JSON.parse(row.report) as Partial<DirectoryRunReport>;
  return {
    ...row,
    counts: { ...emptyCounts(), ...(JSON.parse(row.counts) as Partial<DirectorySyncCounts>) },
    report: { changes: report.changes ?? [], problems: report.problems ?? [] },
  };
}

export interface RunRequest {
  kind: DirectorySyncKind;
  mode: DirectorySyncMode;
  userId: string | null;
  personsModifiedSince: string | null;
  now: Date;
  /** A running run whose heartbeat is older than this belongs to a process that ended. */
  staleAfterMs: number;
}

export type RunClaim =
  | { claimed: true; run: DirectorySyncRun; resumed: boolean }
  | { claimed: false /** The run that held the slot; it may have ended since. */; running: DirectorySyncRun };

/**
 * Starts a run, or resumes the last apply run when it was interrupted. One run at a time across every
 * process: the partial unique index on state = 'running' settles a race between two starts.
 */
export async function claimRun(db: AppDatabase, request: RunRequest): Promise<RunClaim> {
  await interruptStaleRun(db, request.now, request.staleAfterMs);
  try {
    return await db.transaction(async (tx): Promise<RunClaim> => {
      const interrupted = request.mode === 'apply' ? await interruptedApplyRun(tx) : undefined;
      if (interrupted) {
        const resumed = await tx
          .update(directorySyncRuns)
          .set({ state: 'running', heartbeatAt: request.now, faultCode: null, faultMessage: null })
          .where(and(eq(directorySyncRuns.id, interrupted.id), eq(directorySyncRuns.state, 'interrupted')))
          .returning();
        const row = first(resumed);
        if (row) return { claimed: true, run: readRun(row), resumed: true };
      }
      const row = first(
        await tx
          .insert(directorySyncRuns)
          .values({
            id: newId(),
            kind: request.kind,
            mode: request.mode,
            state: 'running',
            startedByUserId: request.userId,
            personsModifiedSince: request.personsModifiedSince,
            startedAt: request.now,
            heartbeatAt: request.now,
          })
          .returning(),
      );
      if (!row) throw new Error('The sync run was not written.');
      return { claimed: true, run: readRun(row), resumed: false };
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    // The run that held the slot may have finished between the refused insert and this read.
    const running = (await findRunningRun(db)) ?? (await lastActiveRun(db));
    if (!running) throw error;
    return { claimed: false, running };
  }
}

async function interruptStaleRun(db: AppDatabase, now: Date, staleAfterMs: number): Promise<void> {
  await db
    .update(directorySyncRuns)
    .set({
      state: 'interrupted',
      faultCode: 'process_ended',
      faultMessage: 'The process running the sync ended before it finished.',
    })
    .where(
      and(
        eq(directorySyncRuns.state, 'running'),
        lt(directorySyncRuns.heartbeatAt, new Date(now.getTime() - staleAfterMs)),
      ),
    );
}

/** A run resumes its own position, so at most one apply run is ever interrupted: the claim resumes it first. */
async function interruptedApplyRun(q: Queryable): Promise<DirectorySyncRunRow | undefined> {
  return first(
    await q
      .select()
      .from(directorySyncRuns)
      .where(and(eq(directorySyncRuns.mode, 'apply'), eq(directorySyncRuns.state, 'interrupted')))
      .orderBy(desc(directorySyncRuns.startedAt))
      .limit(1),
  );
}

async function lastActiveRun(q: Queryable): Promise<DirectorySyncRun | undefined> {
  const row = first(
    await q.select().from(directorySyncRuns).orderBy(desc(directorySyncRuns.heartbeatAt)).limit(1),
  );
  return row ? readRun(row) : undefined;
}

export async function findRunningRun(q: Queryable): Promise<DirectorySyncRun | undefined> {
  const row = first(
    await q.select().from(directorySyncRuns).where(eq(directorySyncRuns.state, 'running')).limit(1),
  );
  return row && readRun(row);
}

export async function findRun(q: Queryable, runId: string): Promise<DirectorySyncRun | undefined> {
  const row = first(await q.select().from(directorySyncRuns).where(eq(directorySyncRuns.id, runId)).limit(1));
  return row && readRun(row);
}

export interface DirectorySyncRunListItem extends DirectorySyncRun {
  /** The display name of who started it; null for the schedule. */
  startedBy: string | null;
}

export async function listRuns(q: Queryable, limit: number): Promise<DirectorySyncRunListItem[]> {
  const rows = await q
    .select({ run: directorySyncRuns, startedBy: users.displayName })
    .from(directorySyncRuns)
    .leftJoin(users, eq(users.id, directorySyncRuns.startedByUserId))
    .orderBy(desc(directorySyncRuns.startedAt))
    .limit(limit);
  return rows.map((row) => ({ ...readRun(row.run), startedBy: row.startedBy }));
}

/** The last run that applied the whole directory or the changes since the one before: the watermark's source. */
export async function lastCompletedApplyRun(
  q: Queryable,
  kind?: DirectorySyncKind,
): Promise<DirectorySyncRun | undefined> {
  const row = first(
    await q
      .select()
      .from(directorySyncRuns)
      .where(
        and(
          eq(directorySyncRuns.mode, 'apply'),
          eq(directorySyncRuns.state, 'completed'),
          kind ? eq(directorySyncRuns.kind, kind) : undefined,
        ),
      )
      .orderBy(desc(directorySyncRuns.startedAt))
      .limit(1),
  );
  return row && readRun(row);
}

export async function lastCompletedPreview(q: Queryable): Promise<DirectorySyncRun | undefined> {
  const row = first(
    await q
      .select()
      .from(directorySyncRuns)
      .where(and(eq(directorySyncRuns.mode, 'preview'), eq(directorySyncRuns.state, 'completed')))
      .orderBy(desc(directorySyncRuns.startedAt))
      .limit(1),
  );
  return row && readRun(row);
}

/**
 * Adds a step's outcome to the run and moves its position, in the step's own transaction: a batch and the
 * position after it are written together or not at all.
 */
export async function recordRunProgress(
  q: Queryable,
  runId: string,
  outcome: StepOutcome,
  progress: { now: Date; resumeAfterHsaId?: string },
): Promise<void> {
  const row = first(await q.select().from(directorySyncRuns).where(eq(directorySyncRuns.id, runId)).limit(1));
  if (!row) throw new Error(`The sync run ${runId} is gone.`);
  const run = readRun(row);
  const counts = { ...run.counts };
  for (const key of Object.keys(counts) as (keyof DirectorySyncCounts)[]) {
    counts[key] += outcome.counts[key];
  }
  const report: DirectoryRunReport = {
    changes: [...run.report.changes, ...outcome.changes].slice(0, reportCap),
    problems: [...run.report.problems, ...outcome.problems].slice(0, reportCap),
  };
  await q
    .update(directorySyncRuns)
    .set({
      counts: JSON.stringify(counts),
      report: JSON.stringify(report),
      heartbeatAt: progress.now,
      ...(progress.resumeAfterHsaId ? { resumeAfterHsaId: progress.resumeAfterHsaId } : {}),
    })
    .where(eq(directorySyncRuns.id, runId));
}

export type RunEnd =
  | { state: 'completed'; newestModifyTimestamp: string | null }
  | { state: 'failed' | 'interrupted'; faultCode: string; faultMessage: string };

/** Ends a run and audits it, with the counts it reached; `actorLabel` names who started it. */
export async function finishRun(
  db: AppDatabase,
  runId: string,
  end: RunEnd,
  now: Date,
  actorLabel: string,
): Promise<DirectorySyncRun> {
  return db.transaction(async (tx) => {
    const row = first(
      await tx
        .update(directorySyncRuns)
        .set({
          state: end.state,
          finishedAt: end.state === 'interrupted' ? null : now,
          heartbeatAt: now,
          ...(end.state === 'completed'
            ? { newestModifyTimestamp: end.newestModifyTimestamp, faultCode: null, faultMessage: null }
            : { faultCode: end.faultCode, faultMessage: end.faultMessage }),
        })
        .where(eq(directorySyncRuns.id, runId))
        .returning(),
    );
    if (!row) throw new Error(`The sync run ${runId} is gone.`);
    const run = readRun(row);
    await recordAudit(tx, {
      actorUserId: run.startedByUserId,
      actorLabel,
      action: `directory_sync_${end.state}`,
      objectType: 'directory_sync_run',
      objectId: run.id,
      outcome: end.state === 'completed' ? 'success' : 'failed',
      detail: {
        kind: run.kind,
        mode: run.mode,
        counts: run.counts,
        ...(end.state === 'completed' ? {} : { faultCode: end.faultCode }),
      },
    });
    return run;
  });
}
