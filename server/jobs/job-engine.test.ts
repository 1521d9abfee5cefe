import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { first } from '../../db/engine';
import { auditEvents, jobSteps, jobs, sessions } from '../../db/schema';
import type { SequenceAck } from '../../protocol/agent-events';
import type { JobCancel, JobOffer, JobOfferAnswer, StepReport, SupportMessage } from '../../protocol/jobs';
import type { JobAck, JobDetail, JobStepView, JobView } from '../../protocol/support-events';
import { createTestDatabaseLocation } from '../../test-support/test-database';
import { addAgent, addStaffSession, startTestServer, type TestServer } from '../testing/test-server';
import { TestSockets } from '../testing/test-sockets';

const agentToken = 'job-test-agent-token-000001';
const otherAgentToken = 'job-test-agent-token-000002';
const readerName = 'Virtual PCD 00 00';

let testServer: TestServer;
const sockets = new TestSockets(() => testServer.url);

async function start(jobTimeouts = {}) {
  testServer = await startTestServer({ jobTimeouts });
  await addAgent(testServer.db, agentToken);
  await addAgent(testServer.db, otherAgentToken, 'En annan dator');
}

afterEach(async () => {
  sockets.closeAll();
  await testServer.stop();
});

/** A scripted agent: accepts offers (or answers as told) and records what the server sends it. */
async function scriptedAgent(
  token = agentToken,
  answer: JobOfferAnswer = { accepted: true },
  activeJobIds: string[] = [],
) {
  const socket = await sockets.open('/agent', { token });
  const offers: JobOffer[] = [];
  const cancels: JobCancel[] = [];
  const messages: SupportMessage[] = [];
  socket.on('job:offer', (offer: JobOffer, reply: (a: JobOfferAnswer) => void) => {
    offers.push(offer);
    reply(answer);
  });
  socket.on('job:cancel', (cancel: JobCancel) => cancels.push(cancel));
  socket.on('support:message', (message: SupportMessage) => messages.push(message));
  await socket.emitWithAck('agent:hello', {
    agentVersion: 'test',
    readers: [{ name: readerName, cardPresent: true }],
    activeJobIds,
  });
  const agentSessionId = testServer.server.services.agentRegistry
    .list()
    .filter((view) => view.agentName === (token === agentToken ? 'Testdator' : 'En annan dator'))
    .at(-1)!.agentSessionId;
  const report = (jobId: string, sequence: number, step: string, status = 'succeeded', extra = {}) =>
    socket.emitWithAck('job:step', {
      jobId,
      sequence,
      step,
      status,
      at: Date.now(),
      progress: 20,
      ...extra,
    } as StepReport) as Promise<SequenceAck>;
  const finish = (jobId: string, sequence: number, state = 'succeeded') =>
    socket.emitWithAck('job:finished', { jobId, sequence, state, at: Date.now() }) as Promise<SequenceAck>;
  return { socket, agentSessionId, offers, cancels, messages, report, finish };
}

async function supportClient() {
  const { cookieHeader, userId } = await addStaffSession(testServer, 'support');
  const socket = await sockets.open('/support', {}, cookieHeader);
  const updates: JobView[] = [];
  const steps: JobStepView[] = [];
  socket.on('job:updated', (view: JobView) => updates.push(view));
  socket.on('job:step', (step: JobStepView) => steps.push(step));
  const call = <T>(event: string, payload: unknown) =>
    socket.timeout(5_000).emitWithAck(event, payload) as Promise<T>;
  return { socket, userId, cookieHeader, updates, steps, call };
}

const jobRow = async (jobId: string) =>
  first(await testServer.db.select().from(jobs).where(eq(jobs.id, jobId)).limit(1))!;
const until = async (condition: () => boolean | Promise<boolean>, timeoutMs = 3_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

async function startedJob(
  support: Awaited<ReturnType<typeof supportClient>>,
  agent: { agentSessionId: string },
) {
  const started = await support.call<JobAck>('support:start-card-check', {
    agentSessionId: agent.agentSessionId,
    readerName,
  });
  if (!('jobId' in started)) throw new Error(`job not started: ${JSON.stringify(started)}`);
  return started.jobId;
}

describe('job engine', () => {
  beforeEach(() => start());

  it('streams every step of a card check to a watching support client, in order, and stores them', async () => {
    const agent = await scriptedAgent();
    const support = await supportClient();
    const jobId = await startedJob(support, agent);
    expect(agent.offers).toEqual([
      expect.objectContaining({ jobId, kind: 'card_check', readerName, lastSequence: 0 }),
    ]);
    const detail = await support.call<JobDetail>('support:watch-job', { jobId });
    expect(detail.job.state).toBe('running');

    const steps = ['reader_found', 'card_present', 'card_read', 'waiting_for_user', 'card_verified'];
    for (const [index, step] of steps.entries()) {
      expect(await agent.report(jobId, index + 1, step)).toEqual({ ok: true, lastSequence: index + 1 });
    }
    expect(await agent.finish(jobId, 6)).toEqual({ ok: true, lastSequence: 6 });

    await until(() => support.steps.length === 5);
    expect(support.steps.map((step) => step.step)).toEqual(steps);
    expect(support.steps.map((step) => step.sequence)).toEqual([1, 2, 3, 4, 5]);
    await until(() => support.updates.at(-1)?.state === 'succeeded');
    expect(await jobRow(jobId)).toMatchObject({ state: 'succeeded', progress: 100, lastSequence: 6 });
    expect(await testServer.db.select().from(jobSteps).where(eq(jobSteps.jobId, jobId))).toHaveLength(5);
    const audit = await testServer.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.actorUserId, support.userId));
    expect(audit).toEqual([
      expect.objectContaining({ action: 'support_start_card_check', outcome: 'success', objectId: jobId }),
    ]);
  });

  it('accepts a first step that arrives before the offer has been answered', async () => {
    const eager = await sockets.open('/agent', { token: agentToken });
    const reports: Array<Promise<SequenceAck>> = [];
    eager.on('job:offer', (offer: JobOffer, reply: (a: JobOfferAnswer) => void) => {
      reports.push(
        eager.emitWithAck('job:step', {
          jobId: offer.jobId,
          sequence: 1,
          step: 'reader_found',
          status: 'started',
          at: Date.now(),
          progress: 0,
        }),
      );
      setTimeout(() => reply({ accepted: true }), 50);
    });
    await eager.emitWithAck('agent:hello', { agentVersion: 'test', readers: [] });
    const support = await supportClient();
    const agentSessionId = testServer.server.services.agentRegistry.list()[0]!.agentSessionId;
    const jobId = await startedJob(support, { agentSessionId });
    expect(await reports[0]).toEqual({ ok: true, lastSequence: 1 });
    expect(await jobRow(jobId)).toMatchObject({ state: 'running', lastSequence: 1 });
  });

  it('stores a re-sent step once and refuses a step that skips one', async () => {
    const agent = await scriptedAgent();
    const support = await supportClient();
    const jobId = await startedJob(support, agent);
    await agent.report(jobId, 1, 'reader_found');
    expect(await agent.report(jobId, 1, 'reader_found')).toEqual({ ok: true, lastSequence: 1 });
    expect(await agent.report(jobId, 3, 'card_read')).toMatchObject({
      ok: false,
      code: 'conflict',
      lastSequence: 1,
    });
    expect(await testServer.db.select().from(jobSteps).where(eq(jobSteps.jobId, jobId))).toHaveLength(1);
  });

  it('refuses reports from an agent that does not own the job', async () => {
    const agent = await scriptedAgent();
    const intruder = await scriptedAgent(otherAgentToken);
    const support = await supportClient();
    const jobId = await startedJob(support, agent);
    expect(await intruder.report(jobId, 1, 'reader_found')).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await intruder.finish(jobId, 1)).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await jobRow(jobId)).toMatchObject({ state: 'running', lastSequence: 0 });
  });

  it('refuses malformed step reports without storing anything', async () => {
    const agent = await scriptedAgent();
    const support = await supportClient();
    const jobId = await startedJob(support, agent);
    for (const garbage of [null, 'step', { jobId, sequence: -1 }, { jobId: 'not-a-uuid', sequence: 1 }]) {
      expect(await agent.socket.emitWithAck('job:step', garbage)).toMatchObject({
        ok: false,
        code: 'invalid_message',
      });
    }
    expect(await agent.report(jobId, 1, 'no_such_step')).toMatchObject({
      ok: false,
      code: 'invalid_message',
    });
    expect(await agent.report(jobId, 1, 'reader_found', 'succeeded', { card: { pin: '123456' } })).toEqual({
      ok: true,
      lastSequence: 1,
    });
    const stored = await testServer.db.select().from(jobSteps).where(eq(jobSteps.jobId, jobId));
    expect(JSON.stringify(stored)).not.toContain('123456');
  });

  it('cancels a running job on both sides; the agent can report no more', async () => {
    const agent = await scriptedAgent();
    const support = await supportClient();
    const jobId = await startedJob(support, agent);
    await agent.report(jobId, 1, 'reader_found');
    expect(await support.call('support:cancel-job', { jobId })).toEqual({ ok: true, jobId });
    await until(() => agent.cancels.length > 0);
    expect(agent.cancels).toEqual([{ jobId, code: 'cancelled_by_support' }]);
    expect(await jobRow(jobId)).toMatchObject({ state: 'cancelled', errorCode: 'cancelled_by_support' });
    expect(await agent.report(jobId, 2, 'card_present')).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await support.call('support:cancel-job', { jobId })).toMatchObject({ ok: false });
  });

  it('tells the agent the user cancelled when the user ends the job (AVBRYT on Mina sidor)', async () => {
    const agent = await scriptedAgent();
    const support = await supportClient();
    const jobId = await startedJob(support, agent);
    await agent.report(jobId, 1, 'waiting_for_user', 'started');
    expect(await testServer.server.services.jobs.cancel(jobId, 'user')).toEqual({ ok: true, jobId });
    await until(() => agent.cancels.length > 0);
    expect(agent.cancels).toEqual([{ jobId, code: 'user_cancelled' }]);
    expect(await jobRow(jobId)).toMatchObject({ state: 'cancelled', errorCode: 'user_cancelled' });
  });

  it('retries a cancelled job as a new job on the same agent', async () => {
    const agent = await scriptedAgent();
    const support = await supportClient();
    const jobId = await startedJob(support, agent);
    await support.call('support:cancel-job', { jobId });
    const retried = await support.call<JobAck>('support:retry-job', { jobId });
    expect(retried).toMatchObject({ ok: true });
    const retryId = (retried as { jobId: string }).jobId;
    expect(retryId).not.toBe(jobId);
    expect(await jobRow(retryId)).toMatchObject({ state: 'running', retryOfJobId: jobId, readerName });
    expect(agent.offers.map((offer) => offer.jobId)).toEqual([jobId, retryId]);
    expect(await support.call('support:retry-job', { jobId: retryId })).toMatchObject({ ok: false });
  });

  it('fails a job the agent refuses, with the agent’s reason', async () => {
    const busy = await scriptedAgent(agentToken, {
      accepted: false,
      error: { code: 'agent_busy', message: 'Ett annat jobb pågår' },
    });
    const support = await supportClient();
    const result = await support.call('support:start-card-check', {
      agentSessionId: busy.agentSessionId,
      readerName,
    });
    expect(result).toMatchObject({ ok: false });
    const [job] = await testServer.db.select().from(jobs);
    expect(job).toMatchObject({ state: 'failed', errorCode: 'agent_busy' });
  });

  it('delivers a support message to the agent and audits it', async () => {
    const agent = await scriptedAgent();
    const support = await supportClient();
    const jobId = await startedJob(support, agent);
    expect(await support.call('support:send-message', { jobId, text: 'Sätt i kortet igen, tack.' })).toEqual({
      ok: true,
    });
    await until(() => agent.messages.length === 1);
    expect(agent.messages[0]).toMatchObject({ text: 'Sätt i kortet igen, tack.', jobId, from: 'support' });
    const audit = await testServer.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'support_send_message'));
    expect(audit).toEqual([expect.objectContaining({ outcome: 'success', objectId: jobId })]);
  });

  it('refuses support actions once the support user’s session has ended', async () => {
    const agent = await scriptedAgent();
    const support = await supportClient();
    const sessionId = (await testServer.server.services.sessions.validateCookieHeader(support.cookieHeader))!
      .sessionId;
    // Expired without anyone telling the socket: the action itself checks (logout disconnects at once).
    await testServer.db.update(sessions).set({ expiresAt: 1 }).where(eq(sessions.id, sessionId));
    const result = await support.call('support:start-card-check', {
      agentSessionId: agent.agentSessionId,
      readerName,
    });
    expect(result).toMatchObject({ ok: false, code: 'unauthorized' });
    expect(await testServer.db.select().from(jobs)).toEqual([]);
  });
});

describe('job engine timeouts and disconnects', () => {
  beforeEach(() => start({ stepMs: 300, userPromptMs: 600, reconnectGraceMs: 400 }));

  it('fails a job whose step takes too long and tells the agent to stop', async () => {
    const agent = await scriptedAgent();
    const support = await supportClient();
    const jobId = await startedJob(support, agent);
    await agent.report(jobId, 1, 'reader_found');
    await until(async () => (await jobRow(jobId)).state === 'failed');
    expect((await jobRow(jobId)).errorCode).toBe('step_timeout');
    await until(() => agent.cancels.length > 0);
    expect(agent.cancels).toEqual([{ jobId, code: 'step_timeout' }]);
  });

  it('gives the user longer to type a code than other steps', async () => {
    const agent = await scriptedAgent();
    const support = await supportClient();
    const jobId = await startedJob(support, agent);
    await agent.report(jobId, 1, 'waiting_for_user', 'started');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await jobRow(jobId)).state).toBe('running');
    await until(async () => (await jobRow(jobId)).state === 'failed');
  });

  it('fails the job when the agent does not come back, and shows it at once', async () => {
    const agent = await scriptedAgent();
    const support = await supportClient();
    const jobId = await startedJob(support, agent);
    await agent.report(jobId, 1, 'reader_found');
    agent.socket.close();
    await until(() => support.updates.some((view) => view.jobId === jobId && view.agentSessionId === null));
    await until(async () => (await jobRow(jobId)).state === 'failed');
    expect((await jobRow(jobId)).errorCode).toBe('agent_disconnected');
  });

  it('continues the job when the agent reconnects in time, without losing or doubling a step', async () => {
    const agent = await scriptedAgent();
    const support = await supportClient();
    const jobId = await startedJob(support, agent);
    await agent.report(jobId, 1, 'reader_found');
    agent.socket.close();
    const back = await scriptedAgent(agentToken, { accepted: true }, [jobId]);
    expect(await back.report(jobId, 1, 'reader_found')).toEqual({ ok: true, lastSequence: 1 });
    expect(await back.report(jobId, 2, 'card_present')).toEqual({ ok: true, lastSequence: 2 });
    expect(await jobRow(jobId)).toMatchObject({
      state: 'running',
      agentSessionId: back.agentSessionId,
      lastSequence: 2,
    });
    expect(await testServer.db.select().from(jobSteps).where(eq(jobSteps.jobId, jobId))).toHaveLength(2);
  });

  it('fails the job at once when a restarted agent no longer knows it', async () => {
    const agent = await scriptedAgent();
    const support = await supportClient();
    const jobId = await startedJob(support, agent);
    await agent.report(jobId, 1, 'reader_found');
    agent.socket.close();
    // Gone before the new one came: a connection that replaces a live one cannot fail its jobs.
    await until(() => testServer.server.services.agentRegistry.list().length === 0);
    await scriptedAgent();
    expect(await jobRow(jobId)).toMatchObject({ state: 'failed', errorCode: 'agent_disconnected' });
  });

  it('resumes a running job after a server restart, from the database', async () => {
    const database = await createTestDatabaseLocation();
    onTestFinished(() => database.remove());
    await testServer.stop();
    testServer = await startTestServer({ databaseUrl: database.url });
    await addAgent(testServer.db, agentToken);
    const agent = await scriptedAgent();
    const support = await supportClient();
    const jobId = await startedJob(support, agent);
    await agent.report(jobId, 1, 'reader_found');
    const port = Number(new URL(testServer.url).port);
    sockets.closeAll();
    await testServer.stop();

    testServer = await startTestServer({
      databaseUrl: database.url,
      port,
      jobTimeouts: { reconnectGraceMs: 5_000 },
    });
    expect(await jobRow(jobId)).toMatchObject({ state: 'running', agentSessionId: null, lastSequence: 1 });
    const back = await scriptedAgent(agentToken, { accepted: true }, [jobId]);
    expect(await back.report(jobId, 1, 'reader_found')).toEqual({ ok: true, lastSequence: 1 });
    expect(await back.report(jobId, 2, 'card_present')).toEqual({ ok: true, lastSequence: 2 });
    expect(await back.finish(jobId, 3)).toEqual({ ok: true, lastSequence: 3 });
    expect(await jobRow(jobId)).toMatchObject({ state: 'succeeded', agentSessionId: back.agentSessionId });
  });
});
