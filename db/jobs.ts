import { and, desc, eq, gte, inArray, isNull, like, or, type SQL, sql } from 'drizzle-orm';
import type { JobError, JobKind, JobState, StepReport } from '../protocol/jobs';
import type { JobDetail, JobHolder, JobListFilter, JobStepView, JobView } from '../protocol/support-events';
import type { AppDatabase } from './connection';
import { type DatabaseEngine, engineOf, first, queryRows, runStatement } from './engine';
import { newId } from './ids';
import {
  findableBy,
  type IdentityViewer,
  reshownTo,
  seesNoProtectedIdentity,
  shownTo,
} from './protected-identity';
import {
  type AuthOrderPurpose,
  agents,
  authOrders,
  cards,
  type IssuedCardCertificates,
  type JobExchangeProgress,
  jobSteps,
  jobs,
  persons,
  personUnits,
  units,
} from './schema';

export interface NewJob {
  kind: JobKind;
  agentId: string;
  agentSessionId: string;
  readerName: string | null;
  cardSerial: string | null;
  personId: string | null;
  /** Null for a job a Mina sidor auth order started before anyone is logged in (a card login). */
  createdByUserId: string | null;
  createdBySessionId: string | null;
  retryOfJobId?: string | null;
  authOrderId?: string | null;
  eidOrderId?: string | null;
  assistedUnlockId?: string | null;
  challenge?: string | null;
  /** When the job fails unless its agent answers the offer first. */
  deadlineAt?: Date | null;
}

export type JobRow = typeof jobs.$inferSelect;

export async function createJob(db: AppDatabase, input: NewJob, at: Date): Promise<string> {
  const id = newId();
  await db.insert(jobs).values({
    id,
    ...input,
    retryOfJobId: input.retryOfJobId ?? null,
    authOrderId: input.authOrderId ?? null,
    eidOrderId: input.eidOrderId ?? null,
    assistedUnlockId: input.assistedUnlockId ?? null,
    challenge: input.challenge ?? null,
    deadlineAt: input.deadlineAt ?? null,
    state: 'queued',
    createdAt: at,
    updatedAt: at,
  });
  return id;
}

export async function findJob(db: AppDatabase, jobId: string): Promise<JobRow | undefined> {
  return first(await db.select().from(jobs).where(eq(jobs.id, jobId)).limit(1));
}

/** The newest job an auth order started (a retry by support is a newer one). */
export async function findLatestJobOfAuthOrder(
  db: AppDatabase,
  authOrderId: string,
): Promise<JobRow | undefined> {
  return first(
    await db
      .select()
      .from(jobs)
      .where(eq(jobs.authOrderId, authOrderId))
      .orderBy(desc(jobs.createdAt))
      .limit(1),
  );
}

/** Whether a job of `kind` for the card is queued or running. */
export async function hasUnfinishedJobForCard(
  db: AppDatabase,
  kind: JobKind,
  cardSerial: string,
): Promise<boolean> {
  return (
    first(
      await db
        .select({ id: jobs.id })
        .from(jobs)
        .where(
          and(
            eq(jobs.kind, kind),
            eq(jobs.cardSerial, cardSerial),
            inArray(jobs.state, ['queued', 'running']),
          ),
        )
        .limit(1),
    ) !== undefined
  );
}

export async function storeIssuedCertificates(
  db: AppDatabase,
  jobId: string,
  certificates: IssuedCardCertificates,
): Promise<void> {
  await db.update(jobs).set({ issuedCertificates: certificates }).where(eq(jobs.id, jobId));
}

/** Adds to what the job's card has proved in its exchanges (read with the job's row by whichever process). */
export async function recordExchangeProgress(
  db: AppDatabase,
  job: JobRow,
  progress: JobExchangeProgress,
): Promise<void> {
  await db
    .update(jobs)
    .set({ exchangeProgress: { ...job.exchangeProgress, ...progress } })
    .where(eq(jobs.id, job.id));
}

/**
 * The card signed this job's challenge with its own key: from now on the job may act on that card. The
 * first proof stands; a job the server assigned a card to records only that card.
 */
export async function recordProvenCardSerial(
  db: AppDatabase,
  jobId: string,
  cardSerial: string,
): Promise<void> {
  await db
    .update(jobs)
    .set({ provenCardSerial: cardSerial })
    .where(
      and(
        eq(jobs.id, jobId),
        isNull(jobs.provenCardSerial),
        or(isNull(jobs.cardSerial), eq(jobs.cardSerial, cardSerial)),
      ),
    );
}

/** The serial a finished job may change a card's state for: assigned by the server or proven by the card. */
export function trustedCardSerial(job: JobRow): string | null {
  return job.cardSerial ?? job.provenCardSerial;
}

const unfinished = inArray(jobs.state, ['queued', 'running']);

export async function listUnfinishedJobs(db: AppDatabase): Promise<JobRow[]> {
  return await db.select().from(jobs).where(unfinished);
}

export async function markJobRunning(
  db: AppDatabase,
  jobId: string,
  at: Date,
  deadlineAt: Date,
): Promise<void> {
  await db
    .update(jobs)
    .set({ state: 'running', deadlineAt, updatedAt: at })
    .where(and(eq(jobs.id, jobId), unfinished));
}

/**
 * Which connection holds the job: the one whose reports it accepts. `held` names the connection the writer
 * believes holds it now (null: none), so a process that lost the job to another cannot take it back.
 * Returns whether the row changed.
 */
export async function assignJobToAgentSession(
  db: AppDatabase,
  jobId: string,
  change: { held: string | null; to: string | null; deadlineAt: Date },
  at: Date,
): Promise<boolean> {
  const changed = await db
    .update(jobs)
    .set({ agentSessionId: change.to, deadlineAt: change.deadlineAt, updatedAt: at })
    .where(and(eq(jobs.id, jobId), unfinished, heldBy(change.held)))
    .returning({ id: jobs.id });
  return changed.length === 1;
}

function heldBy(agentSessionId: string | null) {
  return agentSessionId === null ? isNull(jobs.agentSessionId) : eq(jobs.agentSessionId, agentSessionId);
}

/**
 * A new connection of the agent takes over the unfinished jobs it still runs (named in its hello), wherever
 * they were held before: one agent has one live connection, so any earlier one is gone or being closed.
 */
export async function takeOverAgentJobs(
  db: AppDatabase,
  input: { agentId: string; agentSessionId: string; jobIds: readonly string[]; deadlineAt: Date },
  at: Date,
): Promise<JobRow[]> {
  if (input.jobIds.length === 0) return [];
  return await db
    .update(jobs)
    .set({ agentSessionId: input.agentSessionId, deadlineAt: input.deadlineAt, updatedAt: at })
    .where(and(inArray(jobs.id, [...input.jobIds]), eq(jobs.agentId, input.agentId), unfinished))
    .returning();
}

/** Unfinished jobs whose deadline passed before `before`, oldest deadline first. */
export async function listOverdueJobs(db: AppDatabase, before: Date, limit: number): Promise<JobRow[]> {
  return await db
    .select()
    .from(jobs)
    .where(and(unfinished, sql`${jobs.deadlineAt} < ${before.getTime()}`))
    .orderBy(jobs.deadlineAt)
    .limit(limit);
}

/** Ends a job unless it has already ended; returns whether this call ended it. */
export async function finishJob(
  db: AppDatabase,
  jobId: string,
  input: {
    state: Exclude<JobState, 'queued' | 'running'>;
    error?: JobError | null;
    lastSequence?: number;
    /** Only while this connection (null: none) holds the job: a process that lost it ends nothing. */
    heldBy?: string | null;
    /** Only while this deadline stands: a job that moved on since it was found overdue keeps running. */
    deadlineAt?: Date | null;
  },
  at: Date,
): Promise<boolean> {
  const ended = await db
    .update(jobs)
    .set({
      state: input.state,
      errorCode: input.error?.code ?? null,
      errorMessage: input.error?.message ?? null,
      finishedAt: at,
      updatedAt: at,
      deadlineAt: null,
      ...(input.state === 'succeeded' ? { progress: 100 } : {}),
      ...(input.lastSequence !== undefined ? { lastSequence: input.lastSequence } : {}),
    })
    .where(
      and(
        eq(jobs.id, jobId),
        unfinished,
        input.heldBy === undefined ? undefined : heldBy(input.heldBy),
        input.deadlineAt === undefined
          ? undefined
          : input.deadlineAt === null
            ? isNull(jobs.deadlineAt)
            : eq(jobs.deadlineAt, input.deadlineAt),
      ),
    )
    .returning({ id: jobs.id });
  return ended.length === 1;
}

/** What one batch of step reports changes on one job: the reports in order, folded into one update. */
interface JobProgressUpdate {
  lastSequence: number;
  currentStep: string;
  /** The progress of the batch's last succeeded step, if it has one. */
  progress?: number;
  readerName?: string;
  reportedCardSerial?: string;
}

function foldStepReports(reports: readonly StepReport[]): Map<string, JobProgressUpdate> {
  const updates = new Map<string, JobProgressUpdate>();
  for (const report of reports) {
    const update: JobProgressUpdate = updates.get(report.jobId) ?? {
      lastSequence: report.sequence,
      currentStep: report.step,
    };
    update.lastSequence = Math.max(update.lastSequence, report.sequence);
    update.currentStep = report.step;
    if (report.status === 'succeeded') update.progress = report.progress;
    const readerName = report.card?.readerName ?? null;
    if (readerName !== null) update.readerName = readerName;
    const cardSerial = report.card?.cardSerial ?? null;
    if (cardSerial !== null) update.reportedCardSerial = cardSerial;
    updates.set(report.jobId, update);
  }
  return updates;
}

/**
 * One UPDATE ... FROM for every job of a batch, its rows handed over as one JSON parameter that each engine
 * unpacks into a table. A statement per job capped PostgreSQL at ~500 steps/s (a round trip and drizzle's
 * query building each); a UNION ALL of one select per job took 480 ms for 500 jobs there (planning the
 * casts of 3,500 parameters), the JSON rows 30 ms. Each job gets its highest sequence, latest step, last
 * succeeded progress (a job that has ended keeps its final one), last reader and card seen, new deadline.
 */
function jobProgressUpdate(
  engine: DatabaseEngine,
  updates: ReadonlyMap<string, JobProgressUpdate>,
  deadlines: ReadonlyMap<string, Date> | undefined,
  at: Date,
  /** Limits the update to the jobs of this subquery's rows. */
  onlyJobsIn?: SQL,
): SQL {
  const rows = JSON.stringify(
    [...updates].map(([jobId, update]) => ({
      id: jobId,
      last_sequence: update.lastSequence,
      current_step: update.currentStep,
      progress: update.progress ?? null,
      reader_name: update.readerName ?? null,
      reported_card_serial: update.reportedCardSerial ?? null,
      deadline_at: deadlines?.get(jobId)?.getTime() ?? null,
    })),
  );
  const batchRows = {
    postgres: sql`json_to_recordset(${rows}::json) as v(id text, last_sequence integer, current_step text,
      progress integer, reader_name text, reported_card_serial text, deadline_at bigint)`,
    sqlite: sql`(select value ->> 'id' as id, value ->> 'last_sequence' as last_sequence,
      value ->> 'current_step' as current_step, value ->> 'progress' as progress,
      value ->> 'reader_name' as reader_name, value ->> 'reported_card_serial' as reported_card_serial,
      value ->> 'deadline_at' as deadline_at from json_each(${rows})) as v`,
  }[engine];
  // Only jobs with a step stored now change: that step comes after every stored one (the engine keeps
  // the order), so the batch's latest report is the job's latest even when it re-sends stored ones.
  return sql`update jobs set
      last_sequence = case when jobs.last_sequence > v.last_sequence then jobs.last_sequence else v.last_sequence end,
      current_step = v.current_step,
      progress = case when v.progress is null or jobs.state not in ('queued', 'running') then jobs.progress
        else v.progress end,
      reader_name = coalesce(v.reader_name, jobs.reader_name),
      reported_card_serial = coalesce(v.reported_card_serial, jobs.reported_card_serial),
      deadline_at = coalesce(v.deadline_at, jobs.deadline_at),
      updated_at = ${at.getTime()}
    from ${batchRows}
    where jobs.id = v.id${onlyJobsIn ? sql` and v.id in ${onlyJobsIn}` : sql``}`;
}

/** SQLite allows 32,766 bound parameters a statement (PostgreSQL more): 500 rows of eight columns stay well below. */
const stepRowsPerInsert = 500;

/** A step is known by its job and sequence: the same report sent twice is one step. */
export const stepKey = (step: { jobId: string; sequence: number }) => `${step.jobId}#${step.sequence}`;

/**
 * Appends step reports: the hot path of the job engine, which has already checked their order. The steps go
 * in together, and each job of the batch gets one update with what its reports say together (latest step,
 * highest sequence, last succeeded progress, last reader and card seen). A report whose job and sequence are
 * stored already is left as stored: a process that took a job over may be sent again what the previous one
 * stored just before it died. A job that has ended keeps its final progress. The card serial in a report is
 * the agent's word: it is kept as reported, never as the job's card. Resolves with the keys (`stepKey`) of
 * the reports stored now.
 *
 * On PostgreSQL it is one statement (the insert and the update as parts of one query): a transaction of
 * four round trips, each waiting for the server, was most of a step's way to support under load.
 */
export function createStepStore(db: AppDatabase) {
  /** `deadlines`: each job's new deadline, set with its update. */
  async function append(
    reports: readonly StepReport[],
    at: Date,
    deadlines?: ReadonlyMap<string, Date>,
  ): Promise<Set<string>> {
    if (reports.length === 0) return new Set();
    const updates = foldStepReports(reports);
    const inserted =
      engineOf(db) === 'postgres'
        ? await queryRows<{ jobId: string; sequence: number }>(
            db,
            appendOnPostgres(reports, updates, deadlines, at),
          )
        : await appendOnSqlite(db, reports, updates, deadlines, at);
    return new Set(inserted.map(stepKey));
  }
  return { append };
}

function stepDetail(report: StepReport): {
  card: StepReport['card'] | null;
  error: StepReport['error'] | null;
} {
  return { card: report.card ?? null, error: report.error ?? null };
}

function appendOnSqlite(
  db: AppDatabase,
  reports: readonly StepReport[],
  updates: ReadonlyMap<string, JobProgressUpdate>,
  deadlines: ReadonlyMap<string, Date> | undefined,
  at: Date,
): Promise<Array<{ jobId: string; sequence: number }>> {
  const rows = reports.map((report) => ({
    jobId: report.jobId,
    sequence: report.sequence,
    step: report.step,
    outcome: report.status,
    at: new Date(report.at),
    durationMs: report.durationMs ?? null,
    progress: report.progress,
    detail: stepDetail(report),
  }));
  return db.transaction(async (tx) => {
    const inserted: Array<{ jobId: string; sequence: number }> = [];
    for (let index = 0; index < rows.length; index += stepRowsPerInsert) {
      inserted.push(
        ...(await tx
          .insert(jobSteps)
          .values(rows.slice(index, index + stepRowsPerInsert))
          .onConflictDoNothing()
          .returning({ jobId: jobSteps.jobId, sequence: jobSteps.sequence })),
      );
    }
    const jobsWithNewSteps = new Set(inserted.map((step) => step.jobId));
    const changed = new Map([...updates].filter(([jobId]) => jobsWithNewSteps.has(jobId)));
    if (changed.size > 0) await runStatement(tx, jobProgressUpdate('sqlite', changed, deadlines, at));
    return inserted;
  });
}

/** PostgreSQL runs every part of a WITH that changes data, once, whether the query reads it or not. */
function appendOnPostgres(
  reports: readonly StepReport[],
  updates: ReadonlyMap<string, JobProgressUpdate>,
  deadlines: ReadonlyMap<string, Date> | undefined,
  at: Date,
): SQL {
  const steps = JSON.stringify(
    reports.map((report) => ({
      job_id: report.jobId,
      sequence: report.sequence,
      step: report.step,
      outcome: report.status,
      detail: JSON.stringify(stepDetail(report)),
      at: report.at,
      duration_ms: report.durationMs ?? null,
      progress: report.progress,
    })),
  );
  return sql`with stored as (
      insert into job_steps (job_id, sequence, step, outcome, detail, at, duration_ms, progress)
      select job_id, sequence, step, outcome, detail, at, duration_ms, progress
      from json_to_recordset(${steps}::json) as r(job_id text, sequence integer, step text, outcome text,
        detail text, at bigint, duration_ms integer, progress integer)
      on conflict do nothing
      returning job_id, sequence
    ), progress_update as (
      ${jobProgressUpdate('postgres', updates, deadlines, at, sql`(select job_id from stored)`)}
    )
    select job_id as "jobId", sequence from stored`;
}

const jobViewColumns = {
  job: jobs,
  agentName: agents.name,
  orderPurpose: authOrders.purpose,
  holderPersonId: persons.id,
  holderGivenName: persons.givenName,
  holderSurname: persons.surname,
  holderHsaId: persons.hsaId,
  holderProtected: persons.protectedIdentity,
};

type JobViewRow = {
  job: JobRow;
  agentName: string | null;
  orderPurpose: AuthOrderPurpose | null;
  holderPersonId: string | null;
  holderGivenName: string | null;
  holderSurname: string | null;
  holderHsaId: string | null;
  holderProtected: boolean | null;
};

async function unitsByPerson(
  db: AppDatabase,
  personIds: string[],
): Promise<Map<string, Array<{ id: string; name: string }>>> {
  const byPerson = new Map<string, Array<{ id: string; name: string }>>();
  if (personIds.length === 0) return byPerson;
  const rows = await db
    .select({ personId: personUnits.personId, id: units.id, name: units.name })
    .from(personUnits)
    .innerJoin(units, eq(units.id, personUnits.unitId))
    .where(inArray(personUnits.personId, personIds));
  for (const { personId, id, name } of rows)
    byPerson.set(personId, [...(byPerson.get(personId) ?? []), { id, name }]);
  return byPerson;
}

/** What an authenticate job is for, as its order says (and as the agent was told: see offerDetails). */
export function authenticatePurposeOf(
  kind: string,
  orderPurpose: AuthOrderPurpose | null,
): NonNullable<JobView['purpose']> | null {
  if (kind !== 'authenticate') return null;
  return orderPurpose === 'reserve_registration' || orderPurpose === 'sign_decision' ? orderPurpose : 'login';
}

async function toJobViews(db: AppDatabase, rows: JobViewRow[], viewer: IdentityViewer): Promise<JobView[]> {
  const personUnitsById = await unitsByPerson(db, [
    ...new Set(rows.flatMap((row) => (row.holderPersonId ? [row.holderPersonId] : []))),
  ]);
  return rows.map((row) => {
    const { job, agentName, holderPersonId, holderGivenName, holderSurname, holderHsaId } = row;
    const holder =
      holderPersonId === null || holderGivenName === null
        ? null
        : shownTo(viewer, row.holderProtected ?? false, {
            name: `${holderGivenName} ${holderSurname}`,
            hsaId: holderHsaId ?? '',
            units: personUnitsById.get(holderPersonId) ?? [],
          });
    return {
      jobId: job.id,
      kind: job.kind as JobKind,
      purpose: authenticatePurposeOf(job.kind, row.orderPurpose),
      state: job.state,
      agentId: job.agentId,
      agentSessionId: job.agentSessionId,
      agentName,
      holder,
      readerName: job.readerName,
      cardSerial: trustedCardSerial(job),
      reportedCardSerial: job.reportedCardSerial,
      currentStep: job.currentStep,
      progress: job.progress,
      errorCode: job.errorCode,
      errorMessage: job.errorMessage,
      retryOfJobId: job.retryOfJobId,
      createdAt: job.createdAt.getTime(),
      updatedAt: job.updatedAt.getTime(),
      finishedAt: job.finishedAt?.getTime() ?? null,
    };
  });
}

/**
 * The person a job is about, as the server knows it (never the agent's word): the one the job was started
 * for, else the one its order resolved to (the person a card login proved, a registered reserve card's),
 * else the one its order expects, else the holder of the card the server assigned or that proved itself in
 * the job.
 */
const jobPersonId = sql`coalesce(${jobs.personId}, ${authOrders.personId}, ${authOrders.expectedPersonId}, ${cards.holderPersonId})`;

function jobViewQuery(db: AppDatabase) {
  return db
    .select(jobViewColumns)
    .from(jobs)
    .leftJoin(agents, eq(agents.id, jobs.agentId))
    .leftJoin(authOrders, eq(authOrders.id, jobs.authOrderId))
    .leftJoin(cards, eq(cards.serial, sql`coalesce(${jobs.cardSerial}, ${jobs.provenCardSerial})`))
    .leftJoin(persons, eq(persons.id, jobPersonId));
}

/** The job engine reads with seesEveryIdentity and shows each support reader the job through `jobShownTo`. */
export async function findJobView(
  db: AppDatabase,
  jobId: string,
  viewer: IdentityViewer = seesNoProtectedIdentity,
): Promise<JobView | undefined> {
  return (await toJobViews(db, await jobViewQuery(db).where(eq(jobs.id, jobId)).limit(1), viewer))[0];
}

/** A job read for one viewer, as another sees it. */
export function jobShownTo(viewer: IdentityViewer, job: JobView): JobView {
  return job.holder ? { ...job, holder: reshownTo<JobHolder>(viewer, job.holder) } : job;
}

/**
 * Jobs for support's list, newest first, filtered by state, unit, age and HSA-id or card serial. Neither the
 * unit nor the HSA-id finds a protected identity's job for a viewer without the right.
 */
export async function listJobViews(
  db: AppDatabase,
  filter: JobListFilter,
  now: Date,
  viewer: IdentityViewer = seesNoProtectedIdentity,
  limit = 200,
): Promise<JobView[]> {
  const findable = findableBy(viewer, persons.protectedIdentity);
  const conditions = [
    filter.state ? eq(jobs.state, filter.state) : undefined,
    filter.maxAgeMinutes
      ? gte(jobs.createdAt, new Date(now.getTime() - filter.maxAgeMinutes * 60_000))
      : undefined,
    filter.unitId
      ? and(
          inArray(
            persons.id,
            db
              .select({ personId: personUnits.personId })
              .from(personUnits)
              .where(eq(personUnits.unitId, filter.unitId)),
          ),
          findable,
        )
      : undefined,
    filter.search
      ? or(
          and(like(persons.hsaId, `%${filter.search}%`), findable),
          like(jobs.cardSerial, `%${filter.search}%`),
          like(jobs.provenCardSerial, `%${filter.search}%`),
          like(jobs.reportedCardSerial, `%${filter.search}%`),
        )
      : undefined,
  ];
  const rows = await jobViewQuery(db)
    .where(and(...conditions))
    .orderBy(desc(jobs.createdAt))
    .limit(limit);
  return await toJobViews(db, rows, viewer);
}

export async function listJobSteps(db: AppDatabase, jobId: string): Promise<JobStepView[]> {
  return (await db.select().from(jobSteps).where(eq(jobSteps.jobId, jobId)).orderBy(jobSteps.sequence)).map(
    (row) => toStepView(row),
  );
}

export function toStepView(row: typeof jobSteps.$inferSelect): JobStepView {
  const detail = (row.detail ?? {}) as { card?: JobStepView['card']; error?: JobStepView['error'] };
  return {
    jobId: row.jobId,
    sequence: row.sequence,
    step: row.step,
    status: row.outcome as JobStepView['status'],
    at: row.at.getTime(),
    durationMs: row.durationMs,
    progress: row.progress,
    card: detail.card ?? null,
    error: detail.error ?? null,
  };
}

export async function findJobDetail(
  db: AppDatabase,
  jobId: string,
  viewer: IdentityViewer = seesNoProtectedIdentity,
): Promise<JobDetail | undefined> {
  const job = await findJobView(db, jobId, viewer);
  return job && { job, steps: await listJobSteps(db, jobId) };
}
