/**
 * The real server (without Remix) for the streaming benchmark, alone in its process: a fresh SQLite
 * file (WAL) in a temp dir, BENCH_SERVER_AGENTS registered agents and one support session. Started by
 * socket-streaming.bench.ts, which asks it over IPC for its RSS and CPU time.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../db/connection';
import { loadConfig } from '../server/config';
import { createServer } from '../server/create-server';
import { createLogger } from '../server/logger';
import { addAgent, addStaffSession } from '../server/testing/test-server';
import { answerParent } from './bench-child';

const agentTokenPrefix = 'bench-agent-device-token-';
const agentCount = Number(process.env.BENCH_SERVER_AGENTS ?? '1000');

const directory = mkdtempSync(join(tmpdir(), 'siths-desk-bench-'));
// BENCH_SERVER_DATABASE=memory shows how much of the figures is the SQLite file's I/O.
const inMemory = process.env.BENCH_SERVER_DATABASE === 'memory';
const db = await openDatabase(inMemory ? ':memory:' : join(directory, 'bench.sqlite'));
for (let index = 0; index < agentCount; index++) {
  await addAgent(db, `${agentTokenPrefix}${index}`, `Benchdator ${index}`);
}

const server = await createServer(loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'silent' }), {
  db,
  logger: createLogger('silent'),
  withRemix: false,
  masterKey: randomBytes(32),
});
await new Promise<void>((resolve) => server.httpServer.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.httpServer.address() as AddressInfo).port}`;
const stop = async () => {
  await server.close();
  await db.close();
  rmSync(directory, { recursive: true, force: true });
};
const { cookieHeader } = await addStaffSession({ url, db, server, stop }, 'support');

answerParent({ type: 'ready', url, cookieHeader, agentTokenPrefix }, stop);
