/**
 * Step streaming agent -> server -> support (issue 4). The real server runs alone in a child process
 * on a SQLite file; this process runs N simulated agents (the real agent's server link and report
 * outbox) that each stream card-check steps, and one support client watching every job. Reports step
 * latency p50/p95/p99, steps/s delivered, server RSS per connected agent, the most idle agents one
 * server holds, and the same traffic through a plain `ws` relay as the floor. Figures, never pass/fail.
 *
 *   npx tsx bench/socket-streaming.bench.ts
 *   BENCH_QUICK=1 ...           a smoke run: 20 and 100 agents, 3 s, 500 idle
 *   BENCH_AGENTS=100,1000       streaming agent counts      BENCH_SECONDS=10   streaming time
 *   BENCH_RATE=2                steps per second per agent  BENCH_IDLE_AGENTS=10000
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { MeasuredProcess, type Measurement, repositoryRoot } from './bench-child';
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
const settings = {
  streamingAgents: (process.env.BENCH_AGENTS ?? (quick ? '20,100' : '100,1000')).split(',').map(Number),
  seconds: numberFromEnv('BENCH_SECONDS', quick ? 3 : 10),
  stepsPerSecondPerAgent: numberFromEnv('BENCH_RATE', 2),
  idleAgents: numberFromEnv('BENCH_IDLE_AGENTS', quick ? 500 : 10_000),
  connectBatch: numberFromEnv('BENCH_CONNECT_BATCH', 100),
};
const connectTimeoutMs = 30_000;
const loopResolutionMs = 5;
const warmUpAgents = 20;
const agentName = (index: number) => `Benchdator ${index}`;

interface LatencyFigures {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

interface StreamingFigures {
  agents: number;
  stepsSent: number;
  stepsDelivered: number;
  stepsUndelivered: number;
  stepsPerSecond: number;
  latencyMs: LatencyFigures;
  serverRssBeforeMb: number;
  serverRssConnectedMb: number;
  serverRssAfterStreamingMb: number;
  serverRssPerAgentKb: number;
  serverCpuPercent: number;
  serverCpuMsPerStep: number;
  /** This process (agents and support client): if it is busy, its own queueing is in the latency. */
  loadEventLoopDelayP99Ms: number;
  loadEventLoopBusyPercent: number;
  connectSeconds: number;
}

interface IdleFigures {
  target: number;
  reached: number;
  stoppedBecause: string | null;
  serverRssBeforeMb: number;
  serverRssConnectedMb: number;
  serverRssPerAgentKb: number;
  connectSeconds: number;
}

const mb = (bytes: number) => round(bytes / 1024 / 1024);
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

function latencyFigures(samples: number[]): LatencyFigures {
  const sorted = Float64Array.from(samples).sort();
  const at = (fraction: number) =>
    sorted.length
      ? round(sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!, 2)
      : NaN;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}

/** Streams from every sender while watching the measured process's CPU and this process's event loop. */
async function measureStreaming(
  measured: MeasuredProcess,
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
  return {
    stepsSent: stepsDelivered + recorder.pending,
    stepsDelivered,
    stepsUndelivered: recorder.pending,
    stepsPerSecond: Math.round(stepsDelivered / ((recorder.lastReceivedAt - recorder.firstSentAt) / 1000)),
    latencyMs: latencyFigures(recorder.latenciesMs),
    serverCpuPercent: Math.round(((cpuAfter.cpuMicros - cpuBefore.cpuMicros) / wallMicros) * 100),
    serverCpuMsPerStep: round((cpuAfter.cpuMicros - cpuBefore.cpuMicros) / 1000 / stepsDelivered, 2),
    // The histogram counts the timer's own interval; what is past it is the delay.
    loadEventLoopDelayP99Ms: round(Math.max(0, loop.percentile(99) / 1e6 - loopResolutionMs)),
    loadEventLoopBusyPercent: Math.round(utilization * 100),
  };
}

function memoryFigures(count: number, before: Measurement, connected: Measurement) {
  return {
    serverRssBeforeMb: mb(before.rssBytes),
    serverRssConnectedMb: mb(connected.rssBytes),
    serverRssPerAgentKb: count ? round((connected.rssBytes - before.rssBytes) / 1024 / count) : NaN,
  };
}

/**
 * Agents after the measured ones connect and leave before the baseline, so the server's lazily
 * allocated code paths and buffers are not counted as the first agents' memory.
 */
async function warmUp(url: string, tokenPrefix: string, firstIndex: number, support: SupportClient) {
  const agents = Array.from(
    { length: warmUpAgents },
    (_, offset) => new SimulatedAgent(url, `${tokenPrefix}${firstIndex + offset}`),
  );
  await Promise.all(agents.map((agent) => agent.connected(connectTimeoutMs)));
  await supportSeesAll(support, warmUpAgents);
  for (const agent of agents) agent.close();
  support.sessionByAgentName.clear();
  await delay(1_000);
}

async function connectAgents(url: string, tokenPrefix: string, count: number) {
  const agents: SimulatedAgent[] = [];
  const indexes = Array.from({ length: count }, (_, index) => index);
  await inBatches(indexes, settings.connectBatch, async (index) => {
    const agent = new SimulatedAgent(url, `${tokenPrefix}${index}`);
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

async function streamThroughServer(count: number) {
  const server = await MeasuredProcess.start('bench/bench-server.ts', {
    BENCH_SERVER_AGENTS: String(count + warmUpAgents),
  });
  const { url, cookieHeader, agentTokenPrefix } = server.ready;
  const support = new SupportClient(url, cookieHeader!);
  let agents: SimulatedAgent[] = [];
  try {
    await support.connected(connectTimeoutMs);
    await warmUp(url, agentTokenPrefix!, count, support);
    const before = await server.measure();
    const connectStartedAt = performance.now();
    agents = await connectAgents(url, agentTokenPrefix!, count);
    const connectSeconds = round((performance.now() - connectStartedAt) / 1000);
    await supportSeesAll(support, count);
    const connected = await server.measure();
    await inBatches([...agents.keys()], 50, (index) => support.startWatchedCardCheck(agentName(index)));
    const recorder = new LatencyRecorder();
    support.recorder = recorder;
    const streaming = await measureStreaming(server, agents, recorder);
    const afterStreaming = await server.measure();
    const finished = await withTimeout(
      Promise.all(agents.map((agent) => agent.finish())),
      60_000,
      () => 'finishing the jobs',
    ).then(
      () => true,
      () => false,
    );
    if (!finished) console.log('  (some jobs did not finish within 60 s; the server was still catching up)');
    const figures: StreamingFigures = {
      agents: count,
      ...streaming,
      ...memoryFigures(count, before, connected),
      serverRssAfterStreamingMb: mb(afterStreaming.rssBytes),
      connectSeconds,
    };
    return { figures, averageUpdateBytes: support.averageUpdateBytes };
  } finally {
    for (const agent of agents) agent?.close();
    support.close();
    await server.stop();
  }
}

async function streamThroughRawRelay(count: number, updateBytes: number): Promise<StreamingFigures> {
  const relay = await MeasuredProcess.start('bench/raw-ws-relay.ts', {
    BENCH_UPDATE_BYTES: String(updateBytes),
  });
  const recorder = new LatencyRecorder();
  const subscriber = new RawSubscriber(relay.ready.url, recorder);
  const agents: RawAgent[] = [];
  try {
    await subscriber.opened(connectTimeoutMs);
    const before = await relay.measure();
    const connectStartedAt = performance.now();
    const indexes = Array.from({ length: count }, (_, index) => index);
    await inBatches(indexes, settings.connectBatch, (index) => {
      agents[index] = new RawAgent(relay.ready.url);
      return agents[index].opened(connectTimeoutMs);
    });
    const connectSeconds = round((performance.now() - connectStartedAt) / 1000);
    await delay(1_000);
    const connected = await relay.measure();
    const streaming = await measureStreaming(relay, agents, recorder);
    const afterStreaming = await relay.measure();
    return {
      agents: count,
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

/** Connects idle agents until the target or the first batch that cannot connect. */
async function holdIdleAgents(target: number): Promise<IdleFigures> {
  const server = await MeasuredProcess.start('bench/bench-server.ts', {
    BENCH_SERVER_AGENTS: String(target + warmUpAgents),
  });
  const { url, cookieHeader, agentTokenPrefix } = server.ready;
  const support = new SupportClient(url, cookieHeader!);
  const agents: SimulatedAgent[] = [];
  let stoppedBecause: string | null = null;
  try {
    await support.connected(connectTimeoutMs);
    await warmUp(url, agentTokenPrefix!, target, support);
    const before = await server.measure();
    const connectStartedAt = performance.now();
    for (let start = 0; start < target && !stoppedBecause; start += settings.connectBatch) {
      const batch = Array.from({ length: Math.min(settings.connectBatch, target - start) }, (_, offset) => {
        const agent = new SimulatedAgent(url, `${agentTokenPrefix}${start + offset}`);
        agents.push(agent);
        return agent.connected(connectTimeoutMs);
      });
      const failures = (await Promise.allSettled(batch)).filter((result) => result.status === 'rejected');
      if (failures.length) stoppedBecause = String((failures[0] as PromiseRejectedResult).reason);
      if ((start / settings.connectBatch) % 20 === 19)
        console.log(`  idle: ${start + batch.length} connected`);
    }
    const reached = agents.filter((agent) => agent.link.socket.connected).length;
    const connectSeconds = round((performance.now() - connectStartedAt) / 1000);
    await supportSeesAll(support, reached);
    const connected = await server.measure();
    return {
      target,
      reached,
      stoppedBecause,
      ...memoryFigures(reached, before, connected),
      connectSeconds,
    };
  } finally {
    for (const agent of agents) agent.close();
    support.close();
    await server.stop();
  }
}

async function holdIdleRawConnections(target: number): Promise<IdleFigures> {
  const relay = await MeasuredProcess.start('bench/raw-ws-relay.ts');
  const agents: RawAgent[] = [];
  let stoppedBecause: string | null = null;
  try {
    const before = await relay.measure();
    const connectStartedAt = performance.now();
    for (let start = 0; start < target && !stoppedBecause; start += settings.connectBatch) {
      const batch = Array.from({ length: Math.min(settings.connectBatch, target - start) }, () => {
        const agent = new RawAgent(relay.ready.url);
        agents.push(agent);
        return agent.opened(connectTimeoutMs);
      });
      const failures = (await Promise.allSettled(batch)).filter((result) => result.status === 'rejected');
      if (failures.length) stoppedBecause = String((failures[0] as PromiseRejectedResult).reason);
    }
    const reached = agents.filter((agent) => agent.socket.readyState === agent.socket.OPEN).length;
    const connectSeconds = round((performance.now() - connectStartedAt) / 1000);
    await delay(1_000);
    const connected = await relay.measure();
    return { target, reached, stoppedBecause, ...memoryFigures(reached, before, connected), connectSeconds };
  } finally {
    for (const agent of agents) agent.close();
    await relay.stop();
  }
}

const ratio = (socketIo: number, raw: number) => round(socketIo / raw, 2);

function printReport(
  streaming: Array<{ socketIo: StreamingFigures; rawWs: StreamingFigures }>,
  idle: { socketIo: IdleFigures; rawWs: IdleFigures },
) {
  const rows = streaming.flatMap(({ socketIo, rawWs }) => [
    { server: 'socket.io', ...socketIo },
    { server: 'raw ws', ...rawWs },
  ]);
  console.log(
    `\nStep streaming: ${settings.stepsPerSecondPerAgent} steps/s per agent for ${settings.seconds} s, ` +
      'latency agent -> support client',
  );
  console.table(
    rows.map((row) => ({
      server: row.server,
      agents: row.agents,
      'p50 ms': row.latencyMs.p50,
      'p95 ms': row.latencyMs.p95,
      'p99 ms': row.latencyMs.p99,
      'max ms': row.latencyMs.max,
      'steps/s': row.stepsPerSecond,
      undelivered: row.stepsUndelivered,
      'server CPU %': row.serverCpuPercent,
      'CPU ms/step': row.serverCpuMsPerStep,
      'RSS MB before/connected': `${row.serverRssBeforeMb} / ${row.serverRssConnectedMb}`,
      'RSS KB/agent': row.serverRssPerAgentKb,
      'load busy %': row.loadEventLoopBusyPercent,
      'load loop p99 ms': row.loadEventLoopDelayP99Ms,
    })),
  );
  console.log('socket.io / raw ws (target: p99 <= 50 ms at 1,000 streaming agents, <= 3x raw)');
  console.table(
    streaming.map(({ socketIo, rawWs }) => ({
      agents: socketIo.agents,
      p50: ratio(socketIo.latencyMs.p50, rawWs.latencyMs.p50),
      p95: ratio(socketIo.latencyMs.p95, rawWs.latencyMs.p95),
      p99: ratio(socketIo.latencyMs.p99, rawWs.latencyMs.p99),
    })),
  );
  console.log('Idle agents held by one server process (target: <= 30 KB per idle agent)');
  console.table(
    [
      { server: 'socket.io', ...idle.socketIo },
      { server: 'raw ws', ...idle.rawWs },
    ].map((row) => ({
      server: row.server,
      'reached / target': `${row.reached} / ${row.target}`,
      'connect s': row.connectSeconds,
      'RSS MB before/connected': `${row.serverRssBeforeMb} / ${row.serverRssConnectedMb}`,
      'RSS KB/agent': row.serverRssPerAgentKb,
      'stopped because': row.stoppedBecause ?? '-',
    })),
  );
}

const loadAverageBefore = loadavg()[0]!;
const streaming: Array<{ socketIo: StreamingFigures; rawWs: StreamingFigures }> = [];
for (const count of settings.streamingAgents) {
  console.log(`streaming: ${count} agents through the server`);
  const { figures: socketIo, averageUpdateBytes } = await streamThroughServer(count);
  console.log(`streaming: ${count} agents through the raw ws relay`);
  const rawWs = await streamThroughRawRelay(count, averageUpdateBytes);
  streaming.push({ socketIo, rawWs });
}
console.log(`idle: up to ${settings.idleAgents} agents through the server`);
const idleSocketIo = await holdIdleAgents(settings.idleAgents);
console.log(`idle: up to ${settings.idleAgents} connections to the raw ws relay`);
const idleRawWs = await holdIdleRawConnections(settings.idleAgents);
const idle = { socketIo: idleSocketIo, rawWs: idleRawWs };

printReport(streaming, idle);
const resultsDirectory = resolve(repositoryRoot, 'bench/results');
mkdirSync(resultsDirectory, { recursive: true });
const resultsFile = resolve(resultsDirectory, 'socket-streaming.json');
// Other work on the machine takes CPU from the server and shows in the latencies.
const loadAverage = { before: round(loadAverageBefore, 2), after: round(loadavg()[0]!, 2) };
console.log(
  `load average (1 min) before ${loadAverage.before}, after ${loadAverage.after}, ${cpus().length} CPUs`,
);
const machine = {
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? null,
  loadAverage,
};
writeFileSync(
  resultsFile,
  `${JSON.stringify({ at: new Date().toISOString(), machine, settings, streaming, idle }, null, 2)}\n`,
);
console.log(`figures written to ${resultsFile}`);
