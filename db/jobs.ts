import { and, desc, eq, gte, inArray, isNull, like, or } from 'drizzle-orm';
import type { JobError, JobKind, JobState, StepReport } from '../protocol/jobs';
import type { JobDetail, JobListFilter, JobStepView, JobView } from '../protocol/support-events';
import type { AppDatabase } from './connection';
import { newId } from './ids';
import { agents, type IssuedCardCertificates, jobSteps, jobs, persons, personUnits, units } from './schema';

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
  challenge?: string | null;
}

export type JobRow = typeof jobs.$inferSelect;

export function createJob(db: AppDatabase, input: NewJob, at: Date): string {
  const id = newId();
  db.insert(jobs)
    .values({
      id,
      ...input,
      retryOfJobId: input.retryOfJobId ?? null,
      authOrderId: input.authOrderId ?? null,
      eidOrderId: input.eidOrderId ?? null,
      challenge: input.challenge ?? null,
      state: 'queued',
      createdAt: at,
      updatedAt: at,
    })
    .run();
  return id;
}

export function findJob(db: AppDatabase, jobId: string): JobRow | undefined {
  return db.select().from(jobs).where(eq(jobs.id, jobId)).get();
}

/** The newest job an auth order started (a retry by support is a newer one). */
export function findLatestJobOfAuthOrder(db: AppDatabase, authOrderId: string): JobRow | undefined {
  return db.select().from(jobs).where(eq(jobs.authOrderId, authOrderId)).orderBy(desc(jobs.createdAt)).get();
}

/** Whether a job of `kind` for the card is queued or running. */
export function hasUnfinishedJobForCard(db: AppDatabase, kind: JobKind, cardSerial: string): boolean {
  return (
    db
      .select({ id: jobs.id })
      .from(jobs)
      .where(
        and(eq(jobs.kind, kind), eq(jobs.cardSerial, cardSerial), inArray(jobs.state, ['queued', 'running'])),
      )
      .get() !== undefined
  );
}

export function storeIssuedCertificates(
  db: AppDatabase,
  jobId: string,
  certificates: IssuedCardCertificates,
): void {
  db.update(jobs).set({ issuedCertificates: certificates }).where(eq(jobs.id, jobId)).run();
}

/**
 * The card signed this job's challenge with its own key: from now on the job may act on that card. The
 * first proof stands; a job the server assigned a card to records only that card.
 */
export function recordProvenCardSerial(db: AppDatabase, jobId: string, cardSerial: string): void {
  db.update(jobs)
    .set({ provenCardSerial: cardSerial })
    .where(
      and(
        eq(jobs.id, jobId),
        isNull(jobs.provenCardSerial),
        or(isNull(jobs.cardSerial), eq(jobs.cardSerial, cardSerial)),
      ),
    )
    .run();
}

/** The serial a finished job may change a card's state for: assigned by the server or proven by the card. */
export function trustedCardSerial(job: JobRow): string | null {
  return job.cardSerial ?? job.provenCardSerial;
}

export function listUnfinishedJobs(db: AppDatabase): JobRow[] {
  return db
    .select()
    .from(jobs)
    .where(inArray(jobs.state, ['queued', 'running']))
    .all();
}

export function markJobRunning(db: AppDatabase, jobId: string, at: Date): void {
  db.update(jobs).set({ state: 'running', updatedAt: at }).where(eq(jobs.id, jobId)).run();
}

export function assignJobToAgentSession(
  db: AppDatabase,
  jobId: string,
  agentSessionId: string | null,
  at: Date,
) {
  db.update(jobs).set({ agentSessionId, updatedAt: at }).where(eq(jobs.id, jobId)).run();
}

/** Ends a job unless it has already ended; returns whether this call ended it. */
export function finishJob(
  db: AppDatabase,
  jobId: string,
  input: { state: Exclude<JobState, 'queued' | 'running'>; error?: JobError | null; lastSequence?: number },
  at: Date,
): boolean {
  const result = db
    .update(jobs)
    .set({
      state: input.state,
      errorCode: input.error?.code ?? null,
      errorMessage: input.error?.message ?? null,
      finishedAt: at,
      updatedAt: at,
      ...(input.state === 'succeeded' ? { progress: 100 } : {}),
      ...(input.lastSequence !== undefined ? { lastSequence: input.lastSequence } : {}),
    })
    .where(and(eq(jobs.id, jobId), inArray(jobs.state, ['queued', 'running'])))
    .run();
  return result.changes === 1;
}

/**
 * Appends step reports in one transaction, with statements prepared once: the hot path of the job
 * engine, which has already checked their order. A job that has ended keeps its final progress. The
 * card serial in a report is the agent's word: it is kept as reported, never as the job's card.
 */
export function createStepStore(db: AppDatabase) {
  const client = db.$client;
  const insertStep = client.prepare(
    `insert into job_steps (job_id, sequence, step, outcome, at, duration_ms, progress, detail)
     values (@jobId, @sequence, @step, @status, @at, @durationMs, @progress, @detail)`,
  );
  const updateJob = client.prepare(
    `update jobs set last_sequence = max(last_sequence, @sequence), current_step = @step,
       progress = case when @status = 'succeeded' and state in ('queued', 'running') then @progress else progress end,
       reader_name = coalesce(@readerName, reader_name),
       reported_card_serial = coalesce(@cardSerial, reported_card_serial),
       updated_at = @now
     where id = @jobId`,
  );
  const append = client.transaction((reports: readonly StepReport[], now: number) => {
    for (const report of reports) {
      insertStep.run({
        jobId: report.jobId,
        sequence: report.sequence,
        step: report.step,
        status: report.status,
        at: report.at,
        durationMs: report.durationMs ?? null,
        progress: report.progress,
        detail: JSON.stringify({ card: report.card ?? null, error: report.error ?? null }),
      });
      updateJob.run({
        jobId: report.jobId,
        sequence: report.sequence,
        step: report.step,
        status: report.status,
        progress: report.progress,
        readerName: report.card?.readerName ?? null,
        cardSerial: report.card?.cardSerial ?? null,
        now,
      });
    }
  });
  return { append: (reports: readonly StepReport[], at: Date) => append(reports, at.getTime()) };
}

const jobViewColumns = {
  job: jobs,
  agentName: agents.name,
  holderGivenName: persons.givenName,
  holderSurname: persons.surname,
  holderHsaId: persons.hsaId,
};

type JobViewRow = {
  job: JobRow;
  agentName: string | null;
  holderGivenName: string | null;
  holderSurname: string | null;
  holderHsaId: string | null;
};

function unitsByPerson(
  db: AppDatabase,
  personIds: string[],
): Map<string, Array<{ id: string; name: string }>> {
  const byPerson = new Map<string, Array<{ id: string; name: string }>>();
  if (personIds.length === 0) return byPerson;
  const rows = db
    .select({ personId: personUnits.personId, id: units.id, name: units.name })
    .from(personUnits)
    .innerJoin(units, eq(units.id, personUnits.unitId))
    .where(inArray(personUnits.personId, personIds))
    .all();
  for (const { personId, id, name } of rows)
    byPerson.set(personId, [...(byPerson.get(personId) ?? []), { id, name }]);
  return byPerson;
}

function toJobViews(db: AppDatabase, rows: JobViewRow[]): JobView[] {
  const personUnitsById = unitsByPerson(db, [
    ...new Set(rows.flatMap((row) => (row.job.personId ? [row.job.personId] : []))),
  ]);
  return rows.map(({ job, agentName, holderGivenName, holderSurname, holderHsaId }) => {
    const jobUnits = (job.personId && personUnitsById.get(job.personId)) || [];
    return {
      jobId: job.id,
      kind: job.kind as JobKind,
      state: job.state,
      agentId: job.agentId,
      agentSessionId: job.agentSessionId,
      agentName,
      holderName: holderGivenName ? `${holderGivenName} ${holderSurname}` : null,
      holderHsaId,
      unitIds: jobUnits.map((unit) => unit.id),
      unitNames: jobUnits.map((unit) => unit.name),
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

function jobViewQuery(db: AppDatabase) {
  return db
    .select(jobViewColumns)
    .from(jobs)
    .leftJoin(agents, eq(agents.id, jobs.agentId))
    .leftJoin(persons, eq(persons.id, jobs.personId));
}

export function findJobView(db: AppDatabase, jobId: string): JobView | undefined {
  return toJobViews(db, jobViewQuery(db).where(eq(jobs.id, jobId)).all())[0];
}

/** Jobs for support's list, newest first, filtered by state, unit, age and HSA-id or card serial. */
export function listJobViews(db: AppDatabase, filter: JobListFilter, now: Date, limit = 200): JobView[] {
  const conditions = [
    filter.state ? eq(jobs.state, filter.state) : undefined,
    filter.maxAgeMinutes
      ? gte(jobs.createdAt, new Date(now.getTime() - filter.maxAgeMinutes * 60_000))
      : undefined,
    filter.unitId
      ? inArray(
          jobs.personId,
          db
            .select({ personId: personUnits.personId })
            .from(personUnits)
            .where(eq(personUnits.unitId, filter.unitId)),
        )
      : undefined,
    filter.search
      ? or(
          like(persons.hsaId, `%${filter.search}%`),
          like(jobs.cardSerial, `%${filter.search}%`),
          like(jobs.provenCardSerial, `%${filter.search}%`),
          like(jobs.reportedCardSerial, `%${filter.search}%`),
        )
      : undefined,
  ];
  const rows = jobViewQuery(db)
    .where(and(...conditions))
    .orderBy(desc(jobs.createdAt))
    .limit(limit)
    .all();
  return toJobViews(db, rows);
}

export function listJobSteps(db: AppDatabase, jobId: string): JobStepView[] {
  return db
    .select()
    .from(jobSteps)
    .where(eq(jobSteps.jobId, jobId))
    .orderBy(jobSteps.sequence)
    .all()
    .map((row) => toStepView(row));
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

export function findJobDetail(db: AppDatabase, jobId: string): JobDetail | undefined {
  const job = findJobView(db, jobId);
  return job && { job, steps: listJobSteps(db, jobId) };
}
