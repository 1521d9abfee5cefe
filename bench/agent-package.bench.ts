/**
 * The card-agent's Debian package: its size, how long unpacking it takes, and what the installed agent costs
 * the user's computer: memory (RSS after 30 s idle, connected to a server, a card in the reader) and idle CPU
 * (user + system time over 60 s). Starts pcscd and a virtual card itself (on a shared machine: under the pcscd
 * lock), the real server in this process, and the installed agent as its own process.
 *
 *   npm run bench -- agent-package                    from the unpacked package (dpkg-deb -x)
 *   BENCH_AGENT_APT=1 npm run bench -- agent-package  also apt install, run /usr/bin/siths-card-agent, apt purge:
 *                                                     root only, on a throwaway machine; checks nothing stays
 *   BENCH_QUICK=1 ...                                 5 s idle and 10 s of CPU instead of 30 s and 60 s
 * Figures go to bench/results/agent-package.json.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TestRig } from '../card-agent/virtual-card/test-rig';
import { buildAgentPackage } from '../scripts/package-agent';
import { addAgent, startTestServer, type TestServer } from '../server/testing/test-server';
import { freePort, type ManagedProcess } from '../test-support/processes';
import { startCardAgentProcess } from '../test-support/siths-system';

const withApt = process.env.BENCH_AGENT_APT === '1';
const quick = process.env.BENCH_QUICK === '1';
const idleSeconds = quick ? 5 : 30;
const cpuSeconds = quick ? 10 : 60;
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
const work = mkdtempSync(join(tmpdir(), 'siths-agent-bench-'));
const sleep = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

const timed = (run: () => void) => {
  const started = performance.now();
  run();
  return Math.round(performance.now() - started);
};

function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
  if (!line) throw new Error(`no VmRSS for ${pid}`);
  return Number(line[1]);
}

/** utime + stime of `pid`, in seconds: fields 14 and 15 of /proc/PID/stat, after the command in parentheses. */
function cpuTimeSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

interface AgentCost {
  rssMiB: number;
  idleCpuSeconds: number;
  idleCpuPercent: number;
}

/** Starts the agent `program`, waits until the server has it, then measures it idle. */
async function measureAgent(
  server: TestServer,
  program: { command: string; args: string[] },
  name: string,
): Promise<{ cost: AgentCost; agent: ManagedProcess }> {
  const deviceToken = `bench-${randomBytes(16).toString('hex')}`;
  await addAgent(server.db, deviceToken, name);
  const { process: agent } = await startCardAgentProcess({
    serverUrl: server.url,
    uiPort: await freePort(),
    uiKey: randomBytes(16).toString('hex'),
    logFile: join(work, `${name}.log`),
    program: { ...program, cwd: work },
    env: { SITHS_AGENT_TOKEN: deviceToken, NODE_PATH: '', NODE_OPTIONS: '' },
  });
  const deadline = Date.now() + 20_000;
  while (!server.server.services.agentRegistry.list().some((view) => view.agentName === name)) {
    if (Date.now() > deadline) throw new Error(`${name} did not connect`);
    await sleep(0.1);
  }
  await sleep(idleSeconds);
  const rss = rssKiB(agent.pid);
  const before = cpuTimeSeconds(agent.pid);
  await sleep(cpuSeconds);
  const used = cpuTimeSeconds(agent.pid) - before;
  return {
    agent,
    cost: {
      rssMiB: Math.round((rss / 1024) * 10) / 10,
      idleCpuSeconds: Math.round(used * 100) / 100,
      idleCpuPercent: Math.round((used / cpuSeconds) * 10_000) / 100,
    },
  };
}

/** apt install, the installed wrapper running, apt purge: what it takes and what it leaves. */
async function aptRoundTrip(server: TestServer, deb: string) {
  if (process.getuid?.() !== 0) throw new Error('BENCH_AGENT_APT installs a package: run it as root');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const installMs = timed(() =>
    execFileSync('apt-get', ['install', '-y', '-qq', deb], { env, stdio: 'ignore' }),
  );
  const files = execFileSync('dpkg', ['-L', 'siths-card-agent'], { encoding: 'utf8' })
    .split('\n')
    .filter(
      (path) => path.startsWith('/usr/lib/siths-card-agent/') || path.startsWith('/etc/siths-card-agent'),
    );
  const { agent, cost } = await measureAgent(
    server,
    { command: '/usr/bin/siths-card-agent', args: [] },
    'apt-installed',
  );
  const purgeMs = timed(() =>
    execFileSync('apt-get', ['purge', '-y', '-qq', 'siths-card-agent'], { env, stdio: 'ignore' }),
  );
  const exited = await Promise.race([agent.exited.then(() => true), sleep(5).then(() => false)]);
  await agent.stop();
  return {
    installMs,
    purgeMs,
    installedAgent: cost,
    agentRunningAfterPurge: !exited,
    filesLeftAfterPurge: files.filter((path) => existsSync(path)),
  };
}

const rig = await new TestRig().start({ waitForFreeMs: 240_000 });
const server = await startTestServer();
try {
  const card = rig.createCard();
  const inserted = await rig.insert(card, { logFile: join(work, 'card.log') });
  let built = { file: '', bytes: 0, version: '' };
  const buildMs = Math.round(
    await (async () => {
      const started = performance.now();
      built = await buildAgentPackage({ outDir: join(work, 'dist') });
      return performance.now() - started;
    })(),
  );
  const unpackMs = [1, 2, 3].map((run) =>
    timed(() => execFileSync('dpkg-deb', ['-x', built.file, join(work, `root-${run}`)])),
  );
  const lib = join(work, 'root-1', 'usr', 'lib', 'siths-card-agent');
  const unpackedKiB = Number(
    execFileSync('du', ['-sk', join(work, 'root-1')], { encoding: 'utf8' }).split('\t')[0],
  );
  const unpacked = await measureAgent(
    server,
    { command: join(lib, 'node'), args: [join(lib, 'agent.mjs')] },
    'unpacked',
  );
  await unpacked.agent.stop();
  const apt = withApt ? await aptRoundTrip(server, built.file) : undefined;
  await inserted.remove();

  const results = {
    version: built.version,
    packageBytes: built.bytes,
    buildMs,
    unpackedKiB,
    dpkgDebExtractMs: unpackMs,
    idleSeconds,
    cpuSeconds,
    installedAgent: unpacked.cost,
    ...(apt ? { apt } : {}),
  };
  console.log(JSON.stringify(results, null, 2));
  const resultsDirectory = resolve('bench/results');
  mkdirSync(resultsDirectory, { recursive: true });
  writeFileSync(join(resultsDirectory, 'agent-package.json'), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  await server.stop();
  await rig.stop();
  rmSync(work, { recursive: true, force: true });
}
