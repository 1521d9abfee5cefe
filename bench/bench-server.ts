/**
 * The real server (without Remix) for the streaming benchmark, alone in its process. Started by
 * socket-streaming.bench.ts, which asks it over IPC for its RSS, CPU time and connected agents.
 *
 * Alone: a fresh SQLite file (WAL) in a temp dir. One of several behind a balancer:
 * BENCH_SERVER_DATABASE_URL (a migrated PostgreSQL database), REDIS_URL, PORT, PUBLIC_URL, TRUST_PROXY
 * and BENCH_SERVER_MASTER_KEY (base64) shared by all of them. Either way it registers
 * BENCH_SERVER_AGENTS agents first (0: another process did) and makes one support session.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../db/connection';
import { agentNamespace } from '../protocol/agent-events';
import { loadConfig } from '../server/config';
import { createServer } from '../server/create-server';
import { createLogger } from '../server/logger';
import { addAgent, addStaffSession } from '../server/testing/test-server';
import { answerParent } from './bench-child';

const agentTokenPrefix = 'bench-agent-device-token-';
const env = process.env;
const agentCount = Number(env.BENCH_SERVER_AGENTS ?? '1000');
const sharedDatabaseUrl = env.BENCH_SERVER_DATABASE_URL || undefined;

const directory = sharedDatabaseUrl ? undefined : mkdtempSync(join(tmpdir(), 'siths-desk-bench-'));
// BENCH_SERVER_DATABASE=memory shows how much of the figures is the SQLite file's I/O.
const sqliteFile =
  env.BENCH_SERVER_DATABASE === 'memory' ? ':memory:' : join(directory ?? '', 'bench.sqlite');
const db = await openDatabase(sharedDatabaseUrl ?? sqliteFile);
const registering = 20;
for (let start = 0; start < agentCount; start += registering) {
  const indexes = Array.from({ length: Math.min(registering, agentCount - start) }, (_, i) => start + i);
  await Promise.all(
    indexes.map((index) => addAgent(db, `${agentTokenPrefix}${index}`, `Benchdator ${index}`)),
  );
}

const server = await createServer(
  loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    REDIS_URL: env.REDIS_URL || undefined,
    PUBLIC_URL: env.PUBLIC_URL || undefined,
    TRUST_PROXY: env.TRUST_PROXY || undefined,
  }),
  {
    db,
    logger: createLogger('silent'),
    withRemix: false,
    masterKey: env.BENCH_SERVER_MASTER_KEY
      ? Buffer.from(env.BENCH_SERVER_MASTER_KEY, 'base64')
      : randomBytes(32),
  },
);
await new Promise<void>((resolve) => server.httpServer.listen(Number(env.PORT ?? 0), '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.httpServer.address() as AddressInfo).port}`;
const stop = async () => {
  await server.close();
  await db.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
};
const { cookieHeader } = await addStaffSession({ url, db, server, stop }, 'support');

answerParent({ type: 'ready', url, cookieHeader, agentTokenPrefix }, stop, {
  agentConnections: () => server.io.of(agentNamespace).sockets.size,
});
