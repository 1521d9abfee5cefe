import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { hashPassword } from '../../../app/auth/password.server';
import { registerAgent } from '../../../db/agents';
import { type AppDatabase, openMigratedDatabase } from '../../../db/connection';
import { defaultDemoAgentToken } from '../../../db/demo-fixtures';
import { seedDemoData } from '../../../db/seed';
import { loadConfig } from '../../config';
import { createServer, type RunningServer } from '../../create-server';
import { redactedPaths } from '../../logger';
import { testMasterKey } from '../../pki/test-fixtures';
import type { RealValues, RelatedValues } from './hostile';

/** A log line at level error or above: every one of them during a fuzz run is a finding. */
export interface ErrorLogEntry {
  /** pino: the server's own logger; console: Remix, which also reports 4xx error responses there. */
  source: 'pino' | 'console';
  level: number;
  msg: string;
  err?: { type?: string; message?: string; stack?: string };
  [key: string]: unknown;
}

export interface FuzzServer {
  url: string;
  db: AppDatabase;
  server: RunningServer;
  /** Device tokens of agents registered for the socket fuzz, the demo agent's first. */
  agentTokens: string[];
  /** Error-level log lines (pino) and console.error calls, in order; the fuzz attributes them to cases. */
  errors: ErrorLogEntry[];
  realValues(): RealValues;
  relatedValues(): RelatedValues;
  stop(): Promise<void>;
}

const extraAgentTokens = ['fuzz-agent-token-second-0000001', 'fuzz-agent-token-third-00000002'];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

/** The Remix build the server mounts; built once when missing (npm test builds it before vitest). */
export function ensureRemixBuild(): void {
  if (!existsSync('build/index.js')) execFileSync('npx', ['remix', 'build'], { stdio: 'ignore' });
}

/**
 * The real server with the Remix app, on loopback, over the seeded demo region in memory. The port is
 * chosen first so PUBLIC_URL is the origin the fuzz sends: same-origin checks see a real browser.
 */
export async function startFuzzServer(): Promise<FuzzServer> {
  ensureRemixBuild();
  const db = openMigratedDatabase(':memory:');
  await seedDemoData(db, { hashPassword });
  for (const [index, token] of extraAgentTokens.entries()) {
    registerAgent(db, { name: `Fuzzdator ${index + 2}`, deviceToken: token });
  }
  const errors: ErrorLogEntry[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        const entry = { ...JSON.parse(line), source: 'pino' } as ErrorLogEntry;
        if (entry.level >= 50) errors.push(entry);
      }
      done();
    },
  });
  const logger = pino({ level: 'warn', redact: { paths: redactedPaths, censor: '[hidden]' } }, sink);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: url,
    LOGIN_RATE_LIMIT_PER_MINUTE: '100000',
  });
  const server = await createServer(config, {
    db,
    logger,
    withRemix: true,
    masterKey: testMasterKey,
    // Offers nobody answers and steps nobody reports end quickly, so a run never waits on a timeout.
    jobTimeouts: {
      offerMs: 300,
      stepMs: 2_000,
      userPromptMs: 2_000,
      reconnectGraceMs: 500,
      listUpdateMs: 50,
    },
  });
  await new Promise<void>((resolve) => server.httpServer.listen(port, '127.0.0.1', resolve));

  // Remix reports an error it caught (a loader or action that threw) on the console, not through pino.
  const consoleError = console.error;
  const consoleWarn = console.warn;
  // Remix warns of every unmatched URL; the fuzz sends many on purpose.
  console.warn = () => {};
  console.error = (...args: unknown[]) => {
    const error = args.find((arg): arg is Error => arg instanceof Error);
    errors.push({
      source: 'console',
      level: 50,
      msg: args.map((arg) => (arg instanceof Error ? arg.message : String(arg))).join(' '),
      ...(error ? { err: { type: error.name, message: error.message, stack: error.stack ?? '' } } : {}),
    });
  };

  return {
    url,
    db,
    server,
    agentTokens: [defaultDemoAgentToken, ...extraAgentTokens],
    errors,
    realValues: () => collectRealValues(db),
    relatedValues: () => collectRelatedValues(db),
    async stop() {
      console.error = consoleError;
      console.warn = consoleWarn;
      await server.close();
      db.$client.close();
    },
  };
}

function column(db: AppDatabase, sql: string): string[] {
  return (db.$client.prepare(sql).raw().all() as unknown[][]).map((row) => String(row[0]));
}

export function collectRealValues(db: AppDatabase): RealValues {
  return {
    unitIds: column(db, 'select id from units'),
    unitHsaIds: column(db, 'select hsa_id from units'),
    personIds: column(db, 'select id from persons'),
    personHsaIds: column(db, 'select hsa_id from persons'),
    personalIdentityNumbers: column(
      db,
      'select personal_identity_number from persons where personal_identity_number is not null',
    ),
    userIds: column(db, 'select id from users'),
    assignmentIds: column(db, 'select id from staff_role_assignments'),
    cardIds: column(db, 'select id from cards'),
    cardSerials: column(db, 'select serial from cards'),
    eidIds: column(db, 'select id from eids'),
    orderIds: column(db, 'select id from orders'),
    jobIds: column(db, 'select id from jobs'),
    authOrderIds: column(db, 'select id from auth_orders'),
    agentSessionIds: column(db, 'select id from agent_sessions'),
    mobileDeviceIds: column(db, 'select id from mobile_devices'),
    enrolmentIds: column(db, 'select id from mobile_enrolments'),
  };
}

export function collectRelatedValues(db: AppDatabase): RelatedValues {
  const rows = <Row>(sql: string) => db.$client.prepare(sql).all() as Row[];
  return {
    heldCards: rows(
      "select holder_person_id as personId, id as cardId from cards where holder_person_id is not null and state in ('active', 'locked')",
    ),
    heldEids: rows(
      "select person_id as personId, id as eidId from eids where person_id is not null and state = 'active'",
    ),
    openOrders: rows(
      "select id as orderId, state from orders where state in ('placed', 'awaiting_second_approval', 'ready')",
    ),
    stockCards: rows("select id as cardId, unit_id as unitId from cards where state = 'in_stock'"),
    reserveOrders: rows(
      "select id as orderId, unit_id as unitId from orders where type like 'reserve_card%' and state in ('placed', 'awaiting_second_approval', 'ready')",
    ),
  };
}
