import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../../app/auth/password.server';
import { findActivationOrder, isActivationRecorded } from '../../db/card-lifecycle';
import { first } from '../../db/engine';
import { findJob } from '../../db/jobs';
import { cards, orders } from '../../db/schema';
import { seedDemoData } from '../../db/seed';
import type { JobOffer, JobOfferAnswer } from '../../protocol/jobs';
import { addAgent, startTestServer, type TestServer } from '../testing/test-server';
import { TestSockets } from '../testing/test-sockets';

/**
 * Found by the agent crash sweep of issue 11: an agent killed right after the server recorded a reserve
 * card's activation left the job "failed" while the card was active with its eIDs and the order fulfilled.
 * Once the server has recorded what the job was for, losing the agent (or a late cancel) cannot fail it.
 */
const token = 'activation-settled-token-0001';
const reserveSerial = '9752316495727304824';

let testServer: TestServer;
const sockets = new TestSockets(() => testServer.url);

beforeEach(async () => {
  testServer = await startTestServer({ jobTimeouts: { reconnectGraceMs: 100 } });
  await seedDemoData(testServer.db, { hashPassword });
  await addAgent(testServer.db, token);
});

afterEach(async () => {
  sockets.closeAll();
  await testServer.stop();
});

async function runningActivation() {
  const agent = await sockets.open('/agent', { token });
  agent.on('job:offer', (_offer: JobOffer, reply: (answer: JobOfferAnswer) => void) =>
    reply({ accepted: true }),
  );
  await agent
    .timeout(2_000)
    .emitWithAck('agent:hello', { agentVersion: 'test', readers: [], activeJobIds: [] });
  const { agentId, agentSessionId } = testServer.server.services.agentRegistry.list().at(-1)!;
  const card = first(
    await testServer.db.select().from(cards).where(eq(cards.serial, reserveSerial)).limit(1),
  )!;
  const activation = (await findActivationOrder(testServer.db, card.id))!;
  const started = await testServer.server.services.jobs.startJob({
    kind: 'activate',
    agentId,
    agentSessionId,
    readerName: null,
    cardSerial: reserveSerial,
    personId: activation.personId,
    createdByUserId: null,
    createdBySessionId: null,
    eidOrderId: activation.id,
    challenge: 'challenge-of-the-test-activation',
  });
  if (!started.ok) throw new Error(started.message);
  /** What confirm_certificates records, all at once: the card active, the order fulfilled. */
  const recordActivation = async () => {
    await testServer.db.update(cards).set({ state: 'active' }).where(eq(cards.id, card.id));
    await testServer.db.update(orders).set({ state: 'fulfilled' }).where(eq(orders.id, activation.id));
    expect(await isActivationRecorded(testServer.db, activation.id, reserveSerial)).toBe(true);
  };
  return { agent, jobId: started.jobId, recordActivation };
}

const ended = async (jobId: string) => {
  const deadline = Date.now() + 3_000;
  for (;;) {
    const job = (await findJob(testServer.db, jobId))!;
    if (job.state !== 'queued' && job.state !== 'running') return job;
    if (Date.now() > deadline) throw new Error('the job did not end');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('an activation the server has recorded', () => {
  it('succeeds when its agent is lost afterwards', async () => {
    const { agent, jobId, recordActivation } = await runningActivation();
    await recordActivation();
    agent.close();
    expect(await ended(jobId)).toMatchObject({ state: 'succeeded', errorCode: null });
  });

  it('succeeds when support cancels it afterwards', async () => {
    const { jobId, recordActivation } = await runningActivation();
    await recordActivation();
    await testServer.server.services.jobs.cancel(jobId);
    expect(await ended(jobId)).toMatchObject({ state: 'succeeded' });
  });

  it('still fails when its agent is lost before the server recorded anything', async () => {
    const { agent, jobId } = await runningActivation();
    agent.close();
    expect(await ended(jobId)).toMatchObject({ state: 'failed', errorCode: 'agent_disconnected' });
  });
});
