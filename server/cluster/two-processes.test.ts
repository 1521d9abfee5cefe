import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pairWithSupportCode } from '../../db/assisted-unlocks';
import { createAuthOrder } from '../../db/auth-orders';
import { findActivationOrder } from '../../db/card-lifecycle';
import { demoCards } from '../../db/demo-fixtures';
import { findCardForCertificates, registerTransportEid } from '../../db/eids';
import { first } from '../../db/engine';
import { newId } from '../../db/ids';
import { jobSteps, jobs, persons } from '../../db/schema';
import { defaultDemoAgentToken } from '../../db/seed';
import type { SequenceAck, SupportCodeAnswer, SupportPairingNotice } from '../../protocol/agent-events';
import { signedChallenge } from '../../protocol/card-exchange';
import type { JobCancel, JobOffer, StepReport, SupportMessage } from '../../protocol/jobs';
import type { ConnectedAgentView, JobAck, JobStepView, JobView } from '../../protocol/support-events';
import { type RedisServer, startRedisServer } from '../../test-support/redis-server';
import { seedDemoDatabase } from '../../test-support/siths-system';
import { createTestDatabaseLocation, type TestDatabaseLocation } from '../../test-support/test-database';
import { testMasterKey } from '../pki/test-fixtures';
import { addAgent, addStaffSession, startTestServer, type TestServer } from '../testing/test-server';
import { TestSockets } from '../testing/test-sockets';

const agentToken = 'cluster-test-agent-token-0001';
const readerName = 'Virtual PCD 00 00';

/**
 * Two server processes of one installation (here two servers in one test process: each its own Socket.IO
 * server, job engine and Redis link) on one database and one real Redis.
 */
let redis: RedisServer;
let database: TestDatabaseLocation;
let processA: TestServer;
let processB: TestServer;
const socketsA = new TestSockets(() => processA.url);
const socketsB = new TestSockets(() => processB.url);

const startProcess = (jobTimeouts = {}) =>
  startTestServer({
    databaseUrl: database.url,
    env: { REDIS_URL: redis.url, LOGIN_RATE_LIMIT_PER_MINUTE: '4' },
    jobTimeouts,
  });

beforeAll(async () => {
  redis = await startRedisServer();
}, 30_000);
afterAll(async () => {
  await redis?.stop();
});

async function startBoth(jobTimeouts = {}) {
  database = await createTestDatabaseLocation();
  processA = await startProcess(jobTimeouts);
  processB = await startProcess(jobTimeouts);
  await addAgent(processA.db, agentToken);
}

afterEach(async () => {
  socketsA.closeAll();
  socketsB.closeAll();
  await processA?.stop();
  await processB?.stop();
  await database?.remove();
});

const until = async (condition: () => boolean | Promise<boolean>, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

/** An agent program connected to one process: accepts offers and records what it is sent. */
async function agentOn(
  process: TestServer,
  sockets: TestSockets,
  activeJobIds: string[] = [],
): Promise<{
  agentSessionId: string;
  offers: JobOffer[];
  cancels: JobCancel[];
  messages: SupportMessage[];
  report(jobId: string, sequence: number, step: string): Promise<SequenceAck>;
  finish(jobId: string, sequence: number): Promise<SequenceAck>;
  close(): void;
}> {
  const known = new Set(process.server.services.agentRegistry.list().map((view) => view.agentSessionId));
  const socket = await sockets.open('/agent', { token: agentToken });
  const offers: JobOffer[] = [];
  const cancels: JobCancel[] = [];
  const messages: SupportMessage[] = [];
  socket.on('job:offer', (offer: JobOffer, reply: (answer: unknown) => void) => {
    offers.push(offer);
    reply({ accepted: true });
  });
  socket.on('job:cancel', (cancel: JobCancel) => cancels.push(cancel));
  socket.on('support:message', (message: SupportMessage) => messages.push(message));
  await socket.emitWithAck('agent:hello', {
    agentVersion: 'test',
    readers: [{ name: readerName, cardPresent: true }],
    activeJobIds,
  });
  const view = process.server.services.agentRegistry.list().find((one) => !known.has(one.agentSessionId));
  const call = <T>(event: string, payload: unknown) =>
    socket.timeout(5_000).emitWithAck(event, payload) as Promise<T>;
  return {
    agentSessionId: view!.agentSessionId,
    offers,
    cancels,
    messages,
    report: (jobId, sequence, step) =>
      call('job:step', {
        jobId,
        sequence,
        step,
        status: 'succeeded',
        at: Date.now(),
        progress: 20,
      } satisfies StepReport),
    finish: (jobId, sequence) =>
      call('job:finished', { jobId, sequence, state: 'succeeded', at: Date.now() }),
    close: () => socket.close(),
  };
}

async function supportOn(process: TestServer, sockets: TestSockets) {
  const { cookieHeader } = await addStaffSession(process, 'support');
  const socket = await sockets.open('/support', {}, cookieHeader);
  const updates: JobView[] = [];
  const steps: JobStepView[] = [];
  const snapshots: ConnectedAgentView[][] = [];
  socket.on('job:updated', (view: JobView) => updates.push(view));
  socket.on('job:step', (step: JobStepView) => steps.push(step));
  socket.on('agents:snapshot', (agents: ConnectedAgentView[]) => snapshots.push(agents));
  const call = <T>(event: string, payload: unknown) =>
    socket.timeout(8_000).emitWithAck(event, payload) as Promise<T>;
  return { updates, steps, snapshots, call };
}

const jobRow = async (jobId: string) =>
  first(await processB.db.select().from(jobs).where(eq(jobs.id, jobId)).limit(1))!;
const storedSequences = async (jobId: string) =>
  (
    await processB.db
      .select({ sequence: jobSteps.sequence })
      .from(jobSteps)
      .where(eq(jobSteps.jobId, jobId))
      .orderBy(jobSteps.sequence)
  ).map((row) => row.sequence);

async function cardCheckFrom(support: Awaited<ReturnType<typeof supportOn>>, agentSessionId: string) {
  const started = await support.call<JobAck>('support:start-card-check', { agentSessionId, readerName });
  if (!('jobId' in started)) throw new Error(`job not started: ${JSON.stringify(started)}`);
  return started.jobId;
}

describe('support on one process, the agent on another', () => {
  beforeEach(() => startBoth());

  it('lists the agent, starts a job on it, and sees every step live and in order', async () => {
    const agent = await agentOn(processA, socketsA);
    const support = await supportOn(processB, socketsB);
    await until(() => support.snapshots.length > 0);
    expect(support.snapshots[0]!.map((view) => view.agentSessionId)).toEqual([agent.agentSessionId]);

    const jobId = await cardCheckFrom(support, agent.agentSessionId);
    expect(agent.offers.map((offer) => offer.jobId)).toEqual([jobId]);
    await support.call('support:watch-job', { jobId });
    const steps = ['reader_found', 'card_present', 'card_read', 'waiting_for_user', 'card_verified'];
    for (const [index, step] of steps.entries())
      expect(await agent.report(jobId, index + 1, step)).toEqual({ ok: true, lastSequence: index + 1 });
    expect(await agent.finish(jobId, 6)).toEqual({ ok: true, lastSequence: 6 });

    await until(() => support.updates.some((view) => view.jobId === jobId && view.state === 'succeeded'));
    expect(support.steps.map((step) => [step.sequence, step.step])).toEqual(
      steps.map((step, index) => [index + 1, step]),
    );
  });

  it('sends support’s message to the agent, and cancels its job, through the process holding it', async () => {
    const agent = await agentOn(processA, socketsA);
    const support = await supportOn(processB, socketsB);
    const jobId = await cardCheckFrom(support, agent.agentSessionId);
    expect(await agent.report(jobId, 1, 'reader_found')).toMatchObject({ ok: true });

    expect(await support.call('support:send-message', { text: 'Hej från supporten', jobId })).toEqual({
      ok: true,
    });
    await until(() => agent.messages.length === 1);
    expect(agent.messages[0]).toMatchObject({ text: 'Hej från supporten', jobId });

    expect(await support.call('support:cancel-job', { jobId })).toMatchObject({ ok: true, jobId });
    await until(() => agent.cancels.length > 0);
    expect(agent.cancels).toEqual([{ jobId, code: 'cancelled_by_support' }]);
    expect(await jobRow(jobId)).toMatchObject({ state: 'cancelled', errorCode: 'cancelled_by_support' });
    // Process A let go of the job: the agent's next report is refused as for any ended job.
    expect(await agent.report(jobId, 2, 'card_present')).toMatchObject({ ok: false, code: 'forbidden' });
    expect(await storedSequences(jobId)).toEqual([1]);
  });

  it('retries a failed job on the agent held by the other process', async () => {
    const agent = await agentOn(processA, socketsA);
    const support = await supportOn(processB, socketsB);
    const jobId = await cardCheckFrom(support, agent.agentSessionId);
    expect(await support.call('support:cancel-job', { jobId })).toMatchObject({ ok: true });
    const retried = await support.call<JobAck>('support:retry-job', { jobId });
    expect(retried).toMatchObject({ ok: true });
    const retryId = (retried as { jobId: string }).jobId;
    expect(agent.offers.map((offer) => offer.jobId)).toEqual([jobId, retryId]);
    expect(await jobRow(retryId)).toMatchObject({
      retryOfJobId: jobId,
      agentSessionId: agent.agentSessionId,
    });
  });

  it('refuses a message for an agent no process holds', async () => {
    const support = await supportOn(processB, socketsB);
    const answer = await support.call('support:send-message', {
      text: 'Hallå?',
      agentSessionId: '00000000-0000-4000-8000-000000000000',
    });
    expect(answer).toMatchObject({ ok: false, code: 'not_found' });
  });

  it('pairs a staff member on one process with the app on the other by its support code, and starts the unlock there', async () => {
    const socket = await socketsA.open('/agent', { token: agentToken });
    const notices: SupportPairingNotice[] = [];
    const offers: JobOffer[] = [];
    socket.on('support:pairing', (notice: SupportPairingNotice) => notices.push(notice));
    socket.on('job:offer', (offer: JobOffer, reply: (answer: unknown) => void) => {
      offers.push(offer);
      reply({ accepted: true });
    });
    await socket.emitWithAck('agent:hello', { agentVersion: 'test', readers: [], activeJobIds: [] });
    const agentSessionId = processA.server.services.agentRegistry.list()[0]!.agentSessionId;
    const issued = (await socket.timeout(5_000).emitWithAck('agent:support-code', {})) as SupportCodeAnswer;
    if (!issued.ok) throw new Error(issued.message);
    expect(issued.supportCode).toMatch(/^\d{6}$/);
    expect(await socket.timeout(5_000).emitWithAck('agent:support-code', { extra: 1 })).toMatchObject({
      ok: false,
      code: 'invalid_message',
    });

    const staff = await addStaffSession(processB, 'id_admin');
    const personId = newId();
    await processB.db
      .insert(persons)
      .values({ id: personId, hsaId: 'SE2321000131-P000000000777', givenName: 'Carl', surname: 'Ek' });
    const paired = await pairWithSupportCode(processB.db, {
      code: issued.supportCode,
      secret: testMasterKey,
      personId,
      staffUserId: staff.userId,
      now: new Date(),
    });
    if (!paired.ok) throw new Error(paired.reason);
    const jobs = processB.server.services.jobs;
    expect(await jobs.notifyPairing(agentSessionId, { state: 'paired', staffName: 'Ida Admin' })).toEqual({
      ok: true,
    });
    await until(() => notices.length === 1);
    expect(notices).toEqual([{ state: 'paired', staffName: 'Ida Admin' }]);

    const started = await jobs.startAssistedUnlock({
      assistedUnlockId: paired.pairing.assistedUnlockId,
      agentSessionId,
      readerName,
      cardSerial: '9752000000000000777',
      personId,
      actor: {
        userId: staff.userId,
        sessionId: (await processB.server.services.sessions.validateCookieHeader(staff.cookieHeader))!
          .sessionId,
      },
    });
    expect(started).toMatchObject({ ok: true });
    await until(() => offers.length === 1);
    expect(offers[0]).toMatchObject({
      kind: 'unlock',
      cardSerial: '9752000000000000777',
      assistedBy: 'id_admin',
    });
    expect(await jobRow(offers[0]!.jobId)).toMatchObject({
      assistedUnlockId: paired.pairing.assistedUnlockId,
    });
  });
});

describe('a job when the process driving it goes away', () => {
  it('moves with its agent to the other process: no step lost, none stored twice', async () => {
    await startBoth();
    const agent = await agentOn(processA, socketsA);
    const support = await supportOn(processB, socketsB);
    const jobId = await cardCheckFrom(support, agent.agentSessionId);
    await support.call('support:watch-job', { jobId });
    expect(await agent.report(jobId, 1, 'reader_found')).toMatchObject({ ok: true });
    expect(await agent.report(jobId, 2, 'card_present')).toMatchObject({ ok: true });

    // Process A shuts down; the agent reconnects to B and names the job it still runs.
    await processA.stop();
    const back = await agentOn(processB, socketsB, [jobId]);
    expect(await jobRow(jobId)).toMatchObject({ state: 'running', agentSessionId: back.agentSessionId });
    // The agent did not see the ack of step 2 and sends it again: stored once, acknowledged.
    expect(await back.report(jobId, 2, 'card_present')).toEqual({ ok: true, lastSequence: 2 });
    expect(await back.report(jobId, 4, 'waiting_for_user')).toMatchObject({ ok: false, code: 'conflict' });
    expect(await back.report(jobId, 3, 'card_read')).toEqual({ ok: true, lastSequence: 3 });
    expect(await back.finish(jobId, 4)).toEqual({ ok: true, lastSequence: 4 });

    expect(await jobRow(jobId)).toMatchObject({ state: 'succeeded', lastSequence: 4 });
    expect(await storedSequences(jobId)).toEqual([1, 2, 3]);
    // Support saw every step; those stored before the takeover may come twice (sent again by B, which cannot
    // know whether A's broadcast left it), each as stored: the page keeps one per sequence.
    const shown = () => [...new Set(support.steps.map((step) => step.sequence))].sort((a, b) => a - b);
    await until(() => shown().length === 3);
    expect(shown()).toEqual([1, 2, 3]);
    expect(support.steps.filter((step) => step.sequence === 3)).toHaveLength(1);
  });

  it('takes the job over before a report sent right behind the hello is judged', async () => {
    await startBoth();
    const agent = await agentOn(processA, socketsA);
    const support = await supportOn(processB, socketsB);
    const jobId = await cardCheckFrom(support, agent.agentSessionId);
    expect(await agent.report(jobId, 1, 'reader_found')).toMatchObject({ ok: true });
    await processA.stop();

    // As the agent's outbox does on reconnecting: hello and the waiting report together, no wait between.
    const socket = await socketsB.open('/agent', { token: agentToken });
    const hello = socket.timeout(5_000).emitWithAck('agent:hello', {
      agentVersion: 'test',
      readers: [],
      activeJobIds: [jobId],
    });
    const step = socket.timeout(5_000).emitWithAck('job:step', {
      jobId,
      sequence: 2,
      step: 'card_present',
      status: 'succeeded',
      at: Date.now(),
      progress: 40,
    } satisfies StepReport);
    expect(await hello).toMatchObject({ ok: true });
    expect(await step).toEqual({ ok: true, lastSequence: 2 });
    expect(await storedSequences(jobId)).toEqual([1, 2]);
  });

  it('fails at its deadline on the other process when its agent does not come back', async () => {
    await startBoth({ reconnectGraceMs: 300 });
    const agent = await agentOn(processA, socketsA);
    const support = await supportOn(processB, socketsB);
    const jobId = await cardCheckFrom(support, agent.agentSessionId);
    expect(await agent.report(jobId, 1, 'reader_found')).toMatchObject({ ok: true });

    await processA.stop();
    expect(await jobRow(jobId)).toMatchObject({ state: 'running', agentSessionId: null });
    // Process A's timer is gone with it: B's sweep ends the job once it is overdue.
    await until(async () => (await jobRow(jobId)).state === 'failed', 10_000);
    expect(await jobRow(jobId)).toMatchObject({ errorCode: 'agent_disconnected', deadlineAt: null });
    await until(() => support.updates.some((view) => view.jobId === jobId && view.state === 'failed'));
  }, 20_000);
});

describe('when Redis restarts', () => {
  beforeEach(() => startBoth());

  it('support’s live view on the other process gets every step, those sent meanwhile too', async () => {
    const agent = await agentOn(processA, socketsA);
    const support = await supportOn(processB, socketsB);
    const jobId = await cardCheckFrom(support, agent.agentSessionId);
    await support.call('support:watch-job', { jobId });
    expect(await agent.report(jobId, 1, 'reader_found')).toMatchObject({ ok: true });
    await until(() => support.steps.length === 1);

    await redis.stopServer();
    // The agent's connection is to process A itself: its steps are stored and acknowledged meanwhile.
    expect(await agent.report(jobId, 2, 'card_present')).toMatchObject({ ok: true });
    expect(await agent.report(jobId, 3, 'card_read')).toMatchObject({ ok: true });
    await redis.startServer();
    expect(await agent.report(jobId, 4, 'waiting_for_user')).toMatchObject({ ok: true });

    await until(() => new Set(support.steps.map((step) => step.sequence)).size === 4, 15_000);
    expect([...new Set(support.steps.map((step) => step.sequence))].sort()).toEqual([1, 2, 3, 4]);
    expect(await storedSequences(jobId)).toEqual([1, 2, 3, 4]);
  }, 30_000);
});

describe('the password login limit with two processes', () => {
  beforeEach(() => startBoth());

  it('is one count for both: tries on A and B together reach it', async () => {
    const tryLogin = (process: TestServer) =>
      fetch(`${process.url}/logga-in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { Origin: process.url, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'username=nobody&password=wrong',
      });
    const statuses = [];
    for (const process of [processA, processB, processA, processB, processA, processB])
      statuses.push((await tryLogin(process)).status);
    expect(statuses.slice(0, 4)).not.toContain(429);
    expect(statuses.slice(4)).toEqual([429, 429]);
  });
});

describe('an activation taken over between its card exchanges', () => {
  it('is answered by the process that took it over, from what the first one recorded', async () => {
    database = await createTestDatabaseLocation();
    await seedDemoDatabase(database.url);
    processA = await startProcess();
    processB = await startProcess();
    const { db } = processA;
    const card = (await findCardForCertificates(db, demoCards.reserveNotActivated))!;
    const activation = (await findActivationOrder(db, card.id))!;
    const newKey = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const spki = () => newKey().publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    const transportKey = newKey();
    const transport = await processA.server.services.pki.issueTransportCertificate({
      cardSerial: card.serial,
      publicKey: transportKey.publicKey,
    });
    await registerTransportEid(db, { cardId: card.id, certificate: transport });
    const order = await createAuthOrder(
      db,
      {
        purpose: 'activate',
        method: 'card',
        expectedPersonId: activation.personId,
        cardId: card.id,
        ttlMs: 60_000,
      },
      new Date(),
    );

    // On process A the agent claims the order and its card proves itself with the transport key.
    const onA = await socketsA.open('/agent', { token: defaultDemoAgentToken });
    const offers: JobOffer[] = [];
    onA.on('job:offer', (offer: JobOffer, reply: (answer: unknown) => void) => {
      offers.push(offer);
      reply({ accepted: true });
    });
    await onA.emitWithAck('agent:hello', { agentVersion: 'test', readers: [], activeJobIds: [] });
    const claimed = await onA
      .timeout(5_000)
      .emitWithAck('agent:autostart', { autoStartToken: order.autoStartToken });
    expect(claimed).toMatchObject({ ok: true });
    const { jobId } = claimed as { jobId: string };
    const challenge = offers.find((offer) => offer.jobId === jobId)!.challenge!;
    const proved = await onA.timeout(5_000).emitWithAck('job:exchange', {
      type: 'prove_card',
      jobId,
      certificate: transport.der.toString('base64'),
      signature: sign(
        'sha256',
        signedChallenge('prove_card', jobId, challenge),
        transportKey.privateKey,
      ).toString('base64'),
    });
    expect(proved).toMatchObject({ ok: true, managementKey: { algorithm: 'AES128' } });

    // Process A goes away; on B the agent asks for its certificates and confirms what it read back.
    await processA.stop();
    const onB = await socketsB.open('/agent', { token: defaultDemoAgentToken });
    await onB.emitWithAck('agent:hello', { agentVersion: 'test', readers: [], activeJobIds: [jobId] });
    const issued = (await onB.timeout(5_000).emitWithAck('job:exchange', {
      type: 'request_certificates',
      jobId,
      keys: { authentication: spki(), signature: spki(), cardAuthentication: spki() },
    })) as {
      ok: boolean;
      certificates?: Record<'authentication' | 'signature' | 'cardAuthentication', string>;
    };
    expect(issued).toMatchObject({ ok: true });
    const fingerprint = (der: string) =>
      createHash('sha256').update(Buffer.from(der, 'base64')).digest('hex');
    const confirmed = await onB.timeout(5_000).emitWithAck('job:exchange', {
      type: 'confirm_certificates',
      jobId,
      fingerprints: {
        authentication: fingerprint(issued.certificates!.authentication),
        signature: fingerprint(issued.certificates!.signature),
        cardAuthentication: fingerprint(issued.certificates!.cardAuthentication),
      },
    });
    expect(confirmed).toEqual({ ok: true });
    expect((await findCardForCertificates(processB.db, card.serial))?.state).toBe('active');
  }, 30_000);
});
