/** The streaming benchmark's figures, and the tables it prints of them. */

export interface LatencyFigures {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface StreamingFigures {
  /** `1 process, SQLite`, `2 processes, PostgreSQL + Redis`, `raw ws relay`. */
  setup: string;
  processes: number;
  agents: number;
  /** Agents on each server process once all were connected (the balancer's split). */
  agentsPerProcess: number[];
  stepsSent: number;
  stepsDelivered: number;
  stepsUndelivered: number;
  /** What the agents sent: agents x steps per second each. Delivered below it: the servers fell behind. */
  stepsPerSecondOffered: number;
  stepsPerSecond: number;
  latencyMs: LatencyFigures;
  /** Summed over the server processes. */
  serverRssBeforeMb: number;
  serverRssConnectedMb: number;
  serverRssAfterStreamingMb: number;
  serverRssPerAgentKb: number;
  /** Of one core, summed over the server processes (200 % is both cores of a two-core machine). */
  serverCpuPercent: number;
  serverCpuMsPerStep: number;
  /** HAProxy's, when there is one. */
  balancerCpuMsPerStep: number | null;
  /** This process (agents and support client): if it is busy, its own queueing is in the latency. */
  loadEventLoopDelayP99Ms: number;
  loadEventLoopBusyPercent: number;
  connectSeconds: number;
}

export interface IdleProcessFigures {
  agents: number;
  rssBeforeMb: number;
  rssConnectedMb: number;
  rssPerAgentKb: number;
}

export interface IdleFigures {
  setup: string;
  target: number;
  reached: number;
  /** `balancer`, or `processes directly` when the balancer's open-files limit cannot hold the target. */
  via: string;
  stoppedBecause: string | null;
  perProcess: IdleProcessFigures[];
  connectSeconds: number;
}

export interface Ratios {
  /** p99 of each setup over the raw relay's at the same agent count. */
  p99OverRawRelay: Array<{ setup: string; agents: number; ratio: number }>;
  /** Steps/s of N processes over one process on the same stores, at the same agent count. */
  throughputOverOneProcess: Array<{ setup: string; agents: number; ratio: number; saturated: boolean }>;
}

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
export const mb = (bytes: number) => round(bytes / 1024 / 1024);
const ratio = (value: number, base: number) => round(value / base, 2);
const rawSetup = 'raw ws relay';

export function latencyFigures(samples: number[]): LatencyFigures {
  const sorted = Float64Array.from(samples).sort();
  const at = (fraction: number) =>
    sorted.length
      ? round(sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!, 2)
      : Number.NaN;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}

/** Delivered below 95 % of what was sent per second: the servers, or this machine, could not keep up. */
const saturated = (figures: StreamingFigures) =>
  figures.stepsPerSecond < 0.95 * figures.stepsPerSecondOffered;

export function ratios(streaming: StreamingFigures[]): Ratios {
  const raw = (agents: number) => streaming.find((row) => row.setup === rawSetup && row.agents === agents);
  const oneProcess = (agents: number) =>
    streaming.find((row) => row.processes === 1 && row.setup.includes('PostgreSQL') && row.agents === agents);
  const servers = streaming.filter((row) => row.setup !== rawSetup);
  return {
    p99OverRawRelay: servers.flatMap((row) => {
      const floor = raw(row.agents);
      return floor
        ? [{ setup: row.setup, agents: row.agents, ratio: ratio(row.latencyMs.p99, floor.latencyMs.p99) }]
        : [];
    }),
    throughputOverOneProcess: servers
      .filter((row) => row.processes > 1)
      .flatMap((row) => {
        const one = oneProcess(row.agents);
        return one
          ? [
              {
                setup: row.setup,
                agents: row.agents,
                ratio: ratio(row.stepsPerSecond, one.stepsPerSecond),
                saturated: saturated(one),
              },
            ]
          : [];
      }),
  };
}

export function printReport(
  run: { stepsPerSecondPerAgent: number; seconds: number },
  streaming: StreamingFigures[],
  idle: IdleFigures[],
  computed: Ratios,
): void {
  console.log(
    `\nStep streaming: ${run.stepsPerSecondPerAgent} steps/s per agent for ${run.seconds} s, ` +
      'latency agent -> support client (on any process)',
  );
  console.table(
    streaming.map((row) => ({
      setup: row.setup,
      agents: row.processes > 1 ? `${row.agents} (${row.agentsPerProcess.join(' + ')})` : row.agents,
      'p50 ms': row.latencyMs.p50,
      'p95 ms': row.latencyMs.p95,
      'p99 ms': row.latencyMs.p99,
      'max ms': row.latencyMs.max,
      'steps/s': `${row.stepsPerSecond} / ${row.stepsPerSecondOffered}`,
      undelivered: row.stepsUndelivered,
      'CPU %': row.serverCpuPercent,
      'CPU ms/step': row.serverCpuMsPerStep,
      'HAProxy ms/step': row.balancerCpuMsPerStep ?? '-',
      'RSS KB/agent': row.serverRssPerAgentKb,
      'load busy %': row.loadEventLoopBusyPercent,
    })),
  );
  console.log(
    'agents (per process); steps/s: delivered / sent; CPU: summed over the server processes (100 % = one core); ' +
      'load busy: this process, agents and support',
  );
  console.log('p99 over the raw ws relay (target: p99 <= 50 ms at 1,000 agents, within 3x raw)');
  console.table(computed.p99OverRawRelay);
  if (computed.throughputOverOneProcess.length) {
    console.log(
      'steps/s over 1 process on PostgreSQL + Redis (target: 2 processes >= 1.6x where two cores allow); ' +
        'while one process keeps up (saturated: false) both deliver what is sent and the ratio is ~1',
    );
    console.table(computed.throughputOverOneProcess);
  }
  console.log('Idle agents held (target: 20,000 across two processes, <= 30 KB per idle agent)');
  console.table(
    idle.map((row) => ({
      setup: row.setup,
      'reached / target': `${row.reached} / ${row.target}`,
      via: row.via,
      'agents per process': row.perProcess.map((one) => one.agents).join(' + '),
      'RSS MB connected': row.perProcess.map((one) => one.rssConnectedMb).join(' + '),
      'RSS KB/agent': row.perProcess.map((one) => one.rssPerAgentKb).join(', '),
      'connect s': row.connectSeconds,
      'stopped because': row.stoppedBecause ?? '-',
    })),
  );
}
