import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAgentSession } from '../../db/agents';
import type { AppDatabase } from '../../db/connection';
import { createJob, createStepStore, listJobSteps } from '../../db/jobs';
import { agents } from '../../db/schema';
import type { StepReport } from '../../protocol/jobs';
import { openTestDatabase } from '../../test-support/test-database';
import { StepWriter } from './step-writer';

let db: AppDatabase;
beforeEach(async () => {
  db = await openTestDatabase();
});
afterEach(async () => {
  await db.close();
});

async function cardCheckJob(): Promise<string> {
  await db.insert(agents).values({ id: 'agent-1', name: 'Testdator', deviceTokenHash: 'hash' });
  const agentSessionId = await openAgentSession(db, {
    agentId: 'agent-1',
    remoteAddress: null,
    at: new Date(),
  });
  return createJob(
    db,
    {
      kind: 'card_check',
      agentId: 'agent-1',
      agentSessionId,
      readerName: null,
      cardSerial: null,
      personId: null,
      createdByUserId: null,
      createdBySessionId: null,
    },
    new Date(),
  );
}

const step = (jobId: string, sequence: number): StepReport => ({
  jobId,
  sequence,
  step: 'card_read',
  status: 'started',
  at: Date.now(),
  progress: sequence,
});

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('the step writer', () => {
  it('puts every report that arrives while a transaction runs into the next one, in order', async () => {
    const jobId = await cardCheckJob();
    const store = createStepStore(db);
    const batchSizes: number[] = [];
    let releaseFirst = () => {};
    const firstHeld = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const writer = new StepWriter(
      {
        async append(reports, at, deadlines) {
          batchSizes.push(reports.length);
          if (batchSizes.length === 1) await firstHeld;
          return store.append(reports, at, deadlines);
        },
      },
      () => new Date(),
    );
    const deadline = new Date(Date.now() + 30_000);

    const written = [writer.write(step(jobId, 1), deadline)];
    await nextTurn();
    for (let sequence = 2; sequence <= 6; sequence++) {
      written.push(writer.write(step(jobId, sequence), deadline));
      await nextTurn();
    }
    releaseFirst();
    await Promise.all(written);

    expect(batchSizes).toEqual([1, 5]);
    expect((await listJobSteps(db, jobId)).map((stored) => stored.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('refuses the reports of a batch whose transaction failed, and goes on with the next', async () => {
    const jobId = await cardCheckJob();
    const writer = new StepWriter(createStepStore(db), () => new Date());
    const deadline = new Date(Date.now() + 30_000);

    await expect(writer.write(step('no-such-job', 1), deadline)).rejects.toThrow();
    await writer.write(step(jobId, 1), deadline);

    expect((await listJobSteps(db, jobId)).map((stored) => stored.sequence)).toEqual([1]);
  });
});
