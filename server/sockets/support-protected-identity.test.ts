import { and, eq } from 'drizzle-orm';
import { io, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerAgent } from '../../db/agents';
import { demoProtectedPerson } from '../../db/demo-fixtures';
import { newId } from '../../db/ids';
import { persons, personUnits, staffRoleAssignments, units } from '../../db/schema';
import type { ConnectedAgentView, JobAck, JobDetail, JobView } from '../../protocol/support-events';
import { addStaffSession, startTestServer, type TestServer } from '../testing/test-server';
import { TestSockets } from '../testing/test-sockets';

/**
 * Support's live view names a protected identity (the holder of an agent and of its jobs) only to support
 * staff who hold protected_identity_viewer: in the snapshot, every broadcast and every answer, as the right
 * stands at each event.
 */
const token = 'protected-holder-agent-token-01';
const sara = demoProtectedPerson;
const saraName = `${sara.givenName} ${sara.surname}`;
const readerName = 'Virtual PCD 00 00';

let testServer: TestServer;
const sockets = new TestSockets(() => testServer.url);
const supportSockets: Socket[] = [];

beforeEach(async () => {
  testServer = await startTestServer();
  await testServer.db
    .insert(units)
    .values({ id: 'akuten', hsaId: 'SE2321000131-AKUT', name: 'Akutmottagning', organisation: 'Region' });
  const personId = newId();
  await testServer.db.insert(persons).values({
    id: personId,
    hsaId: sara.hsaId,
    personalIdentityNumber: sara.personalIdentityNumber,
    givenName: sara.givenName,
    surname: sara.surname,
    email: sara.email,
    protectedIdentity: true,
  });
  await testServer.db.insert(personUnits).values({ personId, unitId: 'akuten' });
  await registerAgent(testServer.db, { name: 'Receptionens dator', deviceToken: token, personId });
});

afterEach(async () => {
  sockets.closeAll();
  for (const socket of supportSockets.splice(0)) socket.close();
  await testServer.stop();
});

const until = async (condition: () => boolean, timeoutMs = 3_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

/** Nothing the socket received names Sara: no name, HSA-id, personnummer or unit. */
function expectNoTraceOfSara(received: unknown): void {
  const text = JSON.stringify(received);
  for (const trace of [sara.surname, sara.hsaId, sara.personalIdentityNumber.slice(0, 8), 'Akutmottagning'])
    expect(text).not.toContain(trace);
}

/** A support user's live view, recording the snapshot and every broadcast it receives. */
async function supportView(seesProtectedIdentities: boolean) {
  const staff = await addStaffSession(testServer, 'support');
  if (seesProtectedIdentities) await setRight(staff.userId, true);
  const socket = io(`${testServer.url}/support`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    extraHeaders: { cookie: staff.cookieHeader },
  });
  supportSockets.push(socket);
  // Listening before the connection: the server sends the snapshot as soon as it accepts it.
  const snapshot = new Promise<ConnectedAgentView[]>((resolve) => socket.once('agents:snapshot', resolve));
  const agents: ConnectedAgentView[] = [];
  const jobs: JobView[] = [];
  socket.on('agent:updated', (agent: ConnectedAgentView) => agents.push(agent));
  socket.on('job:updated', (job: JobView) => jobs.push(job));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const call = <T>(event: string, payload: unknown) =>
    socket.timeout(3_000).emitWithAck(event, payload) as Promise<T>;
  return { ...staff, socket, snapshot, agents, jobs, call };
}

async function setRight(userId: string, holds: boolean): Promise<void> {
  await testServer.db
    .delete(staffRoleAssignments)
    .where(
      and(
        eq(staffRoleAssignments.userId, userId),
        eq(staffRoleAssignments.role, 'protected_identity_viewer'),
      ),
    );
  if (holds) {
    await testServer.db
      .insert(staffRoleAssignments)
      .values({ id: newId(), userId, role: 'protected_identity_viewer', unitId: null });
  }
}

/** Sara's agent connects, says hello, and support starts a card check on it. */
async function saraAtHerAgent(startedBy: { call: <T>(event: string, payload: unknown) => Promise<T> }) {
  const agent = await sockets.openAgent(token);
  const agentSessionId = testServer.server.services.agentRegistry.list()[0]!.agentSessionId;
  const started = await startedBy.call<JobAck>('support:start-card-check', { agentSessionId, readerName });
  return { agent, jobId: (started as { jobId: string }).jobId };
}

const shownSara = { hidden: false, protectedIdentity: true, name: saraName };

describe('/support and a protected identity', () => {
  it('names her agent and job only to support staff with the right, in every broadcast and answer', async () => {
    const plain = await supportView(false);
    const holder = await supportView(true);
    await saraAtHerAgent(plain);
    await until(() => plain.jobs.length > 0 && holder.jobs.length > 0 && holder.agents.length > 0);

    expect(plain.agents.at(-1)?.holder).toEqual({ hidden: true });
    expect(plain.jobs.at(-1)?.holder).toEqual({ hidden: true });
    expect(holder.agents.at(-1)?.holder).toEqual(shownSara);
    expect(holder.jobs.at(-1)?.holder).toEqual({
      ...shownSara,
      hsaId: sara.hsaId,
      units: [{ id: 'akuten', name: 'Akutmottagning' }],
    });

    const jobId = plain.jobs.at(-1)!.jobId;
    const plainDetail = await plain.call<JobDetail>('support:watch-job', { jobId });
    expect(plainDetail.job.holder).toEqual({ hidden: true });
    expect((await holder.call<JobDetail>('support:watch-job', { jobId })).job.holder).toMatchObject(
      shownSara,
    );
    expectNoTraceOfSara([plain.agents, plain.jobs, plainDetail]);
  });

  it('masks her in the snapshot of a support user who connects while she is connected', async () => {
    await saraAtHerAgent(await supportView(true));
    const plain = await supportView(false);
    const holder = await supportView(true);
    expect((await plain.snapshot).map((agent) => agent.holder)).toEqual([{ hidden: true }]);
    expect((await holder.snapshot).map((agent) => agent.holder)).toEqual([shownSara]);
  });

  it('stops naming her to a socket whose user loses the right, from the next event on', async () => {
    const holder = await supportView(true);
    const { agent, jobId } = await saraAtHerAgent(holder);
    await until(() => holder.jobs.length > 0);
    expect(holder.jobs.at(-1)?.holder).toMatchObject(shownSara);

    await setRight(holder.userId, false);
    testServer.server.services.sessions.accessChanged(holder.userId);
    expect((await holder.call<JobDetail>('support:watch-job', { jobId })).job.holder).toEqual({
      hidden: true,
    });
    holder.agents.length = 0;
    holder.jobs.length = 0;
    await agent.call('agent:hello', { agentVersion: 'test-2', readers: [], activeJobIds: [] });
    await holder.call('support:cancel-job', { jobId });
    await until(() => holder.agents.length > 0 && holder.jobs.length > 0);
    expectNoTraceOfSara([holder.agents, holder.jobs]);
    expect(holder.socket.connected).toBe(true);
  });
});
