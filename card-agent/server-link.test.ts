import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CardExchange } from '../protocol/card-exchange';
import { type Agent, startAgent } from './agent';
import { FakeReaders } from './jobs/fake-readers';
import { TEST_TOKEN, TestAgentServer } from './jobs/test-agent-server';
import { connectToServer } from './server-link';

const TOKEN = 'aB3-_x7Zq9LmN2pR4tV6wY8zA1cE5gI0kO-jH_uF2dS';
let server: TestAgentServer | undefined;
let link: ReturnType<typeof connectToServer> | undefined;
let agent: Agent | undefined;
let logs: string[];

afterEach(async () => {
  link?.close();
  await agent?.stop();
  await server?.close();
  link = agent = server = undefined;
});

async function connect(answerTimeoutMs = 2_000) {
  server = await TestAgentServer.start();
  logs = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => logs.push(line) });
  link = connectToServer({
    serverUrl: server.url,
    deviceToken: TEST_TOKEN,
    logger,
    currentReaders: () => [],
    answerTimeoutMs,
  });
  await server.whenConnected();
  await new Promise<void>((resolve) =>
    link!.socket.connected ? resolve() : link!.socket.once('connect', resolve),
  );
  return { server, link };
}

const signIn = (): CardExchange => ({
  type: 'sign_in',
  jobId: randomUUID(),
  certificate: Buffer.from('certificate').toString('base64'),
  signature: Buffer.from('signature').toString('base64'),
});

describe('card exchanges over the server link', () => {
  it("turns the server's refusal into a JobFailure with its code and message", async () => {
    const { server, link } = await connect();
    server.interceptExchange = () => ({
      ok: false,
      code: 'reserve_card_not_activated',
      message: 'Felkod 2004',
    });
    await expect(link.exchange(signIn())).rejects.toMatchObject({
      name: 'JobFailure',
      code: 'reserve_card_not_activated',
      message: 'Felkod 2004',
    });
    expect(server.exchanges.map((request) => request.type)).toEqual(['sign_in']);
  });

  it('fails with internal on a malformed answer and agent_disconnected without one in time', async () => {
    const { server, link } = await connect(200);
    server.interceptExchange = () => ({ ok: 'yes' }) as never;
    await expect(link.exchange(signIn())).rejects.toMatchObject({ code: 'internal' });
    server.interceptExchange = () => new Promise(() => {});
    await expect(link.exchange(signIn())).rejects.toMatchObject({ code: 'agent_disconnected' });
  });

  it('refuses to send a malformed request, and fails at once when not connected', async () => {
    const { link } = await connect();
    await expect(link.exchange({ ...signIn(), jobId: 'not-a-uuid' })).rejects.toMatchObject({
      code: 'internal',
    });
    link.close();
    await expect(link.exchange(signIn())).rejects.toMatchObject({ code: 'agent_disconnected' });
  });

  it('hands over a start token and returns the claimed job; logs neither the token nor answers', async () => {
    const { server, link } = await connect();
    const jobId = randomUUID();
    const tokens: string[] = [];
    server.answerAutoStart = ({ autoStartToken }) => {
      tokens.push(autoStartToken);
      return { ok: true, jobId };
    };
    expect(await link.autoStart(TOKEN)).toEqual({ ok: true, jobId });
    expect(tokens).toEqual([TOKEN]);
    expect(logs.join('')).not.toContain(TOKEN);
    link.close();
    expect(await link.autoStart(TOKEN)).toMatchObject({ ok: false, code: 'not_connected' });
  });
});

describe('autostart through the agent', () => {
  it('takes POST /autostart from the server origin and answers 202 with the job the server started', async () => {
    server = await TestAgentServer.start();
    const jobId = randomUUID();
    server.answerAutoStart = () => ({ ok: true, jobId });
    agent = await startAgent({
      serverUrl: server.url,
      deviceToken: TEST_TOKEN,
      logger: pino({ level: 'silent' }),
      uiPort: 0,
      readers: new FakeReaders(),
    });
    await server.whenConnected();
    const post = (origin: string) =>
      fetch(new URL('/autostart', agent!.ui.url), {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json' },
        body: JSON.stringify({ autoStartToken: TOKEN }),
      });
    const started = await post(new URL(server.url).origin);
    expect(started.status).toBe(202);
    expect(await started.json()).toEqual({ jobId });
    expect((await post('http://127.0.0.1:1')).status).toBe(403);
  });
});

describe('"Få hjälp av support" through the server link', () => {
  async function agentWithServer() {
    server = await TestAgentServer.start();
    logs = [];
    agent = await startAgent({
      serverUrl: server.url,
      deviceToken: TEST_TOKEN,
      logger: pino({ level: 'trace' }, { write: (line: string) => logs.push(line) }),
      uiPort: 0,
      readers: new FakeReaders(),
    });
    await server.whenConnected();
    await new Promise<void>((resolve) =>
      agent!.socket.connected ? resolve() : agent!.socket.once('connect', resolve),
    );
    return { server, agent };
  }
  const pressHelp = (ui: Agent['ui']) =>
    fetch(new URL('/api/support-code', ui.url), {
      method: 'POST',
      headers: { 'x-agent-key': ui.key, 'content-type': 'application/json' },
      body: '{}',
    });
  const support = () => agent!.view.current().support;

  it('shows the code grouped with its lifetime, then who from support paired, and takes the button back when it ends', async () => {
    const { server, agent } = await agentWithServer();
    server.answerSupportCode = () => ({ ok: true, supportCode: '123456', expiresAt: Date.now() + 300_000 });
    expect(support()).toEqual({ offerHelp: true, lines: [] });
    expect((await pressHelp(agent.ui)).status).toBe(202);
    await vi.waitFor(() => expect(support().code).toBe('123 456'));
    expect(support()).toMatchObject({
      offerHelp: false,
      lines: ['Läs upp koden för supporten. Den gäller i 5 minuter.'],
    });
    expect(server.supportCodeRequests).toBe(1);
    expect(logs.join('')).not.toContain('123456');

    server.pairing({ state: 'paired', staffName: 'Anna Ek' });
    await vi.waitFor(() =>
      expect(support()).toEqual({
        offerHelp: false,
        lines: ['Anna Ek på support är kopplad till den här datorn'],
      }),
    );
    server.pairing({ state: 'ended', staffName: 'Anna Ek' });
    await vi.waitFor(() => expect(support()).toEqual({ offerHelp: true, lines: [] }));
  });

  it('forgets a code when the connection drops: it belonged to that agent session', async () => {
    const { server, agent } = await agentWithServer();
    server.answerSupportCode = () => ({ ok: true, supportCode: '246813', expiresAt: Date.now() + 300_000 });
    expect((await pressHelp(agent.ui)).status).toBe(202);
    await vi.waitFor(() => expect(support().code).toBe('246 813'));
    server.dropConnection();
    await vi.waitFor(() => expect(support()).toEqual({ offerHelp: true, lines: [] }));
  });

  it('says "Koden har gått ut" and offers the button again when the code expires', async () => {
    const { server, agent } = await agentWithServer();
    server.answerSupportCode = () => ({ ok: true, supportCode: '654321', expiresAt: Date.now() + 300 });
    expect((await pressHelp(agent.ui)).status).toBe(202);
    await vi.waitFor(() => expect(support().code).toBe('654 321'));
    await vi.waitFor(() => expect(support()).toEqual({ offerHelp: true, lines: ['Koden har gått ut'] }));
  });

  it("shows the server's refusal or a missing answer in Swedish, and offers the button again", async () => {
    const { server, agent } = await agentWithServer();
    server.answerSupportCode = () => ({ ok: false, code: 'forbidden', message: 'not now' });
    expect((await pressHelp(agent.ui)).status).toBe(202);
    await vi.waitFor(() =>
      expect(support()).toEqual({
        offerHelp: true,
        lines: ['Det gick inte att få en kod till support. Försök igen om en stund.'],
      }),
    );
    server.answerSupportCode = () => ({ ok: true, supportCode: 'abc', expiresAt: Date.now() + 300_000 });
    expect((await pressHelp(agent.ui)).status).toBe(202);
    await vi.waitFor(() => expect(server.supportCodeRequests).toBe(2));
    await vi.waitFor(() => expect(support().offerHelp).toBe(true));
    expect(support().code).toBeUndefined();
  });
});
