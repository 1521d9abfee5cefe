import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { hashPassword } from '../../../app/auth/password.server';
import { registerAgent } from '../../../db/agents';
import type { AppDatabase } from '../../../db/connection';
import { defaultDemoAgentToken } from '../../../db/demo-fixtures';
import { queryRows } from '../../../db/engine';
import { seedDemoData } from '../../../db/seed';
import { openTestDatabase } from '../../../test-support/test-database';
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
  realValues(): Promise<RealValues>;
  relatedValues(): Promise<RelatedValues>;
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
 * The real server with the Remix app, on loopback, over the seeded demo region in a test database. The port is
 * chosen first so PUBLIC_URL is the origin the fuzz sends: same-origin checks see a real browser.
 */
export async function startFuzzServer(): Promise<FuzzServer> {
  ensureRemixBuild();
  const db = await openTestDatabase();
  await seedDemoData(db, { hashPassword });
  for (const [index, token] of extraAgentTokens.entries()) {
    await registerAgent(db, { name: `Fuzzdator ${index + 2}`, deviceToken: token });
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
      await db.close();
    },
  };
}

/** The values of a query's one column, as text. */
async function column(db: AppDatabase, query: string): Promise<string[]> {
  const rows = await queryRows<{ value: unknown }>(db, sql.raw(query));
  return rows.map((row) => String(row.value));
}

export async function collectRealValues(db: AppDatabase): Promise<RealValues> {
  return {
    unitIds: await column(db, 'select id as value from units'),
    unitHsaIds: await column(db, 'select hsa_id as value from units'),
    personIds: await column(db, 'select id as value from persons'),
    personHsaIds: await column(db, 'select hsa_id as value from persons'),
    personalIdentityNumbers: await column(
      db,
      'select personal_identity_number as value from persons where personal_identity_number is not null',
    ),
    userIds: await column(db, 'select id as value from users'),
    assignmentIds: await column(db, 'select id as value from staff_role_assignments'),
    cardIds: await column(db, 'select id as value from cards'),
    cardSerials: await column(db, 'select serial as value from cards'),
    eidIds: await column(db, 'select id as value from eids'),
    orderIds: await column(db, 'select id as value from orders'),
    jobIds: await column(db, 'select id as value from jobs'),
    authOrderIds: await column(db, 'select id as value from auth_orders'),
    agentSessionIds: await column(db, 'select id as value from agent_sessions'),
    agentIds: await column(db, 'select id as value from agents'),
    mobileDeviceIds: await column(db, 'select id as value from mobile_devices'),
    enrolmentIds: await column(db, 'select id as value from mobile_enrolments'),
    enrolmentCodeIds: await column(db, 'select id as value from agent_enrolment_codes'),
  };
}

export async function collectRelatedValues(db: AppDatabase): Promise<RelatedValues> {
  // Aliases are quoted: PostgreSQL folds unquoted names to lower case.
  const rows = <Row>(query: string) => queryRows<Row>(db, sql.raw(query));
  return {
    heldCards: await rows(
      `select holder_person_id as "personId", id as "cardId" from cards where holder_person_id is not null and state in ('active', 'locked')`,
    ),
    heldEids: await rows(
      `select person_id as "personId", id as "eidId" from eids where person_id is not null and state = 'active'`,
    ),
    openOrders: await rows(
      `select id as "orderId", state from orders where state in ('placed', 'awaiting_second_approval', 'ready')`,
    ),
    stockCards: await rows(`select id as "cardId", unit_id as "unitId" from cards where state = 'in_stock'`),
    reserveOrders: await rows(
      `select id as "orderId", unit_id as "unitId" from orders where type like 'reserve_card%' and state in ('placed', 'awaiting_second_approval', 'ready')`,
    ),
  };
}
