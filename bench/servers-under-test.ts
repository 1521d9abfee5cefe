import { randomBytes } from 'node:crypto';
import { openDatabase } from '../db/connection';
import { type Haproxy, startHaproxy } from '../test-support/haproxy';
import { type PostgresServer, startPostgresServer } from '../test-support/postgres-server';
import { freePort } from '../test-support/processes';
import { type RedisServer, startRedisServer } from '../test-support/redis-server';
import { MeasuredProcess, type Measurement } from './bench-child';
import { processCpuMicros } from './process-limits';

/**
 * What the streaming benchmark measures: one server process on its own SQLite file, as today's single
 * installation runs, or N processes sharing PostgreSQL and Redis behind HAProxy, as a region with several
 * machines runs (`npm run cluster`). Each server process is a bench/bench-server.ts child measured over IPC.
 */
export interface ServersUnderTest {
  /** How it runs, for the tables: `1 process, SQLite`, `2 processes, PostgreSQL + Redis`. */
  setup: string;
  processes: MeasuredProcess[];
  /** Where agents and support connect: the balancer, or the only process. */
  url: string;
  cookieHeader: string;
  agentTokenPrefix: string;
  balancer: Haproxy | null;
  measure(collectGarbage?: boolean): Promise<ServersMeasurement>;
  stop(): Promise<void>;
}

export interface ServersMeasurement {
  /** Summed over the server processes. */
  rssBytes: number;
  cpuMicros: number;
  /** HAProxy's CPU time, when there is one. */
  balancerCpuMicros: number | null;
  each: Measurement[];
}

/** The same agent `i` in every setup: `Benchdator ${i}`, token `${agentTokenPrefix}${i}`. */
export const agentName = (index: number) => `Benchdator ${index}`;

/** One server process on a fresh SQLite file with `agents` registered agents. */
export async function startSqliteServer(agents: number): Promise<ServersUnderTest> {
  const server = await MeasuredProcess.start('bench/bench-server.ts', {
    BENCH_SERVER_AGENTS: String(agents),
    BENCH_SERVER_DATABASE_URL: '',
    REDIS_URL: '',
    PORT: '0',
  });
  return serversUnderTest('1 process, SQLite', [server], server.ready.url, null, async () => {
    await server.stop();
  });
}

/** PostgreSQL and Redis for every cluster of a run, with a migrated template each cluster's database copies. */
export interface SharedStores {
  postgres: PostgresServer;
  redis: RedisServer;
  templateDatabase: string;
  stop(): Promise<void>;
}

export async function startSharedStores(): Promise<SharedStores> {
  const postgres = await startPostgresServer();
  let redis: RedisServer | undefined;
  try {
    const templateDatabase = 'bench_template';
    const migrated = await openDatabase(await postgres.createDatabase(templateDatabase));
    await migrated.close();
    redis = await startRedisServer();
    const started = redis;
    return {
      postgres,
      redis,
      templateDatabase,
      async stop() {
        await started.stop();
        await postgres.stop();
      },
    };
  } catch (error) {
    await redis?.stop();
    await postgres.stop();
    throw error;
  }
}

let clusterRuns = 0;

/**
 * `processCount` server processes on a fresh copy of the template database and the shared Redis, HAProxy in
 * front. The first registers the agents and makes the support session before the others start, so every
 * process finds the database as a running region's would be.
 */
export async function startCluster(
  stores: SharedStores,
  processCount: number,
  agents: number,
): Promise<ServersUnderTest> {
  const databaseName = `bench_run_${++clusterRuns}`;
  const databaseUrl = await stores.postgres.createDatabase(databaseName, {
    template: stores.templateDatabase,
  });
  const balancerPort = await freePort();
  const masterKey = randomBytes(32).toString('base64');
  const processes: MeasuredProcess[] = [];
  let balancer: Haproxy | null = null;
  const stop = async () => {
    await balancer?.stop();
    await Promise.all(processes.map((one) => one.stop()));
    await stores.postgres.dropDatabase(databaseName);
  };
  try {
    const ports: number[] = [];
    for (let index = 0; index < processCount; index++) ports.push(await freePort());
    const start = async (index: number, registeredAgents: number) => {
      const port = ports[index]!;
      const started = await MeasuredProcess.start('bench/bench-server.ts', {
        BENCH_SERVER_AGENTS: String(registeredAgents),
        BENCH_SERVER_DATABASE_URL: databaseUrl,
        BENCH_SERVER_MASTER_KEY: masterKey,
        REDIS_URL: stores.redis.url,
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${balancerPort}`,
        TRUST_PROXY: 'true',
      });
      processes[index] = started;
      return started;
    };
    await start(0, agents);
    await Promise.all(ports.slice(1).map((_, index) => start(index + 1, 0)));
    balancer = await startHaproxy({
      backends: ports.map((port, index) => ({ name: `process-${index}`, port })),
      port: balancerPort,
    });
    await balancer.waitUntilBackendsUp(processCount);
    const setup = `${processCount} process${processCount === 1 ? '' : 'es'}, PostgreSQL + Redis`;
    return serversUnderTest(setup, processes, balancer.url, balancer, stop);
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}

function serversUnderTest(
  setup: string,
  processes: MeasuredProcess[],
  url: string,
  balancer: Haproxy | null,
  stop: () => Promise<void>,
): ServersUnderTest {
  // The first process registered the agents and made the support session; any process accepts both.
  const { cookieHeader, agentTokenPrefix } = processes[0]!.ready;
  return {
    setup,
    processes,
    url,
    cookieHeader: cookieHeader!,
    agentTokenPrefix: agentTokenPrefix!,
    balancer,
    measure: (collectGarbage = true) => measureTogether(processes, balancer, collectGarbage),
    stop,
  };
}

/** Measures every process at once; the raw relay is measured this way too, alone. */
export async function measureTogether(
  processes: MeasuredProcess[],
  balancer: Haproxy | null,
  collectGarbage = true,
): Promise<ServersMeasurement> {
  const each = await Promise.all(processes.map((one) => one.measure(collectGarbage)));
  return {
    rssBytes: each.reduce((sum, one) => sum + one.rssBytes, 0),
    cpuMicros: each.reduce((sum, one) => sum + one.cpuMicros, 0),
    balancerCpuMicros: balancer ? processCpuMicros(balancer.pid) : null,
    each,
  };
}
