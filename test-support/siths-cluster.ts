import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Haproxy, startHaproxy } from './haproxy';
import type { VirtualCardProcess, VpcdSlot } from './pcscd';
import { type PostgresServer, startPostgresServer } from './postgres-server';
import { freePort, type ManagedProcess, waitForHttpOk } from './processes';
import { type RedisServer, startRedisServer } from './redis-server';
import {
  demoMasterKey,
  demoServerEnvironment,
  prepareDemoCards,
  seedDemoDatabase,
  startCardAgentProcess,
  startCardReaders,
  startServerProcess,
} from './siths-system';
import { type SmtpCatcher, startSmtpCatcher } from './smtp-catcher';

export interface SithsClusterOptions {
  /** How many identical server processes run behind the balancer. */
  processes: number;
  /** The balancer's port on `host`; a free one when not given. */
  port?: number;
  host?: string;
  /** A log per process, HAProxy's and the agent's; a folder removed by stop() when not given. */
  logDir?: string;
  /**
   * Holds the master key and the virtual cards' state (`cards/`, made anew at each start); a folder removed
   * by stop() when not given.
   */
  dataDir?: string;
  /** Password logins per address and minute in each process. */
  loginRateLimitPerMinute?: number;
  /** An SMTP catcher on loopback that every process sends its mail to, writing each mail to `mailDir`. */
  mail?: { mailDir?: string };
  /** pcscd, the virtual demo cards and one card-agent that reaches the processes through the balancer. */
  cards?: {
    insertedCards: Array<{ serial: string; slot: VpcdSlot }>;
    agentUiPort: number;
    reusePcscd?: boolean;
  };
}

export interface ClusterProcess {
  index: number;
  /** HAProxy's name for it, also in the X-Served-By header of what it answers through the balancer. */
  name: string;
  port: number;
  /** The process directly, past the balancer. */
  url: string;
  /** The current run's process id: a new one after start(). */
  readonly pid: number;
  /** Resolves with the exit code when the current run ends. */
  readonly exited: Promise<number | null>;
  running(): boolean;
  /** Sends the signal to this process alone (SIGKILL: as a crash would) and waits until it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port; resolves once its /readyz answers 200. */
  start(): Promise<void>;
  /** SIGTERM (the process drains and closes), SIGKILL if it lingers. */
  stop(): Promise<void>;
}

export interface SithsCluster {
  /** The balancer: what users, agents and browsers use. */
  url: string;
  processes: ClusterProcess[];
  postgres: PostgresServer;
  databaseUrl: string;
  redis: RedisServer;
  haproxy: Haproxy;
  mailCatcher: SmtpCatcher | null;
  /** Only with the `cards` option. */
  agent: { process: ManagedProcess; uiUrl: string } | null;
  /** The virtual cards in the readers at the start (`cards.insertedCards`, in that order). */
  insertedCards: VirtualCardProcess[];
  logDir: string;
  /** Only with the `cards` option: the virtual cards' state files. */
  cardStateDir: string | null;
  /** Stops everything by process id, the processes first, and removes the folders it made. */
  stop(): Promise<void>;
}

/**
 * siths-desk as a region runs it on several machines, on one: a throwaway PostgreSQL seeded with the demo
 * region, a throwaway Redis, `processes` identical server processes, and HAProxy in front of them. Each
 * process is started and stopped by its own process id.
 */
export async function startSithsCluster(options: SithsClusterOptions): Promise<SithsCluster> {
  const host = options.host ?? '127.0.0.1';
  const ownFolders: string[] = [];
  const folder = (given: string | undefined, prefix: string) => {
    if (given) {
      mkdirSync(given, { recursive: true, mode: 0o700 });
      return given;
    }
    const made = mkdtempSync(join(tmpdir(), prefix));
    ownFolders.push(made);
    return made;
  };
  const logDir = folder(options.logDir, 'siths-desk-cluster-logs-');
  const dataDir = folder(options.dataDir, 'siths-desk-cluster-data-');

  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    for (const made of ownFolders) rmSync(made, { recursive: true, force: true });
  };
  try {
    const postgres = await startPostgresServer();
    stops.push(() => postgres.stop());
    const databaseUrl = await postgres.createDatabase('siths_desk');
    // Once, before any process starts: the processes find a migrated, seeded database.
    await seedDemoDatabase(databaseUrl);
    // Development's key file, not a production secret: the demo cards' secrets derive from it.
    const masterKey = options.dataDir ? demoMasterKey(dataDir) : randomBytes(32);
    const cardStateDir = join(dataDir, 'cards');
    if (options.cards) {
      // Cards from an earlier run belong to that run's database (its eIDs, its PIN tries): made anew.
      rmSync(cardStateDir, { recursive: true, force: true });
      mkdirSync(cardStateDir, { recursive: true });
      await prepareDemoCards({ cardStateDir, databaseUrl, masterKey });
    }
    const redis = await startRedisServer();
    stops.push(() => redis.stop());
    const mailCatcher = options.mail
      ? await startSmtpCatcher(options.mail.mailDir ? { mailDir: options.mail.mailDir } : {})
      : null;
    if (mailCatcher) stops.push(() => mailCatcher.stop());

    const balancerPort = options.port ?? (await freePort());
    const balancerUrl = `http://${host}:${balancerPort}`;
    const ports: number[] = [];
    for (let index = 0; index < options.processes; index++) ports.push(await freePort());
    const processes = ports.map((port, index) =>
      clusterProcess({
        index,
        port,
        logFile: join(logDir, `server-${index}.log`),
        env: {
          ...demoServerEnvironment({
            host: '127.0.0.1',
            port,
            databaseUrl,
            masterKey,
            agentUiPort: options.cards?.agentUiPort ?? 8790,
            loginRateLimitPerMinute: options.loginRateLimitPerMinute,
            mailCatcher,
          }),
          REDIS_URL: redis.url,
          PUBLIC_URL: balancerUrl,
          // Client addresses (the login limits) come from the balancer's X-Forwarded-For.
          TRUST_PROXY: 'true',
        },
      }),
    );
    stops.push(async () => {
      await Promise.all(processes.map((one) => one.stop()));
    });
    await Promise.all(processes.map((one) => one.start()));

    // After the processes answer: HAProxy counts a server UP before its first check.
    const haproxy = await startHaproxy({
      backends: processes.map((one) => ({ name: one.name, port: one.port })),
      port: balancerPort,
      host,
      logFile: join(logDir, 'haproxy.log'),
    });
    stops.push(() => haproxy.stop());
    await haproxy.waitUntilBackendsUp(processes.length);

    let agent: SithsCluster['agent'] = null;
    let insertedCards: VirtualCardProcess[] = [];
    if (options.cards) {
      const readers = await startCardReaders({
        cardStateDir,
        logDir,
        insertedCards: options.cards.insertedCards,
        ...(options.cards.reusePcscd === undefined ? {} : { reusePcscd: options.cards.reusePcscd }),
      });
      stops.push(readers.stop);
      insertedCards = readers.insertedCards;
      const started = await startCardAgentProcess({
        serverUrl: balancerUrl,
        uiPort: options.cards.agentUiPort,
        uiKey: randomBytes(16).toString('hex'),
        logFile: join(logDir, 'card-agent.log'),
      });
      agent = started;
      stops.push(() => started.process.stop());
    }

    let stopped = false;
    return {
      url: balancerUrl,
      processes,
      postgres,
      databaseUrl,
      redis,
      haproxy,
      mailCatcher,
      agent,
      insertedCards,
      logDir,
      cardStateDir: options.cards ? cardStateDir : null,
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** One server process that can be killed and started again on its port, by its own process id each time. */
function clusterProcess(options: {
  index: number;
  port: number;
  env: Record<string, string>;
  logFile: string;
}): ClusterProcess {
  const name = `process-${options.index}`;
  const url = `http://127.0.0.1:${options.port}`;
  let current: ManagedProcess | undefined;
  let alive = false;
  const run = () => {
    if (!current) throw new Error(`${name} was never started`);
    return current;
  };
  return {
    index: options.index,
    name,
    port: options.port,
    url,
    get pid() {
      return run().pid;
    },
    get exited() {
      return run().exited;
    },
    running: () => alive,
    async kill(signal = 'SIGTERM') {
      if (!current || !alive) return;
      process.kill(current.pid, signal);
      await current.exited;
    },
    async stop() {
      if (current && alive) await current.stop();
    },
    async start() {
      if (alive) return;
      const started = startServerProcess({ name, env: options.env, logFile: options.logFile });
      current = started;
      alive = true;
      void started.exited.then(() => {
        if (current === started) alive = false;
      });
      try {
        await waitForHttpOk(`${url}/readyz`, 60_000, started);
      } catch (error) {
        await started.stop();
        throw error;
      }
    },
  };
}

/**
 * Logs a staff user in with the password form at `baseUrl` (the balancer or one process, which is also the
 * form's origin) and returns the session cookie (`siths_session=...`); throws when the login is refused.
 */
export async function logInWithPassword(
  baseUrl: string,
  login: { username: string; password: string },
): Promise<string> {
  const response = await fetch(`${baseUrl}/logga-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: baseUrl },
    body: new URLSearchParams({ username: login.username, password: login.password }),
  });
  await response.arrayBuffer();
  const cookie = response.headers.getSetCookie().find((one) => one.startsWith('siths_session='));
  if (response.status !== 302 || !cookie)
    throw new Error(`${login.username} was not logged in at ${baseUrl}: HTTP ${response.status}`);
  return cookie.split(';')[0]!;
}
