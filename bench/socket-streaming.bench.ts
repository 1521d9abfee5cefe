/**
 * Step streaming agent -> server -> support (issues 4 and 13). This process runs simulated agents (the real
 * agent's server link and report outbox) that each stream card-check steps, and one support client
 * watching every job, against, in one run:
 *   - one server process on a SQLite file, as a single installation runs;
 *   - 1, 2 (and 3) server processes sharing PostgreSQL and Redis behind HAProxy, as a region runs with
 *     several machines: agents and support reach them through the balancer, so support on one process is
 *     shown the steps of agents on another;
 *   - a plain `ws` relay with the same traffic, the floor.
 * Reports step latency p50/p95/p99, steps/s delivered, server CPU ms per step and RSS per agent (summed
 * over the processes), and idle agents held per process. Figures, never pass/fail; also written to
 * bench/results/socket-streaming.json.
 *
 *   npx tsx bench/socket-streaming.bench.ts
 *   BENCH_QUICK=1 ...           a smoke run: 20 and 100 agents, 3 s, 500 idle
 *   BENCH_AGENTS=1000,5000      streaming agent counts      BENCH_SECONDS=10   streaming time
 *   BENCH_RATE=2                steps per second per agent
 *   BENCH_PROCESSES=1,2         server processes behind the balancer (3 on a machine with more cores)
 *   BENCH_IDLE_AGENTS=20000     idle agents for two processes; N processes get N/2 of it
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { MeasuredProcess, repositoryRoot } from './bench-child';
import { haproxyConnectionsFor, openFilesLimit } from './process-limits';
import {
  agentName,
  measureTogether,
  type ServersMeasurement,
  type ServersUnderTest,
  type SharedStores,
  startCluster,
  startSharedStores,
  startSqliteServer,
} from './servers-under-test';
import {
  type IdleFigures,
  latencyFigures,
  mb,
  printReport,
  ratios,
  round,
  type StreamingFigures,
} from './socket-streaming-report';
import {
  delay,
  inBatches,
  LatencyRecorder,
  RawAgent,
  RawSubscriber,
  SimulatedAgent,
  SupportClient,
  streamSteps,
  withTimeout,
} from './streaming-load';

const quick = process.env.BENCH_QUICK === '1';
const numberFromEnv = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const numbersFromEnv = (name: string, fallback: string) =>
  (process.env[name] ?? fallback).split(',').filter(Boolean).map(Number);
const settings = {
  streamingAgents: numbersFromEnv('BENCH_AGENTS', quick ? '20,100' : '1000,5000'),
  seconds: numberFromEnv('BENCH_SECONDS', quick ? 3 : 10),
  stepsPerSecondPerAgent: numberFromEnv('BENCH_RATE', 2),
  processCounts: numbersFromEnv('BENCH_PROCESSES', '1,2'),
  idleAgentsForTwoProcesses: numberFromEnv('BENCH_IDLE_AGENTS', quick ? 500 : 20_000),
  connectBatch: numberFromEnv('BENCH_CONNECT_BATCH', 100),
};
const connectTimeoutMs = 30_000;
const loopResolutionMs = 5;
const warmUpAgents = 20;
const idleTarget = (processes: number) => Math.round((settings.idleAgentsForTwoProcesses * processes) / 2);

interface Measurable {
  measure(collectGarbage?: boolean): Promise<ServersMeasurement>;
}

/** Streams from every sender while watching the measured processes' CPU and this process's event loop. */
async function measureStreaming(
  measured: Measurable,
  senders: Parameters<typeof streamSteps>[0],
  recorder: LatencyRecorder,
) {
  const loop = monitorEventLoopDelay({ resolution: loopResolutionMs });
  const cpuBefore = await measured.measure(false);
  const startedAt = performance.now();
  const utilizationBefore = performance.eventLoopUtilization();
  loop.enable();
  await streamSteps(senders, recorder, {
    rate: settings.stepsPerSecondPerAgent,
    seconds: settings.seconds,
  });
  await recorder.drained(30_000);
  loop.disable();
  const utilization = performance.eventLoopUtilization(utilizationBefore).utilization;
  const cpuAfter = await measured.measure(false);
  const wallMicros = (performance.now() - startedAt) * 1000;
  const stepsDelivered = recorder.latenciesMs.length;
  const msPerStep = (micros: number) => round(micros / 1000 / stepsDelivered, 2);
  return {
    stepsSent: stepsDelivered + recorder.pending,
    stepsDelivered,
    stepsUndelivered: recorder.pending,
    stepsPerSecondOffered: senders.length * settings.stepsPerSecondPerAgent,
    stepsPerSecond: Math.round(stepsDelivered / ((recorder.lastReceivedAt - recorder.firstSentAt) / 1000)),
    latencyMs: latencyFigures(recorder.latenciesMs),
    serverCpuPercent: Math.round(((cpuAfter.cpuMicros - cpuBefore.cpuMicros) / wallMicros) * 100),
    serverCpuMsPerStep: msPerStep(cpuAfter.cpuMicros - cpuBefore.cpuMicros),
    balancerCpuMsPerStep:
      cpuAfter.balancerCpuMicros === null || cpuBefore.balancerCpuMicros === null
        ? null
        : msPerStep(cpuAfter.balancerCpuMicros - cpuBefore.balancerCpuMicros),
    // The histogram counts the timer's own interval; what is past it is the delay.
    loadEventLoopDelayP99Ms: round(Math.max(0, loop.percentile(99) / 1e6 - loopResolutionMs)),
    loadEventLoopBusyPercent: Math.round(utilization * 100),
  };
}

function memoryFigures(count: number, before: ServersMeasurement, connected: ServersMeasurement) {
  return {
    serverRssBeforeMb: mb(before.rssBytes),
    serverRssConnectedMb: mb(connected.rssBytes),
    serverRssPerAgentKb: count ? round((connected.rssBytes - before.rssBytes) / 1024 / count) : Number.NaN,
  };
}

/**
 * Agents after the measured ones connect and leave before the baseline, so the server's lazily
 * allocated code paths and buffers are not counted as the first agents' memory.
 */
async function warmUp(servers: ServersUnderTest, firstIndex: number, support: SupportClient) {
  const agents = Array.from(
    { length: warmUpAgents },
    (_, offset) => new SimulatedAgent(servers.url, `${servers.agentTokenPrefix}${firstIndex + offset}`),
  );
  await Promise.all(agents.map((agent) => agent.connected(connectTimeoutMs)));
  await supportSeesAll(support, warmUpAgents);
  for (const agent of agents) agent.close();
  support.sessionByAgentName.clear();
  await delay(1_000);
}

async function connectAgents(servers: ServersUnderTest, count: number) {
  const agents: SimulatedAgent[] = [];
  const indexes = Array.from({ length: count }, (_, index) => index);
  await inBatches(indexes, settings.connectBatch, async (index) => {
    const agent = new SimulatedAgent(servers.url, `${servers.agentTokenPrefix}${index}`);
    agents[index] = agent;
    await agent.connected(connectTimeoutMs);
  });
  return agents;
}

async function supportSeesAll(support: SupportClient, count: number) {
  const deadline = performance.now() + connectTimeoutMs;
  while (support.sessionByAgentName.size < count && performance.now() < deadline) await delay(50);
  // The agents' hellos and the server's answers to them settle before memory is measured.
  await delay(1_000);
}

async function withServers<Result>(
  start: () => Promise<ServersUnderTest>,
  use: (servers: ServersUnderTest, support: SupportClient) => Promise<Result>,
): Promise<Result> {
  const servers = await start();
  const support = new SupportClient(servers.url, servers.cookieHeader);
  try {
    await support.connected(connectTimeoutMs);
    return await use(servers, support);
  } finally {
    support.close();
    await servers.stop();
  }
}

async function streamThroughServers(servers: ServersUnderTest, support: SupportClient, count: number) {
  let agents: SimulatedAgent[] = [];
  try {
    await warmUp(servers, count, support);
    const before = await servers.measure();
    const connectStartedAt = performance.now();
    agents = await connectAgents(servers, count);
    const connectSeconds = round((performance.now() - connectStartedAt) / 1000);
    await supportSeesAll(support, count);
    const connected = await servers.measure();
    await inBatches([...agents.keys()], 50, (index) => support.startWatchedCardCheck(agentName(index)));
    const recorder = new LatencyRecorder();
    support.recorder = recorder;
    const streaming = await measureStreaming(servers, agents, recorder);
    const afterStreaming = await servers.measure();
    const finished = await withTimeout(
      Promise.all(agents.map((agent) => agent.finish())),
      60_000,
      () => 'finishing the jobs',
    ).then(
      () => true,
      () => false,
    );
    if (!finished)
      console.log('  (some jobs did not finish within 60 s; the servers were still catching up)');
    const figures: StreamingFigures = {
      setup: servers.setup,
      processes: servers.processes.length,
      agents: count,
      agentsPerProcess: connected.each.map((one) => one.agentConnections ?? 0),
      ...streaming,
      ...memoryFigures(count, before, connected),
      serverRssAfterStreamingMb: mb(afterStreaming.rssBytes),
      connectSeconds,
    };
    return { figures, averageUpdateBytes: support.averageUpdateBytes };
  } finally {
    for (const agent of agents) agent?.close();
  }
}

async function streamThroughRawRelay(count: number, updateBytes: number): Promise<StreamingFigures> {
  const relay = await MeasuredProcess.start('bench/raw-ws-relay.ts', {
    BENCH_UPDATE_BYTES: String(updateBytes),
  });
  const measured = { measure: (collectGarbage = true) => measureTogether([relay], null, collectGarbage) };
  const recorder = new LatencyRecorder();
  const subscriber = new RawSubscriber(relay.ready.url, recorder);
  const agents: RawAgent[] = [];
  try {
    await subscriber.opened(connectTimeoutMs);
    const before = await measured.measure();
    const connectStartedAt = performance.now();
    const indexes = Array.from({ length: count }, (_, index) => index);
    await inBatches(indexes, settings.connectBatch, (index) => {
      agents[index] = new RawAgent(relay.ready.url);
      return agents[index].opened(connectTimeoutMs);
    });
    const connectSeconds = round((performance.now() - connectStartedAt) / 1000);
    await delay(1_000);
    const connected = await measured.measure();
    const streaming = await measureStreaming(measured, agents, recorder);
    const afterStreaming = await measured.measure();
    return {
      setup: 'raw ws relay',
      processes: 1,
      agents: count,
      agentsPerProcess: [count],
      ...streaming,
      ...memoryFigures(count, before, connected),
      serverRssAfterStreamingMb: mb(afterStreaming.rssBytes),
      connectSeconds,
    };
  } finally {
    for (const agent of agents) agent?.close();
    subscriber.close();
    await relay.stop();
  }
}

const openFiles = openFilesLimit();
/** Load processes (bench/idle-load.ts) hold the idle agents: each connection is a file descriptor. */
const idleAgentsPerLoadProcess = Math.max(500, Math.min(10_000, openFiles.hard - 1_000));

/**
 * Idle connections from load processes: `target` split evenly over `destinations`, each share over as many
 * load processes as the open-files limit needs. Resolves once every load process has connected its share.
 */
async function holdIdleConnections(
  destinations: string[],
  target: number,
  kind: 'socket.io' | 'raw',
  agentTokenPrefix = '',
) {
  const loads: Array<{ url: string; first: number; count: number }> = [];
  let first = 0;
  destinations.forEach((url, index) => {
    let share = Math.floor(target / destinations.length) + (index < target % destinations.length ? 1 : 0);
    while (share > 0) {
      const count = Math.min(share, idleAgentsPerLoadProcess);
      loads.push({ url, first, count });
      first += count;
      share -= count;
    }
  });
  const startedAt = performance.now();
  const settled = await Promise.allSettled(
    loads.map((load) =>
      MeasuredProcess.start(
        'bench/idle-load.ts',
        {
          BENCH_LOAD_URL: load.url,
          BENCH_LOAD_FIRST: String(load.first),
          BENCH_LOAD_COUNT: String(load.count),
          BENCH_LOAD_BATCH: String(settings.connectBatch),
          BENCH_LOAD_KIND: kind,
          BENCH_LOAD_TOKEN_PREFIX: agentTokenPrefix,
        },
        60 * 60_000,
      ),
    ),
  );
  const loaders = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = settled.find((result) => result.status === 'rejected');
  const held = loaders.map((loader) => loader.ready.held!);
  return {
    reached: held.reduce((sum, one) => sum + one.reached, 0),
    stoppedBecause:
      held.find((one) => one.stoppedBecause)?.stoppedBecause ??
      (failed ? String((failed as PromiseRejectedResult).reason) : null),
    connectSeconds: round((performance.now() - startedAt) / 1000),
    stop: () => Promise.all(loaders.map((loader) => loader.stop())),
  };
}

/** Connects idle agents until the target or the first batch that cannot connect. */
async function holdIdleAgents(servers: ServersUnderTest, support: SupportClient, target: number) {
  await warmUp(servers, target, support);
  const before = await servers.measure();
  const throughBalancer = servers.balancer === null || balancerHolds(target);
  const destinations = throughBalancer ? [servers.url] : servers.processes.map((one) => one.ready.url);
  const held = await holdIdleConnections(destinations, target, 'socket.io', servers.agentTokenPrefix);
  try {
    await supportSeesAll(support, held.reached);
    const connected = await servers.measure();
    const figures: IdleFigures = {
      setup: servers.setup,
      target,
      reached: held.reached,
      via: servers.balancer === null ? 'the process' : throughBalancer ? 'balancer' : 'processes directly',
      stoppedBecause: held.stoppedBecause,
      perProcess: connected.each.map((after, index) => {
        const agents = after.agentConnections ?? 0;
        const rssBefore = before.each[index]!.rssBytes;
        return {
          agents,
          rssBeforeMb: mb(rssBefore),
          rssConnectedMb: mb(after.rssBytes),
          rssPerAgentKb: agents ? round((after.rssBytes - rssBefore) / 1024 / agents) : Number.NaN,
        };
      }),
      connectSeconds: held.connectSeconds,
    };
    return figures;
  } finally {
    await held.stop();
  }
}

async function holdIdleRawConnections(target: number): Promise<IdleFigures> {
  const relay = await MeasuredProcess.start('bench/raw-ws-relay.ts');
  try {
    const before = await relay.measure();
    const held = await holdIdleConnections([relay.ready.url], target, 'raw');
    try {
      await delay(1_000);
      const connected = await relay.measure();
      return {
        setup: 'raw ws relay',
        target,
        reached: held.reached,
        via: 'the process',
        stoppedBecause: held.stoppedBecause,
        perProcess: [
          {
            agents: held.reached,
            rssBeforeMb: mb(before.rssBytes),
            rssConnectedMb: mb(connected.rssBytes),
            rssPerAgentKb: held.reached
              ? round((connected.rssBytes - before.rssBytes) / 1024 / held.reached)
              : Number.NaN,
          },
        ],
        connectSeconds: held.connectSeconds,
      };
    } finally {
      await held.stop();
    }
  } finally {
    await relay.stop();
  }
}

/** HAProxy inherits this process's limit; the support client and a margin need room beside the agents. */
const balancerHolds = (agents: number) => haproxyConnectionsFor(openFiles.soft) >= agents + 100;

/** Says where the open-files limit is too low for this run's connections. */
function openFilesNotes(): string[] {
  const notes: string[] = [];
  const raise = 'raise the limit (`ulimit -n`, and as root `ulimit -Hn`; in a container `--ulimit nofile=`)';
  const streamingMost = Math.max(0, ...settings.streamingAgents) + warmUpAgents + 100;
  if (openFiles.soft < streamingMost)
    notes.push(
      `this process holds ${streamingMost} streaming connections but may open ${openFiles.soft} files: ${raise}`,
    );
  const perProcess = idleTarget(1) + 200;
  if (openFiles.hard < perProcess)
    notes.push(
      `a server process holds ~${perProcess} idle agents but may open ${openFiles.hard} files: ${raise}`,
    );
  const mostIdle = idleTarget(Math.max(1, ...settings.processCounts));
  if (settings.processCounts.length && !balancerHolds(mostIdle)) {
    notes.push(
      `HAProxy holds about ${haproxyConnectionsFor(openFiles.soft)} connections with ${openFiles.soft} open files ` +
        `(two per connection): idle runs it cannot hold connect to the processes directly, split evenly; ` +
        `${mostIdle} agents through it need ${2 * (mostIdle + 100) + 30} open files`,
    );
  }
  return notes;
}

const loadAverageBefore = loadavg()[0]!;
console.log(`open files: ${openFiles.soft} (hard ${openFiles.hard}); children and HAProxy inherit it`);
for (const note of openFilesNotes()) console.log(`  note: ${note}`);

const streaming: StreamingFigures[] = [];
const idle: IdleFigures[] = [];
const stores: SharedStores | null = settings.processCounts.length ? await startSharedStores() : null;
const setups: Array<{ processes: number; start: (agents: number) => Promise<ServersUnderTest> }> = [
  { processes: 1, start: startSqliteServer },
  ...settings.processCounts.map((processes) => ({
    processes,
    start: (agents: number) => startCluster(stores!, processes, agents),
  })),
];
try {
  for (const count of settings.streamingAgents) {
    let updateBytes = 0;
    for (const setup of setups) {
      const { figures, averageUpdateBytes } = await withServers(
        () => setup.start(count + warmUpAgents),
        (servers, support) => {
          console.log(`streaming: ${count} agents, ${servers.setup}`);
          return streamThroughServers(servers, support, count);
        },
      );
      streaming.push(figures);
      updateBytes ||= averageUpdateBytes;
    }
    console.log(`streaming: ${count} agents, raw ws relay`);
    streaming.push(await streamThroughRawRelay(count, updateBytes));
  }
  for (const setup of setups) {
    const target = idleTarget(setup.processes);
    idle.push(
      await withServers(
        () => setup.start(target + warmUpAgents),
        (servers, support) => {
          console.log(`idle: up to ${target} agents, ${servers.setup}`);
          return holdIdleAgents(servers, support, target);
        },
      ),
    );
  }
  console.log(`idle: up to ${idleTarget(1)} connections, raw ws relay`);
  idle.push(await holdIdleRawConnections(idleTarget(1)));
} finally {
  await stores?.stop();
}

const computed = ratios(streaming);
printReport(settings, streaming, idle, computed);
const resultsDirectory = resolve(repositoryRoot, 'bench/results');
mkdirSync(resultsDirectory, { recursive: true });
const resultsFile = resolve(resultsDirectory, 'socket-streaming.json');
// Other work on the machine takes CPU from the servers and shows in the latencies.
const loadAverage = { before: round(loadAverageBefore, 2), after: round(loadavg()[0]!, 2) };
console.log(
  `load average (1 min) before ${loadAverage.before}, after ${loadAverage.after}, ${cpus().length} CPUs`,
);
const machine = {
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? null,
  loadAverage,
  openFiles,
};
writeFileSync(
  resultsFile,
  `${JSON.stringify({ at: new Date().toISOString(), quick, machine, settings, streaming, idle, ratios: computed }, null, 2)}\n`,
);
console.log(`figures written to ${resultsFile}`);
