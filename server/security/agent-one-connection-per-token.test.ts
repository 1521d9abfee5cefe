import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { first } from '../../db/engine';
import { auditEvents, jobSteps, jobs } from '../../db/schema';
import type { SequenceAck } from '../../protocol/agent-events';
import type { JobOffer, JobOfferAnswer, StepReport } from '../../protocol/jobs';
import type { JobAck } from '../../protocol/support-events';
import { addAgent, addStaffSession, startTestServer, type TestServer } from '../testing/test-server';
import { TestSockets } from '../testing/test-sockets';

/**
 * Finding 1 of issue 11: an agent is trusted per connection, not per device token. A second socket with
 * the same token replaces the first explicitly, cannot fail or take over the first one's jobs by saying
 * hello, and cannot report for a job it did not accept unless it resumes it after the first one is gone.
 */
const token = 'one-connection-token-0000001';
const readerName = 'Virtual PCD 00 00';

let testServer: TestServer;
const sockets = new TestSockets(() => testServer.url);

beforeEach(async () => {
  testServer = await startTestServer({ jobTimeouts: { reconnectGraceMs: 5_000 } });
  await addAgent(testServer.db, token);
});

afterEach(async () => {
  sockets.closeAll();
  await testServer.stop();
});

async function agentConnection(activeJobIds: string[] = []) {
  const socket = await sockets.open('/agent', { token });
  const offers: JobOffer[] = [];
  const replaced: Array<{ message: string }> = [];
  const disconnects: string[] = [];
  socket.on('job:offer', (offer: JobOffer, reply: (answer: JobOfferAnswer) => void) => {
    offers.push(offer);
    reply({ accepted: true });
  });
  socket.on('agent:replaced', (notice: { message: string }) => replaced.push(notice));
  socket.on('disconnect', (reason) => disconnects.push(reason));
  const hello = (jobIds: string[]) =>
    socket.timeout(2_000).emitWithAck('agent:hello', {
      agentVersion: 'test',
      readers: [{ name: readerName, cardPresent: true }],
      activeJobIds: jobIds,
    });
  await hello(activeJobIds);
  const agentSessionId = testServer.server.services.agentRegistry.list().at(-1)!.agentSessionId;
  const report = (jobId: string, sequence: number, step: string) =>
    socket.timeout(2_000).emitWithAck('job:step', {
      jobId,
      sequence,
      step,
      status: 'succeeded',
      at: Date.now(),
      progress: 20,
    } satisfies StepReport) as Promise<SequenceAck>;
  const finish = (jobId: string, sequence: number) =>
    socket.timeout(2_000).emitWithAck('job:finished', {
      jobId,
      sequence,
      state: 'succeeded',
      at: Date.now(),
    }) as Promise<SequenceAck>;
  return { socket, agentSessionId, offers, replaced, disconnects, hello, report, finish };
}

async function supportClient() {
  const { cookieHeader } = await addStaffSession(testServer, 'support');
  const socket = await sockets.open('/support', {}, cookieHeader);
  return <T>(event: string, payload: unknown) =>
    socket.timeout(5_000).emitWithAck(event, payload) as Promise<T>;
}

async function runningCardCheck(agentSessionId: string) {
  const call = await supportClient();
  const started = await call<JobAck>('support:start-card-check', { agentSessionId, readerName });
  if (!('jobId' in started)) throw new Error(`job not started: ${JSON.stringify(started)}`);
  return { jobId: started.jobId, call };
}

const jobRow = async (jobId: string) =>
  first(await testServer.db.select().from(jobs).where(eq(jobs.id, jobId)).limit(1))!;
const until = async (condition: () => boolean, timeoutMs = 3_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('one live agent connection per device token', () => {
  it('a new connection replaces the old one, which is told why and disconnected', async () => {
    const first = await agentConnection();
    const second = await agentConnection();
    await until(() => first.disconnects.length === 1);
    expect(first.replaced).toEqual([{ message: expect.stringContaining('ersatts') }]);
    expect(first.disconnects).toEqual(['io server disconnect']);
    expect(second.socket.connected).toBe(true);
    expect(testServer.server.services.agentRegistry.list().map((view) => view.agentSessionId)).toEqual([
      second.agentSessionId,
    ]);
  });

  it('a new connection that says hello without jobs does not fail the replaced connection’s job', async () => {
    const first = await agentConnection();
    const { jobId } = await runningCardCheck(first.agentSessionId);
    expect(await first.report(jobId, 1, 'reader_found')).toEqual({ ok: true, lastSequence: 1 });
    await agentConnection([]);
    expect(await jobRow(jobId)).toMatchObject({ state: 'running', errorCode: null, lastSequence: 1 });
  });

  it('refuses steps, outcomes and exchanges for a job this connection neither accepted nor resumed', async () => {
    const first = await agentConnection();
    const { jobId } = await runningCardCheck(first.agentSessionId);
    await first.report(jobId, 1, 'reader_found');
    const intruder = await agentConnection([]);
    expect(await intruder.report(jobId, 2, 'card_present')).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await intruder.finish(jobId, 2)).toMatchObject({ ok: false, code: 'forbidden' });
    const exchange = await intruder.socket.timeout(2_000).emitWithAck('job:exchange', {
      type: 'prove_card',
      jobId,
      certificate: Buffer.from('certificate').toString('base64'),
      signature: Buffer.from('signature').toString('base64'),
    });
    expect(exchange).toMatchObject({ ok: false });
    expect(await jobRow(jobId)).toMatchObject({ state: 'running', lastSequence: 1 });
    expect((await jobRow(jobId)).agentSessionId).not.toBe(intruder.agentSessionId);
    expect(await testServer.db.select().from(jobSteps).where(eq(jobSteps.jobId, jobId))).toHaveLength(1);
    const refusals = await testServer.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'agent_report_refused'));
    expect(refusals).toEqual([expect.objectContaining({ objectId: jobId, outcome: 'refused' })]);
  });

  it('resumes the replaced connection’s job on the new one only when its hello names the job', async () => {
    const first = await agentConnection();
    const { jobId } = await runningCardCheck(first.agentSessionId);
    await first.report(jobId, 1, 'reader_found');
    const back = await agentConnection([jobId]);
    expect(await back.report(jobId, 2, 'card_present')).toEqual({ ok: true, lastSequence: 2 });
    expect(await back.finish(jobId, 3)).toEqual({ ok: true, lastSequence: 3 });
    expect(await jobRow(jobId)).toMatchObject({ state: 'succeeded', agentSessionId: back.agentSessionId });
  });

  it('sends a retry to the one live connection, never to a replaced one', async () => {
    const first = await agentConnection();
    const { jobId, call } = await runningCardCheck(first.agentSessionId);
    await call('support:cancel-job', { jobId });
    const second = await agentConnection();
    const retried = await call<JobAck>('support:retry-job', { jobId });
    expect(retried).toMatchObject({ ok: true });
    const retryId = (retried as { jobId: string }).jobId;
    expect(second.offers.map((offer) => offer.jobId)).toEqual([retryId]);
    expect(first.offers.map((offer) => offer.jobId)).toEqual([jobId]);
    expect((await jobRow(retryId)).agentSessionId).toBe(second.agentSessionId);
  });
});
