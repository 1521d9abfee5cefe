import { generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createEnrolmentCode, enrolAgent, issueAgentChallenge, revokeAgent } from '../../db/agent-enrolment';
import { first } from '../../db/engine';
import { agentSessions, auditEvents, jobs, users } from '../../db/schema';
import { agentLoginStatement } from '../../protocol/agent-enrolment';
import type { HelloAck } from '../../protocol/agent-events';
import type { JobAck } from '../../protocol/support-events';
import { addAgent, addStaffSession, startTestServer, type TestServer } from '../testing/test-server';
import { TestSockets } from '../testing/test-sockets';

let testServer: TestServer;
const sockets = new TestSockets(() => testServer.url);
const secret = randomBytes(32);

afterEach(async () => {
  sockets.closeAll();
  await testServer.stop();
});

interface EnrolledComputer {
  agentId: string;
  privateKey: KeyObject;
}

async function enrolledComputer(name = 'Mottagningen 3'): Promise<EnrolledComputer> {
  const userId = crypto.randomUUID();
  await testServer.db
    .insert(users)
    .values({ id: userId, username: `sysadmin-${userId}`, displayName: 'Sam' });
  const { code } = await createEnrolmentCode(testServer.db, {
    createdByUserId: userId,
    computerName: name,
    usesAllowed: 1,
    validForMs: 60_000,
    secret,
    now: new Date(),
  });
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const enrolled = await enrolAgent(testServer.db, {
    code,
    publicKeyDer: publicKey.export({ format: 'der', type: 'spki' }),
    hostname: 'pc-0042',
    secret,
    now: new Date(),
  });
  if (!enrolled.ok) throw new Error(enrolled.reason);
  return { agentId: enrolled.agentId, privateKey };
}

const signed = (computer: EnrolledComputer, challenge: string, key = computer.privateKey) =>
  sign('sha256', Buffer.from(agentLoginStatement(computer.agentId, challenge)), key).toString('base64');

async function handshake(computer: EnrolledComputer, key = computer.privateKey) {
  const { challenge } = await issueAgentChallenge(testServer.db, computer.agentId, new Date());
  return { agentId: computer.agentId, challenge, signature: signed(computer, challenge, key) };
}

const refusalOf = (auth: Record<string, string>) =>
  sockets.open('/agent', auth).then(
    () => 'connected',
    (error: Error) => error.message,
  );

const hello = (socket: Socket, agentVersion: string) =>
  socket.timeout(2_000).emitWithAck('agent:hello', {
    agentVersion,
    hostname: 'pc-0042',
    os: 'Debian GNU/Linux 12 (bookworm)',
    readers: [{ name: 'Virtual PCD 00 00', cardPresent: true }],
    activeJobIds: [],
  }) as Promise<HelloAck>;

describe('an enrolled computer', () => {
  it('connects by signing a one-time challenge with its device key; its hello is recorded', async () => {
    testServer = await startTestServer();
    const computer = await enrolledComputer();
    const socket = await sockets.open('/agent', await handshake(computer));
    expect(await hello(socket, '0.2.0')).toMatchObject({ ok: true, version: { verdict: 'current' } });
    const session = first(
      await testServer.db.select().from(agentSessions).where(eq(agentSessions.agentId, computer.agentId)),
    );
    expect(session).toMatchObject({
      agentVersion: '0.2.0',
      hostname: 'pc-0042',
      os: 'Debian GNU/Linux 12 (bookworm)',
    });
  });

  it('is refused with a spent challenge, another key’s signature, or another computer’s challenge', async () => {
    testServer = await startTestServer();
    const computer = await enrolledComputer();
    const other = await enrolledComputer('Mottagningen 4');
    const used = await handshake(computer);
    expect(await refusalOf(used)).toBe('connected');
    expect(await refusalOf(used)).toBe('unauthorized');

    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(await refusalOf(await handshake(computer, stranger))).toBe('unauthorized');

    const othersChallenge = await issueAgentChallenge(testServer.db, other.agentId, new Date());
    expect(
      await refusalOf({
        agentId: computer.agentId,
        challenge: othersChallenge.challenge,
        signature: signed(computer, othersChallenge.challenge),
      }),
    ).toBe('unauthorized');
    expect(await refusalOf({ agentId: computer.agentId, challenge: 'x', signature: 'y' })).toBe(
      'unauthorized',
    );
  });

  it('is cut off at once when revoked, and its reconnection is refused as revoked, audited', async () => {
    testServer = await startTestServer();
    const computer = await enrolledComputer();
    const socket = await sockets.open('/agent', await handshake(computer));
    await hello(socket, '0.2.0');
    const closed = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    const admin = await addStaffSession(testServer, 'system_admin');
    await revokeAgent(testServer.db, { agentId: computer.agentId, byUserId: admin.userId, now: new Date() });
    testServer.server.services.agentAccess.disconnect(computer.agentId);
    expect(await closed).toBe('io server disconnect');

    expect(await refusalOf(await handshake(computer))).toBe('revoked');
    const refusals = await testServer.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'agent_connect'), eq(auditEvents.objectId, computer.agentId)));
    expect(refusals).toMatchObject([
      { outcome: 'refused', detail: expect.objectContaining({ reason: 'revoked' }) },
    ]);
  });
});

describe('an installation that refuses device tokens (AGENT_DEVICE_TOKENS=refuse)', () => {
  it('refuses a known token as needing enrolment, audited, and still lets an enrolled computer in', async () => {
    testServer = await startTestServer({ env: { AGENT_DEVICE_TOKENS: 'refuse' } });
    const token = randomBytes(24).toString('hex');
    const agentId = await addAgent(testServer.db, token, 'Demodatorn');
    expect(await refusalOf({ token })).toBe('enrolment_required');
    expect(await refusalOf({ token })).toBe('enrolment_required');
    // An unknown token says nothing about tokens being refused.
    expect(await refusalOf({ token: randomBytes(24).toString('hex') })).toBe('unauthorized');
    const refusals = await testServer.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'agent_connect'), eq(auditEvents.objectId, agentId)));
    expect(refusals).toMatchObject([
      {
        outcome: 'refused',
        actorLabel: 'Demodatorn',
        detail: expect.objectContaining({ reason: 'device_token_refused' }),
      },
    ]);

    const computer = await enrolledComputer();
    const socket = await sockets.open('/agent', await handshake(computer));
    expect(await hello(socket, '0.2.0')).toMatchObject({ ok: true });
  });

  it('is not the default: the demo and the tests connect with tokens', async () => {
    testServer = await startTestServer();
    const token = randomBytes(24).toString('hex');
    await addAgent(testServer.db, token);
    expect(await refusalOf({ token })).toBe('connected');
  });
});

describe('agent versions', () => {
  it('an agent below the lowest version is told so in the hello ack and is refused card jobs', async () => {
    testServer = await startTestServer({
      env: { AGENT_MIN_VERSION: '0.2.0', AGENT_CURRENT_VERSION: '0.3.0' },
    });
    const old = await enrolledComputer('Gammal dator');
    const socket = await sockets.open('/agent', await handshake(old));
    const offers: unknown[] = [];
    socket.on('job:offer', (offer: unknown, reply: (answer: unknown) => void) => {
      offers.push(offer);
      reply({ accepted: true });
    });
    expect(await hello(socket, '0.1.9')).toEqual({
      ok: true,
      version: { verdict: 'unsupported', current: '0.3.0', minimum: '0.2.0' },
    });
    const agentSessionId = first(
      await testServer.db
        .select()
        .from(agentSessions)
        .where(and(eq(agentSessions.agentId, old.agentId), isNull(agentSessions.disconnectedAt))),
    )!.id;
    const { cookieHeader } = await addStaffSession(testServer, 'support');
    const support = await sockets.open('/support', {}, cookieHeader);
    const started = (await support.timeout(5_000).emitWithAck('support:start-card-check', {
      agentSessionId,
      readerName: 'Virtual PCD 00 00',
    })) as JobAck;
    expect(started).toMatchObject({ ok: false, message: 'Uppdatera SITHS eID-appen' });
    const job = first(await testServer.db.select().from(jobs).where(eq(jobs.agentId, old.agentId)));
    expect(job).toMatchObject({ state: 'failed', errorCode: 'agent_outdated' });
    expect(offers).toEqual([]);

    const current = await enrolledComputer('Ny dator');
    const newer = await sockets.open('/agent', await handshake(current));
    expect(await hello(newer, '0.2.5')).toMatchObject({ version: { verdict: 'outdated' } });
  });
});
