import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, sessions, staffRoleAssignments, users } from '../../db/schema';
import type { JobAck } from '../../protocol/support-events';
import { addAgent, addStaffSession, startTestServer, type TestServer } from '../testing/test-server';
import { TestSockets } from '../testing/test-sockets';

/**
 * Finding 2 of issue 11: a /support socket lives no longer than its login session and its role. Every
 * handler checks session, account and role; logging out or losing the role disconnects the socket at
 * once, and broadcasts reach only sockets that are still authorised.
 */
const token = 'support-session-agent-token-01';
const readerName = 'Virtual PCD 00 00';

let testServer: TestServer;
const sockets = new TestSockets(() => testServer.url);

beforeEach(async () => {
  testServer = await startTestServer();
  await addAgent(testServer.db, token);
});

afterEach(async () => {
  sockets.closeAll();
  await testServer.stop();
});

const until = async (condition: () => boolean, timeoutMs = 3_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

/** A support user's live view, an agent, and a running card check the view may watch. */
async function watchingSupport() {
  const staff = await addStaffSession(testServer, 'support');
  const socket = await sockets.open('/support', {}, staff.cookieHeader);
  const received: string[] = [];
  socket.onAny((event: string) => received.push(event));
  const disconnects: string[] = [];
  socket.on('disconnect', (reason) => disconnects.push(reason));
  const agent = await sockets.open('/agent', { token });
  agent.on('job:offer', (_offer: unknown, reply: (answer: unknown) => void) => reply({ accepted: true }));
  await agent.timeout(2_000).emitWithAck('agent:hello', { agentVersion: 'test', readers: [] });
  const agentSessionId = testServer.server.services.agentRegistry.list()[0]!.agentSessionId;
  const call = <T>(event: string, payload: unknown) =>
    socket.timeout(3_000).emitWithAck(event, payload) as Promise<T>;
  const started = await call<JobAck>('support:start-card-check', { agentSessionId, readerName });
  const jobId = (started as { jobId: string }).jobId;
  const session = await testServer.server.services.sessions.validateCookieHeader(staff.cookieHeader);
  return { ...staff, sessionId: session!.sessionId, socket, agent, received, disconnects, call, jobId };
}

const refusalsOf = async (userId: string) =>
  (await testServer.db.select().from(auditEvents).where(eq(auditEvents.actorUserId, userId))).filter(
    (event) => event.outcome === 'refused',
  );

describe('/support sockets follow their session and role', () => {
  it('disconnects the socket at logout; it gets no broadcast after it', async () => {
    const support = await watchingSupport();
    await testServer.server.services.sessions.invalidate(support.sessionId);
    await until(() => support.disconnects.length === 1);
    expect(support.disconnects).toEqual(['io server disconnect']);
    support.received.length = 0;
    await sockets.open('/agent', { token: 'support-session-agent-token-01' });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(support.received).toEqual([]);
  });

  it.each([
    [
      'the session has expired',
      async (s: { sessionId: string }) => {
        await testServer.db.update(sessions).set({ expiresAt: 1 }).where(eq(sessions.id, s.sessionId));
      },
    ],
    [
      'the support role was removed behind its back',
      async (s: { userId: string }) => {
        await testServer.db.delete(staffRoleAssignments).where(eq(staffRoleAssignments.userId, s.userId));
      },
    ],
    [
      'the account was disabled',
      async (s: { userId: string }) => {
        await testServer.db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, s.userId));
      },
    ],
  ])('refuses watch-job when %s, audits it and disconnects', async (_label, revoke) => {
    const support = await watchingSupport();
    await revoke(support);
    const answer = await support.call<{ ok: false; message: string }>('support:watch-job', {
      jobId: support.jobId,
    });
    expect(answer).toMatchObject({ ok: false, message: expect.stringMatching(/[Ii]nloggning|behörighet/) });
    expect(answer).not.toHaveProperty('steps');
    await until(() => support.disconnects.length === 1);
    expect(await refusalsOf(support.userId)).toEqual([
      expect.objectContaining({
        action: 'support_live_view_event',
        objectType: 'support_namespace',
        detail: expect.objectContaining({ event: 'support:watch-job' }),
      }),
    ]);
  });

  it('refuses unwatch-job too once the session has ended', async () => {
    const support = await watchingSupport();
    await testServer.db.delete(sessions).where(eq(sessions.id, support.sessionId));
    const answer = await support.call('support:unwatch-job', { jobId: support.jobId });
    expect(answer).toMatchObject({ ok: false });
    await until(() => support.disconnects.length === 1);
  });

  it('disconnects the user’s sockets when a role change takes the support role away', async () => {
    const support = await watchingSupport();
    await testServer.db.delete(staffRoleAssignments).where(eq(staffRoleAssignments.userId, support.userId));
    testServer.server.services.sessions.accessChanged(support.userId);
    await until(() => support.disconnects.length === 1);
    support.received.length = 0;
    await sockets.open('/agent', { token });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(support.received).toEqual([]);
  });

  it('keeps the socket of a user whose role change still allows the live view', async () => {
    const support = await watchingSupport();
    testServer.server.services.sessions.accessChanged(support.userId);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(support.socket.connected).toBe(true);
    expect(await support.call('support:watch-job', { jobId: support.jobId })).toHaveProperty('steps');
  });

  it('re-checks a socket that Socket.IO restores after a network break, without its middleware', async () => {
    const support = await watchingSupport();
    const restoring = await sockets.open('/support', {}, support.cookieHeader, {
      reconnection: true,
      reconnectionDelay: 50,
    });
    const broadcast = new Promise((resolve) => restoring.once('agent:updated', resolve));
    await support.agent.timeout(2_000).emitWithAck('agent:hello', { agentVersion: 'test-2', readers: [] });
    await broadcast;
    await testServer.db.update(sessions).set({ expiresAt: 1 }).where(eq(sessions.id, support.sessionId));
    const reasons: string[] = [];
    restoring.on('disconnect', (reason: string) => reasons.push(reason));
    const serverSide = testServer.server.io.of('/support').sockets.get(restoring.id!)!;
    serverSide.conn.close();
    await until(() => reasons.includes('io server disconnect'));
    expect(reasons[0]).toBe('transport close');
    expect(await refusalsOf(support.userId)).toEqual([
      expect.objectContaining({
        action: 'support_live_view_event',
        detail: { event: 'reconnect', reason: 'session_ended' },
      }),
    ]);
  });
});
