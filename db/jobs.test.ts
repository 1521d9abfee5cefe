import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StepReport } from '../protocol/jobs';
import { openTestDatabase } from '../test-support/test-database';
import { openAgentSession } from './agents';
import type { AppDatabase } from './connection';
import { createJob, createStepStore, findJob, finishJob, listJobSteps, stepKey } from './jobs';
import { agents } from './schema';

let db: AppDatabase;
let store: ReturnType<typeof createStepStore>;
beforeEach(async () => {
  db = await openTestDatabase();
  store = createStepStore(db);
});
afterEach(async () => {
  await db.close();
});

async function unlockJob(): Promise<string> {
  await db
    .insert(agents)
    .values({ id: 'agent-1', name: 'Testdator', deviceTokenHash: 'hash' })
    .onConflictDoNothing();
  const agentSessionId = await openAgentSession(db, {
    agentId: 'agent-1',
    remoteAddress: null,
    at: new Date(1000),
  });
  return await createJob(
    db,
    {
      kind: 'unlock',
      agentId: 'agent-1',
      agentSessionId,
      readerName: null,
      cardSerial: null,
      personId: null,
      createdByUserId: null,
      createdBySessionId: null,
    },
    new Date(1000),
  );
}

function report(jobId: string, sequence: number, fields: Partial<StepReport> = {}): StepReport {
  return { jobId, sequence, step: 'reader_found', status: 'started', at: 2000, progress: 5, ...fields };
}

describe('the job step store', () => {
  it('appends a batch for several jobs and folds each job’s reports into one update', async () => {
    const first = await unlockJob();
    const second = await unlockJob();
    await store.append(
      [
        report(first, 1, { card: { readerName: 'Läsare 1' } }),
        report(second, 1, { status: 'succeeded', progress: 30 }),
        report(first, 2, {
          status: 'succeeded',
          at: 2100,
          progress: 10,
          durationMs: 100,
          card: { cardSerial: '9752000000000000007' },
        }),
        report(first, 3, { step: 'card_present', at: 2200, progress: 20 }),
      ],
      new Date(3000),
    );

    const job = await findJob(db, first);
    // Progress is the last succeeded step's; the card serial is the agent's word, kept apart from the job's card.
    expect(job).toMatchObject({
      lastSequence: 3,
      currentStep: 'card_present',
      progress: 10,
      readerName: 'Läsare 1',
      reportedCardSerial: '9752000000000000007',
      cardSerial: null,
    });
    expect(job?.updatedAt.getTime()).toBe(3000);
    expect(await findJob(db, second)).toMatchObject({ lastSequence: 1, progress: 30 });
    const steps = await listJobSteps(db, first);
    expect(steps.map((step) => [step.sequence, step.status, step.at, step.durationMs])).toEqual([
      [1, 'started', 2000, null],
      [2, 'succeeded', 2100, 100],
      [3, 'started', 2200, null],
    ]);
    expect(steps[0]?.card).toEqual({ readerName: 'Läsare 1' });
  });

  it('keeps the final progress of a job that has ended', async () => {
    const jobId = await unlockJob();
    await store.append([report(jobId, 1, { status: 'succeeded', progress: 30 })], new Date(3000));
    await finishJob(db, jobId, { state: 'failed' }, new Date(3500));
    await store.append([report(jobId, 2, { status: 'succeeded', at: 4000, progress: 90 })], new Date(4000));
    expect(await findJob(db, jobId)).toMatchObject({ lastSequence: 2, progress: 30, state: 'failed' });
  });

  it('keeps a repeated sequence as first stored and stores the rest of its batch', async () => {
    const jobId = await unlockJob();
    expect(await store.append([report(jobId, 1, { step: 'card_present' })], new Date(3000))).toEqual(
      new Set([stepKey({ jobId, sequence: 1 })]),
    );
    const stored = await store.append(
      [report(jobId, 1, { step: 'card_read' }), report(jobId, 2, { step: 'card_read' })],
      new Date(5000),
    );
    expect(stored).toEqual(new Set([stepKey({ jobId, sequence: 2 })]));
    expect((await listJobSteps(db, jobId)).map(({ sequence, step }) => ({ sequence, step }))).toEqual([
      { sequence: 1, step: 'card_present' },
      { sequence: 2, step: 'card_read' },
    ]);
    expect(await findJob(db, jobId)).toMatchObject({ lastSequence: 2, currentStep: 'card_read' });
  });

  it('keeps what the job is doing when a batch re-sends an earlier step behind a later one stored already', async () => {
    const jobId = await unlockJob();
    await store.append(
      [
        report(jobId, 1, {
          step: 'card_present',
          status: 'succeeded',
          progress: 10,
          card: { readerName: 'Läsare 1' },
        }),
        report(jobId, 2, {
          step: 'card_read',
          status: 'succeeded',
          progress: 20,
          card: { readerName: 'Läsare 2' },
        }),
      ],
      new Date(3000),
    );
    const stored = await store.append(
      [
        report(jobId, 1, {
          step: 'card_present',
          status: 'succeeded',
          progress: 10,
          card: { readerName: 'Läsare 1' },
        }),
      ],
      new Date(5000),
    );
    expect(stored).toEqual(new Set());
    expect(await findJob(db, jobId)).toMatchObject({
      lastSequence: 2,
      currentStep: 'card_read',
      progress: 20,
      readerName: 'Läsare 2',
    });
  });

  it('takes the latest of a batch that re-sends a stored step before new ones', async () => {
    const jobId = await unlockJob();
    await store.append(
      [report(jobId, 1, { step: 'card_present', status: 'succeeded', progress: 10 })],
      new Date(3000),
    );
    await store.append(
      [
        report(jobId, 1, { step: 'card_present', status: 'succeeded', progress: 10 }),
        report(jobId, 2, { step: 'card_read', status: 'started', progress: 10 }),
        report(jobId, 3, {
          step: 'card_read',
          status: 'succeeded',
          progress: 25,
          card: { readerName: 'Läsare 3' },
        }),
      ],
      new Date(5000),
    );
    expect(await findJob(db, jobId)).toMatchObject({
      lastSequence: 3,
      currentStep: 'card_read',
      progress: 25,
      readerName: 'Läsare 3',
    });
    expect(await listJobSteps(db, jobId)).toHaveLength(3);
  });

  it('changes nothing on the job for a batch that was all stored before', async () => {
    const jobId = await unlockJob();
    await store.append([report(jobId, 1)], new Date(3000));
    expect(await store.append([report(jobId, 1)], new Date(5000))).toEqual(new Set());
    expect((await findJob(db, jobId))?.updatedAt.getTime()).toBe(3000);
    expect(await listJobSteps(db, jobId)).toHaveLength(1);
  });

  it('stores a batch larger than one insert takes', async () => {
    const jobId = await unlockJob();
    const many = Array.from({ length: 1200 }, (_, index) =>
      report(jobId, 10 + index, { at: 5000, progress: 1 }),
    );
    await store.append(many, new Date(6000));
    expect(await listJobSteps(db, jobId)).toHaveLength(1200);
    expect((await findJob(db, jobId))?.lastSequence).toBe(1209);
  });

  it('updates every job of a batch with more jobs than one statement takes', async () => {
    const jobIds: string[] = [];
    for (let index = 0; index < 520; index++) jobIds.push(await unlockJob());
    const deadline = new Date(9_000);
    const stored = await store.append(
      jobIds.map((jobId) => report(jobId, 1, { status: 'succeeded', progress: 40, step: 'card_present' })),
      new Date(7000),
      new Map(jobIds.map((jobId) => [jobId, deadline])),
    );
    expect(stored.size).toBe(520);
    for (const jobId of [jobIds[0]!, jobIds[499]!, jobIds[500]!, jobIds[519]!])
      expect(await findJob(db, jobId)).toMatchObject({
        lastSequence: 1,
        currentStep: 'card_present',
        progress: 40,
        deadlineAt: deadline,
        updatedAt: new Date(7000),
      });
  });
});
