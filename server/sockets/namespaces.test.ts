import { eq } from 'drizzle-orm';
import { io, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, units } from '../../db/schema';
import type { Ack, ReaderState } from '../../protocol/agent-events';
import type { ConnectedAgentView } from '../../protocol/support-events';
import { addAgent, addStaffSession, startTestServer, type TestServer } from '../testing/test-server';

const token = 'test-device-token-0123456789';
const otherToken = 'test-device-token-9876543210';
const reader: ReaderState = { name: 'Virtual PCD 00 00', cardPresent: true, atr: '3bf81300008131fe15' };

let testServer: TestServer;
const sockets: Socket[] = [];

beforeEach(async () => {
  testServer = await startTestServer();
  await addAgent(testServer.db, token, 'Receptionens dator');
  await addAgent(testServer.db, otherToken, 'Expeditionens dator');
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await testServer.stop();
});

function connect(namespace: '/agent' | '/support', options: { token?: string; cookie?: string }): Socket {
  const socket = io(`${testServer.url}${namespace}`, {
    transports: ['websocket'],
    reconnection: false,
    auth: options.token ? { token: options.token } : {},
    extraHeaders: options.cookie ? { cookie: options.cookie } : {},
  });
  sockets.push(socket);
  return socket;
}

const connected = (socket: Socket) =>
  new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });

const refusal = (socket: Socket) =>
  new Promise<string>((resolve, reject) => {
    socket.once('connect', () => reject(new Error('connection was accepted')));
    socket.once('connect_error', (error) => resolve(error.message));
  });

const emitWithAck = (socket: Socket, event: string, payload: unknown) =>
  socket.timeout(2_000).emitWithAck(event, payload) as Promise<Ack>;

describe('/agent namespace', () => {
  it('refuses an agent with an unknown or missing device token', async () => {
    expect(await refusal(connect('/agent', { token: 'not-a-known-token-at-all' }))).toBe('unauthorized');
    expect(await refusal(connect('/agent', {}))).toBe('unauthorized');
  });

  it('accepts a known agent and records its readers', async () => {
    const agent = connect('/agent', { token });
    await connected(agent);
    const ack = await emitWithAck(agent, 'agent:hello', { agentVersion: '0.1.0', readers: [reader] });
    expect(ack).toEqual({ ok: true, version: { verdict: 'outdated', current: '0.2.0', minimum: null } });
    const [view] = testServer.server.services.agentRegistry.list();
    expect(view?.agentName).toBe('Receptionens dator');
    expect(view?.readers).toEqual([reader]);
  });

  it.each([
    ['a string', 'hello'],
    ['null', null],
    ['wrong types', { agentVersion: 42, readers: 'none' }],
    ['a reader without a name', { agentVersion: '1', readers: [{ cardPresent: true }] }],
    ['an ATR that is not hex', { agentVersion: '1', readers: [{ ...reader, atr: 'zz' }] }],
    ['too many readers', { agentVersion: '1', readers: Array.from({ length: 33 }, () => reader) }],
    // A right-to-left override would show support "vardrum-12" for a computer called otherwise.
    [
      'a computer name with a bidirectional override',
      { agentVersion: '1', hostname: '21-murdrav\u202E', readers: [] },
    ],
    ['a system name with a control character', { agentVersion: '1', os: 'Debian\u001B[2J', readers: [] }],
    [
      'a reader name with a control character',
      { agentVersion: '1', readers: [{ ...reader, name: 'Läsare\u0007' }] },
    ],
    ['a version with a line break', { agentVersion: '0.2.0\nadmin', readers: [] }],
  ])('refuses a hello with %s and stays up', async (_label, payload) => {
    const agent = connect('/agent', { token });
    await connected(agent);
    const ack = await emitWithAck(agent, 'agent:hello', payload);
    expect(ack).toMatchObject({ ok: false, code: 'invalid_message' });
    expect(await emitWithAck(agent, 'agent:hello', { agentVersion: '1', readers: [] })).toMatchObject({
      ok: true,
    });
  });

  it('drops a connection that sends a message over the size limit, and keeps serving others', async () => {
    // Another agent: a second connection with the same token would replace the first.
    const other = connect('/agent', { token: otherToken });
    await connected(other);
    const flooder = connect('/agent', { token });
    await connected(flooder);
    const dropped = new Promise<void>((resolve) => flooder.once('disconnect', () => resolve()));
    flooder.emit('agent:hello', { agentVersion: 'x'.repeat(200_000), readers: [] });
    await dropped;
    expect(await emitWithAck(other, 'agent:hello', { agentVersion: '1', readers: [reader] })).toMatchObject({
      ok: true,
    });
  });
});

describe('/support namespace', () => {
  it('refuses a browser without a session', async () => {
    expect(await refusal(connect('/support', {}))).toBe('unauthorized');
  });

  it('refuses a logged-in user without the support role and audits it', async () => {
    await testServer.db
      .insert(units)
      .values({ id: 'unit-a', hsaId: 'SE2321000131-A', name: 'Enhet A', organisation: 'Region' });
    const manager = await addStaffSession(testServer, 'manager', 'unit-a');
    expect(await refusal(connect('/support', { cookie: manager.cookieHeader }))).toBe('forbidden');
    const refusals = await testServer.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.actorUserId, manager.userId));
    expect(refusals).toEqual([
      expect.objectContaining({ action: 'support_live_view_join', outcome: 'refused' }),
    ]);
  });

  it('streams agents and their reader events to support', async () => {
    const support = await addStaffSession(testServer, 'support');
    const watcher = connect('/support', { cookie: support.cookieHeader });
    const snapshot = new Promise<ConnectedAgentView[]>((resolve) => watcher.once('agents:snapshot', resolve));
    await connected(watcher);
    expect(await snapshot).toEqual([]);

    const agent = connect('/agent', { token });
    await connected(agent);
    await emitWithAck(agent, 'agent:hello', { agentVersion: '0.1.0', readers: [] });
    const inserted = new Promise<ConnectedAgentView>((resolve) =>
      watcher.on('agent:updated', (view: ConnectedAgentView) => {
        if (view.readers.some((r) => r.cardPresent)) resolve(view);
      }),
    );
    await emitWithAck(agent, 'agent:reader-event', {
      kind: 'card-inserted',
      reader,
      readers: [reader],
      at: Date.now(),
    });
    expect((await inserted).readers).toEqual([reader]);

    const gone = new Promise<{ agentSessionId: string }>((resolve) =>
      watcher.once('agent:disconnected', resolve),
    );
    agent.close();
    expect((await gone).agentSessionId).toBe((await inserted).agentSessionId);
  });
});
