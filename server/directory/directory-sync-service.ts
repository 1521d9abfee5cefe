import type { AppDatabase, Queryable } from '../../db/connection';
import { DirectoryFault, type DirectorySnapshot, type DirectorySource } from '../../db/directory-entries';
import {
  emptyCounts,
  findLeavers,
  markGoneUnits,
  markLeavers,
  reportCap,
  type StepOutcome,
  type SyncContext,
  syncPersonBatch,
  syncUnits,
} from '../../db/directory-sync';
import {
  claimRun,
  type DirectorySyncRun,
  finishRun,
  lastCompletedApplyRun,
  lastCompletedPreview,
  recordRunProgress,
} from '../../db/directory-sync-runs';
import { compareHsaIds, type ValidatedDirectory, validateDirectory } from '../../db/directory-validation';
import type { DirectorySyncKind, DirectorySyncMode } from '../../protocol/domain-values';
import type { Logger } from '../logger';

export interface DirectorySyncOptions {
  db: AppDatabase;
  source: DirectorySource;
  logger: Logger;
  now?: () => Date;
  /** Persons per transaction. */
  batchSize?: number;
  /** A running run without a heartbeat for this long belongs to a process that ended (default 5 minutes). */
  staleAfterMs?: number;
  /** How far before the last watermark an incremental read starts: entries changed during a long read. */
  watermarkOverlapMs?: number;
  idFor?: SyncContext['idFor'];
  /** Called after each batch of persons is committed; tests end a run here as a dying process would. */
  afterBatch?: (batchNumber: number) => void | Promise<void>;
}

export interface SyncRequest {
  mode: DirectorySyncMode;
  /** Null: the schedule. */
  userId: string | null;
  actorLabel: string;
  /** Default: full for a person's request and for the first run, incremental for the schedule. */
  kind?: DirectorySyncKind;
  /**
   * The first run may be applied without a preview: the installer knows the directory (the demo loads its
   * own region). A person's first run always goes through the preview.
   */
  firstRunConfirmed?: boolean;
}

export type SyncStart =
  | { started: true; run: DirectorySyncRun; finished: Promise<DirectorySyncRun> }
  | { started: false; reason: 'busy'; running: DirectorySyncRun }
  /** No run has applied the directory yet, and no preview of it was looked at. */
  | { started: false; reason: 'preview_first' };

export interface DirectorySync {
  /** Claims a run and carries it out in the background (`finished` settles when it has ended). */
  start(request: SyncRequest): Promise<SyncStart>;
  /** Settles when no run started by this process is going on. */
  idle(): Promise<void>;
}

export function createDirectorySync(options: DirectorySyncOptions): DirectorySync {
  const now = options.now ?? (() => new Date());
  const batchSize = options.batchSize ?? 1_000;
  const running = new Set<Promise<unknown>>();

  const start = async (request: SyncRequest): Promise<SyncStart> => {
    const lastApply = await lastCompletedApplyRun(options.db);
    if (
      request.mode === 'apply' &&
      !lastApply &&
      !request.firstRunConfirmed &&
      !(request.userId && (await lastCompletedPreview(options.db)))
    ) {
      return { started: false, reason: 'preview_first' };
    }
    const kind = request.kind ?? (lastApply && request.userId === null ? 'incremental' : 'full');
    const claim = await claimRun(options.db, {
      kind,
      mode: request.mode,
      userId: request.userId,
      personsModifiedSince:
        kind === 'incremental' && lastApply?.newestModifyTimestamp
          ? earlierGeneralizedTime(lastApply.newestModifyTimestamp, options.watermarkOverlapMs ?? 5 * 60_000)
          : null,
      now: now(),
      staleAfterMs: options.staleAfterMs ?? 5 * 60_000,
    });
    if (!claim.claimed) return { started: false, reason: 'busy', running: claim.running };
    const finished = carryOut(claim.run, request.actorLabel, claim.resumed);
    running.add(finished);
    void finished.finally(() => running.delete(finished)).catch(() => undefined);
    return { started: true, run: claim.run, finished };
  };

  const carryOut = async (
    run: DirectorySyncRun,
    actorLabel: string,
    resumed: boolean,
  ): Promise<DirectorySyncRun> => {
    const log = options.logger.child({
      component: 'directory-sync',
      runId: run.id,
      kind: run.kind,
      mode: run.mode,
    });
    let snapshot: DirectorySnapshot;
    try {
      snapshot = await options.source.read({ personsModifiedSince: run.personsModifiedSince });
    } catch (error) {
      const fault =
        error instanceof DirectoryFault ? error : new DirectoryFault('search_failed', messageOf(error));
      log.warn({ code: fault.code, reason: fault.message }, 'directory sync could not read the directory');
      return finishRun(
        options.db,
        run.id,
        // A resumed run keeps its position for the next attempt.
        { state: resumed ? 'interrupted' : 'failed', faultCode: fault.code, faultMessage: fault.message },
        now(),
        actorLabel,
      );
    }
    try {
      const validated = validateDirectory(snapshot, now());
      await applyValidated(run, validated);
      const finished = await finishRun(
        options.db,
        run.id,
        { state: 'completed', newestModifyTimestamp: snapshot.newestModifyTimestamp },
        now(),
        actorLabel,
      );
      log.info({ counts: finished.counts }, 'directory sync completed');
      return finished;
    } catch (error) {
      log.error({ err: error }, 'directory sync interrupted');
      return finishRun(
        options.db,
        run.id,
        { state: 'interrupted', faultCode: 'interrupted', faultMessage: messageOf(error) },
        now(),
        actorLabel,
      );
    }
  };

  const applyValidated = async (run: DirectorySyncRun, validated: ValidatedDirectory) => {
    const write = run.mode === 'apply';
    const context: SyncContext = { runId: run.id, now: now(), write, idFor: options.idFor };
    const inStep = <T>(step: (q: Queryable) => Promise<T>): Promise<T> =>
      write ? options.db.transaction((tx) => step(tx)) : step(options.db);

    const { unitIdsByHsaId } = await inStep(async (q) => {
      const units = await syncUnits(q, validated.units, context);
      if (!run.resumeAfterHsaId) {
        const problems = problemsOutcome(validated);
        units.outcome.counts.problems = problems.counts.problems;
        units.outcome.problems = problems.problems;
      }
      await recordRunProgress(q, run.id, units.outcome, { now: now() });
      return units;
    });

    const resumeAfter = run.resumeAfterHsaId;
    const remaining = resumeAfter
      ? validated.persons.filter((person) => compareHsaIds(person.hsaId, resumeAfter) > 0)
      : validated.persons;
    for (let start = 0, batchNumber = 1; start < remaining.length; start += batchSize, batchNumber += 1) {
      const batch = remaining.slice(start, start + batchSize);
      const last = batch[batch.length - 1]?.hsaId;
      await inStep(async (q) => {
        const outcome = await syncPersonBatch(q, batch, unitIdsByHsaId, context);
        await recordRunProgress(q, run.id, outcome, {
          now: now(),
          ...(write && last ? { resumeAfterHsaId: last } : {}),
        });
      });
      await options.afterBatch?.(batchNumber);
    }
    if (run.kind !== 'full') return;
    const seenPersons = new Set([
      ...validated.persons.map((person) => person.hsaId),
      ...validated.heldBackPersonHsaIds,
    ]);
    const seenUnits = new Set([
      ...validated.units.map((unit) => unit.hsaId),
      ...validated.heldBackUnitHsaIds,
    ]);
    const leavers = await findLeavers(options.db, seenPersons);
    await inStep(async (q) => {
      await recordRunProgress(q, run.id, await markGoneUnits(q, context, seenUnits), { now: now() });
    });
    for (let start = 0; start < leavers.length; start += batchSize) {
      await inStep(async (q) => {
        const outcome = await markLeavers(q, context, leavers.slice(start, start + batchSize));
        await recordRunProgress(q, run.id, outcome, { now: now() });
      });
    }
  };

  return {
    start,
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}

function problemsOutcome(validated: ValidatedDirectory): StepOutcome {
  const counts = emptyCounts();
  counts.problems = validated.problems.length;
  return { counts, changes: [], problems: validated.problems.slice(0, reportCap) };
}

/** `20261203081500Z` minus `ms`, in the same form; the directory compares these as times. */
export function earlierGeneralizedTime(value: string, ms: number): string {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})/.exec(value);
  if (!match) return value;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  const shifted = new Date(Date.UTC(year as number, (month as number) - 1, day, hour, minute, second) - ms);
  const pad = (part: number) => String(part).padStart(2, '0');
  return `${shifted.getUTCFullYear()}${pad(shifted.getUTCMonth() + 1)}${pad(shifted.getUTCDate())}${pad(
    shifted.getUTCHours(),
  )}${pad(shifted.getUTCMinutes())}${pad(shifted.getUTCSeconds())}Z`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
