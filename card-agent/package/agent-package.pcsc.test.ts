/**
 * The card-agent's Debian package as a computer without the repository gets it: built as
 * `npm run agent:package` builds it, unpacked with dpkg-deb into a fresh folder, its own Node runtime running
 * its bundle from outside the repository, then the installed agent (not the repository's source) connecting
 * to the real server and running a card check on a virtual card through real pcscd; its maintainer scripts
 * enable the user unit and, on removal, stop the running agent.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnrolmentCode } from '../../db/agent-enrolment';
import { findJob } from '../../db/jobs';
import type { JobAck } from '../../protocol/support-events';
import { buildAgentPackage } from '../../scripts/package-agent';
import { addStaffSession, startTestServer, type TestServer } from '../../server/testing/test-server';
import { TestSockets } from '../../server/testing/test-sockets';
import type { VirtualCardProcess } from '../../test-support/pcscd';
import { freePort, type ManagedProcess } from '../../test-support/processes';
import { startCardAgentProcess } from '../../test-support/siths-system';
import type { Agent } from '../agent';
import { promptOverHttp, stateOverHttp, submitOverHttp, until } from '../jobs/local-ui-client';
import { agentVersion } from '../version';
import { type TestCard, TestRig } from '../virtual-card/test-rig';

const work = mkdtempSync(join(tmpdir(), 'siths-agent-package-'));
/** Where dpkg-deb unpacked the package: the computer's / as the package sees it. */
const root = join(work, 'root');
const lib = join(root, 'usr', 'lib', 'siths-card-agent');
/** A folder outside the repository with no node_modules anywhere above it. */
const elsewhere = join(work, 'elsewhere');
let deb: string;

beforeAll(async () => {
  // zstd: the same files as the release's xz, in a fraction of the time.
  deb = (await buildAgentPackage({ outDir: join(work, 'dist'), compression: 'zstd' })).file;
  execFileSync('dpkg-deb', ['-x', deb, root]);
  execFileSync('dpkg-deb', ['-e', deb, join(work, 'control')]);
  mkdirSync(elsewhere);
}, 240_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** An environment of exactly these variables, nothing inherited. */
const only = (variables: Record<string, string>) => variables as NodeJS.ProcessEnv;

const field = (name: string) => execFileSync('dpkg-deb', ['-f', deb, name], { encoding: 'utf8' }).trim();

/** A maintainer script as dpkg runs it, for the unpacked root (DPKG_ROOT) instead of this machine's /. */
const maintainerScript = (script: string, ...args: string[]) =>
  execFileSync('sh', [join(work, 'control', script), ...args], {
    env: only({ PATH: process.env.PATH ?? '/usr/bin:/bin', DPKG_ROOT: root }),
    encoding: 'utf8',
  });

describe('the siths-card-agent package', () => {
  it("has the agent's own version, for amd64, and depends on pcscd", () => {
    expect(field('Package')).toBe('siths-card-agent');
    expect(field('Version')).toBe(agentVersion);
    expect(field('Architecture')).toBe('amd64');
    expect(field('Depends').split(/,\s*/)).toEqual(expect.arrayContaining(['pcscd', 'libpcsclite1']));
    expect(deb.endsWith(`siths-card-agent_${agentVersion}_amd64.deb`)).toBe(true);
  });

  it('brings its runtime, bundle and add-on, starts at login, and keeps the distribution config as a conffile', () => {
    for (const program of ['usr/bin/siths-card-agent', 'usr/lib/siths-card-agent/node'])
      expect(statSync(join(root, program)).mode & 0o777, program).toBe(0o755);
    for (const file of ['agent.mjs', 'page.html', 'node_modules/pcsclite/build/Release/pcsclite.node'])
      expect(existsSync(join(lib, file)), file).toBe(true);
    const unit = readFileSync(join(root, 'usr/lib/systemd/user/siths-card-agent.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/siths-card-agent --open-window$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    const autostart = readFileSync(join(root, 'etc/xdg/autostart/siths-card-agent.desktop'), 'utf8');
    expect(autostart).toMatch(/^Exec=\/usr\/bin\/siths-card-agent --session-start$/m);
    expect(readFileSync(join(work, 'control', 'conffiles'), 'utf8')).toBe(
      '/etc/siths-card-agent/config.json\n',
    );
    const config = join(root, 'etc/siths-card-agent/config.json');
    expect(Object.keys(JSON.parse(readFileSync(config, 'utf8')))).toEqual(['serverUrl', 'enrolmentCode']);
    expect(statSync(config).mode & 0o777).toBe(0o644);
  });

  it('runs its bundle on its own Node from a folder outside the repository, with nothing of the repository in reach', () => {
    const help = spawnSync(join(lib, 'node'), [join(lib, 'agent.mjs'), '--help'], {
      cwd: elsewhere,
      env: only({ PATH: '/usr/bin:/bin', HOME: elsewhere }),
      encoding: 'utf8',
    });
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--open-window/);
    expect(readFileSync(join(lib, 'agent.mjs'), 'utf8')).not.toContain(process.cwd());
  });

  it('enables the user unit for every user when configured', () => {
    maintainerScript('postinst', 'configure', '');
    const wanted = join(root, 'etc/systemd/user/graphical-session.target.wants/siths-card-agent.service');
    expect(lstatSync(wanted).isSymbolicLink()).toBe(true);
  });
});

/**
 * How the installed agent is given its credential: an enrolment code a system administrator made for this
 * computer, as the software distribution would hand it over; the agent keeps its device key under its own
 * XDG_CONFIG_HOME. What it returns goes into the agent's environment (no device token).
 */
async function credentialFor(server: TestServer, computerName: string): Promise<Record<string, string>> {
  const admin = await addStaffSession(server, 'system_admin');
  const { code } = await createEnrolmentCode(server.db, {
    createdByUserId: admin.userId,
    computerName,
    usesAllowed: 1,
    validForMs: 10 * 60_000,
    secret: server.server.services.masterKey,
    now: new Date(),
  });
  return {
    SITHS_AGENT_TOKEN: '',
    SITHS_ENROLMENT_CODE: code,
    XDG_CONFIG_HOME: join(work, 'home', '.config'),
  };
}

describe('the installed agent', () => {
  const rig = new TestRig();
  const sockets = new TestSockets(() => server.url);
  const computerName = 'Paketdator';
  let server: TestServer;
  let card: TestCard;
  let inserted: VirtualCardProcess;
  let agent: ManagedProcess;
  let ui: Agent['ui'];

  beforeAll(async () => {
    await rig.start({ waitForFreeMs: 240_000 });
    card = rig.createCard();
    inserted = await rig.insert(card, { logFile: join(work, 'card.log') });
    server = await startTestServer({ withRemix: true });
    const uiPort = await freePort();
    const uiKey = randomBytes(16).toString('hex');
    const started = await startCardAgentProcess({
      serverUrl: server.url,
      uiPort,
      uiKey,
      logFile: join(work, 'installed-agent.log'),
      program: { command: join(lib, 'node'), args: [join(lib, 'agent.mjs')], cwd: elsewhere },
      env: { ...(await credentialFor(server, computerName)), NODE_PATH: '', NODE_OPTIONS: '' },
    });
    agent = started.process;
    ui = { url: started.uiUrl, key: uiKey, port: uiPort, close: async () => {} };
  }, 300_000);

  afterAll(async () => {
    sockets.closeAll();
    await agent?.stop();
    await server?.stop();
    await inserted?.remove();
    await rig.stop();
  });

  it('connects with its credential, reports the package version and runs a card check through pcscd', async () => {
    const connected = await until(() =>
      server.server.services.agentRegistry
        .list()
        .find((view) => view.agentName === computerName && view.agentVersion),
    );
    expect(connected.agentVersion).toBe(agentVersion);
    await until(async () =>
      (await stateOverHttp(ui)).readers.find((r) => r.name === inserted.readerName && r.cardPresent),
    );

    const { cookieHeader } = await addStaffSession(server, 'support');
    const support = await sockets.open('/support', {}, cookieHeader);
    const started = (await support.timeout(5_000).emitWithAck('support:start-card-check', {
      agentSessionId: connected.agentSessionId,
      readerName: inserted.readerName,
    })) as JobAck;
    if (!('jobId' in started)) throw new Error(`card check not started: ${JSON.stringify(started)}`);
    const prompt = await promptOverHttp(ui);
    expect(prompt).toMatchObject({ kind: 'pin', triesLeft: 3 });
    expect((await submitOverHttp(ui, prompt.promptId, card.pin)).status).toBe(204);
    const job = await until(async () => {
      const row = await findJob(server.db, started.jobId);
      return row && row.state !== 'running' && row.state !== 'queued' ? row : undefined;
    }, 30_000);
    expect(job).toMatchObject({ state: 'succeeded', kind: 'card_check' });
  });

  it('is cut off when a system administrator revokes the computer in the dashboard, and says so', async () => {
    const connected = await until(() =>
      server.server.services.agentRegistry.list().find((view) => view.agentName === computerName),
    );
    const admin = await addStaffSession(server, 'system_admin');
    const revoked = await fetch(`${server.url}/admin/datorer/${connected.agentId}`, {
      method: 'POST',
      headers: {
        cookie: admin.cookieHeader,
        origin: server.url,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ intent: 'revoke' }),
      redirect: 'manual',
    });
    expect(revoked.status).toBeLessThan(400);
    const notice = await until(async () =>
      (await stateOverHttp(ui)).notices.find((shown) => shown.topic === 'connection'),
    );
    expect(notice.text).toBe(
      'Den här datorn är spärrad i siths-desk och kan inte användas med SITHS eID-appen. Kontakta IT-support.',
    );
    expect(
      server.server.services.agentRegistry.list().find((view) => view.agentId === connected.agentId),
    ).toBe(undefined);
  });

  it('is stopped, and the user unit disabled, when the package is removed (prerm)', async () => {
    maintainerScript('prerm', 'remove');
    const code = await Promise.race([
      agent.exited,
      new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 10_000)),
    ]);
    expect(code).toBe(0);
    expect(
      existsSync(join(root, 'etc/systemd/user/graphical-session.target.wants/siths-card-agent.service')),
    ).toBe(false);
  });
});
