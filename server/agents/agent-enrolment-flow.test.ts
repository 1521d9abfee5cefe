import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq, isNull } from 'drizzle-orm';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Agent, startAgent } from '../../card-agent/agent';
import { readCredential } from '../../card-agent/enrolment/device-credential';
import { FakeReaders } from '../../card-agent/jobs/fake-readers';
import { KEY_HEADER } from '../../card-agent/ui/ui-server';
import { createEnrolmentCode, revokeAgent } from '../../db/agent-enrolment';
import { first } from '../../db/engine';
import { agentSessions, agents, auditEvents, users } from '../../db/schema';
import { addAgent, startTestServer, type TestServer } from '../testing/test-server';

// The SITHS eID-app's whole way in, against the real server (Remix routes and the /agent namespace): a code
// typed in its window or read from the distribution's config, the device key kept in a private file, a
// connection by signed challenge after a restart, and the end of it when the computer is revoked.

let testServer: TestServer;
let folder: string;
const agents_: Agent[] = [];
let logLines: string[];

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'siths-enrol-'));
  logLines = [];
});
afterEach(async () => {
  for (const agent of agents_.splice(0)) await agent.stop();
  await testServer.stop();
  rmSync(folder, { recursive: true, force: true });
});

const credentialPath = () => join(folder, 'config', 'siths-card-agent', 'credential.json');
const logger = () => pino({ level: 'info' }, { write: (line: string) => logLines.push(line) });

async function newCode(options: { name?: string } = {}) {
  const userId = crypto.randomUUID();
  await testServer.db
    .insert(users)
    .values({ id: userId, username: `sysadmin-${userId}`, displayName: 'Sam' });
  const created = await createEnrolmentCode(testServer.db, {
    createdByUserId: userId,
    computerName: options.name ?? 'Mottagningen 3',
    usesAllowed: 1,
    validForMs: 60 * 60_000,
    secret: testServer.server.services.masterKey,
    now: new Date(),
  });
  return { ...created, userId };
}

async function agentFor(options: { code?: string; withCredential?: boolean; deviceToken?: string } = {}) {
  const readers = new FakeReaders();
  readers.addReader('Virtual PCD 00 00', { serial: '9752269885719985027', pin: '482913', triesLeft: 3 });
  const credential = options.withCredential
    ? await readCredential(credentialPath(), testServer.url, logger())
    : undefined;
  const agent = await startAgent({
    serverUrl: testServer.url,
    ...(credential ? { credential } : {}),
    ...(options.deviceToken ? { deviceToken: options.deviceToken } : {}),
    enrolment: { credentialPath: credentialPath(), ...(options.code ? { code: options.code } : {}) },
    logger: logger(),
    uiPort: 0,
    readers,
  });
  agents_.push(agent);
  return agent;
}

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, ms = 8_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const openSessionOf = async (agentId: string) =>
  first(
    await testServer.db
      .select()
      .from(agentSessions)
      .where(and(eq(agentSessions.agentId, agentId), isNull(agentSessions.disconnectedAt))),
  );

const typeInWindow = (agent: Agent, code: string) =>
  fetch(new URL('/api/enrol', agent.ui.url), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [KEY_HEADER]: agent.ui.key,
      origin: new URL(agent.ui.url).origin,
    },
    body: JSON.stringify({ code }),
  });

describe('a computer with the SITHS eID-app', () => {
  it('enrols with the code typed in its window after a wrong one, keeps its key private, and connects', async () => {
    testServer = await startTestServer({ withRemix: true });
    const { code } = await newCode();
    const agent = await agentFor();
    expect(agent.view.current().enrolment).toEqual({ busy: false });

    expect((await typeInWindow(agent, 'ABCD-EFGH-JKMN')).status).toBe(202);
    await until(() => agent.view.current().enrolment?.error, 'the refusal in the window');
    expect(agent.view.current().enrolment?.error).toBe(
      'Registreringskoden finns inte. Kontrollera att du skrivit av den rätt.',
    );

    expect((await typeInWindow(agent, code)).status).toBe(202);
    await until(() => agent.view.current().enrolment === undefined, 'enrolment done');
    expect(agent.view.current().notices).toContainEqual({
      topic: 'enrolled',
      text: 'Datorn är registrerad som ”Mottagningen 3”.',
      alert: false,
    });
    const credential = await readCredential(credentialPath(), testServer.url, logger());
    // The hello (host name, OS) is written just after the connection is opened.
    const session = await until(
      async () =>
        (await openSessionOf(credential!.agentId))?.hostname ? openSessionOf(credential!.agentId) : undefined,
      'the computer’s connection and hello',
    );
    expect(session!.hostname).toBeTruthy();
    expect(session!.os).toBeTruthy();
    expect(statSync(credentialPath()).mode & 0o777).toBe(0o600);
    expect(statSync(join(folder, 'config', 'siths-card-agent')).mode & 0o777).toBe(0o700);
    expect(readFileSync(credentialPath(), 'utf8')).toContain(credential!.agentId);
    // Neither the code nor the key reaches the log.
    const log = logLines.join('\n');
    expect(log).not.toContain(code.replaceAll('-', ''));
    expect(log).not.toContain(code);
    expect(log).not.toContain('PRIVATE KEY');
    expect((await typeInWindow(agent, code)).status).toBe(409);
  });

  it('enrols with the distribution’s code at start, and after a restart connects with its key alone', async () => {
    testServer = await startTestServer({ withRemix: true });
    const { code } = await newCode({ name: 'Vårdcentralen 7' });
    const first_ = await agentFor({ code });
    await until(() => first_.view.current().enrolment === undefined, 'enrolment');
    const credential = (await readCredential(credentialPath(), testServer.url, logger()))!;
    await until(() => openSessionOf(credential.agentId), 'the first connection');
    await first_.stop();
    agents_.splice(0);

    const restarted = await agentFor({ withCredential: true });
    expect(restarted.view.current().enrolment).toBeUndefined();
    await until(() => openSessionOf(credential.agentId), 'the connection after the restart');
    expect(await testServer.db.select().from(agents).where(eq(agents.name, 'Vårdcentralen 7'))).toHaveLength(
      1,
    );
  });

  it('with a device token where the server refuses tokens: asks for a code, enrols, and then uses its key', async () => {
    testServer = await startTestServer({ withRemix: true, env: { AGENT_DEVICE_TOKENS: 'refuse' } });
    const token = randomBytes(24).toString('hex');
    await addAgent(testServer.db, token, 'Demodatorn');
    const agent = await agentFor({ deviceToken: token });
    await until(() => agent.view.current().enrolment, 'the enrolment form');
    expect(agent.view.current().notices).toContainEqual({
      topic: 'connection',
      text: 'siths-desk godtar bara registrerade datorer. Be IT-support om en registreringskod och skriv den nedan.',
      alert: true,
    });
    expect(agent.socket.connected).toBe(false);

    const { code } = await newCode({ name: 'Vårdcentralen 9' });
    expect((await typeInWindow(agent, code)).status).toBe(202);
    await until(() => agent.view.current().enrolment === undefined, 'enrolment done');
    const credential = (await readCredential(credentialPath(), testServer.url, logger()))!;
    await until(() => openSessionOf(credential.agentId), 'the connection with the device key');
    expect(agent.view.current().notices.find((notice) => notice.topic === 'connection')).toBeUndefined();
    await agent.stop();
    agents_.splice(0);

    // Started again as before, token and all: the key comes first.
    const restarted = await agentFor({ deviceToken: token, withCredential: true });
    await until(() => openSessionOf(credential.agentId), 'the connection after the restart');
    expect(restarted.view.current().enrolment).toBeUndefined();
  });

  it('with its credential copied to a second program: the newer connection wins and the first says why', async () => {
    testServer = await startTestServer({ withRemix: true });
    const { code } = await newCode();
    const original = await agentFor({ code });
    await until(() => original.view.current().enrolment === undefined, 'enrolment');
    const { agentId } = (await readCredential(credentialPath(), testServer.url, logger()))!;
    const firstSession = await until(() => openSessionOf(agentId), 'the first connection');
    const copy = await agentFor({ withCredential: true });
    await until(
      () => original.view.current().notices.find((notice) => notice.topic === 'connection'),
      'the replaced notice',
    );
    expect(original.view.current().notices).toContainEqual(
      expect.objectContaining({ topic: 'connection', alert: true }),
    );
    const secondSession = await until(
      async () =>
        (await openSessionOf(agentId))?.id !== firstSession.id ? openSessionOf(agentId) : undefined,
      'the copy’s connection',
    );
    expect(secondSession).toBeDefined();
    expect(copy.socket.connected).toBe(true);
  });

  it('when revoked is cut off, says so in its window, and stops trying', async () => {
    testServer = await startTestServer({ withRemix: true });
    const { code, userId } = await newCode();
    const agent = await agentFor({ code });
    await until(() => agent.view.current().enrolment === undefined, 'enrolment');
    const { agentId } = (await readCredential(credentialPath(), testServer.url, logger()))!;
    await until(() => openSessionOf(agentId), 'the connection');

    await revokeAgent(testServer.db, { agentId, byUserId: userId, now: new Date() });
    testServer.server.services.agentAccess.disconnect(agentId);
    await until(
      () => agent.view.current().notices.find((notice) => notice.topic === 'connection'),
      'the revoked notice',
    );
    expect(agent.view.current().notices).toContainEqual({
      topic: 'connection',
      text: 'Den här datorn är spärrad i siths-desk och kan inte användas med SITHS eID-appen. Kontakta IT-support.',
      alert: true,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await openSessionOf(agentId)).toBeUndefined();
    expect(agent.socket.connected).toBe(false);
    // It asked for a challenge, was told it is revoked, and did not come back for more.
    const refusals = await testServer.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'agent_connect'), eq(auditEvents.objectId, agentId)));
    expect(refusals.length).toBeLessThanOrEqual(1);
  });

  it('below the server’s lowest version shows “Uppdatera SITHS eID-appen” in its window', async () => {
    testServer = await startTestServer({
      withRemix: true,
      env: { AGENT_MIN_VERSION: '9.0.0', AGENT_CURRENT_VERSION: '9.1.0' },
    });
    const { code } = await newCode();
    const agent = await agentFor({ code });
    await until(
      () => agent.view.current().notices.find((notice) => notice.topic === 'version'),
      'the version notice',
    );
    expect(agent.view.current().notices).toContainEqual({
      topic: 'version',
      text: 'Uppdatera SITHS eID-appen. Den här versionen kan inte längre användas med kortet. Senaste version är 9.1.0.',
      alert: true,
    });
  });
});
