import type { AddressInfo } from 'node:net';
import type { DestinationStream } from 'pino';
import { registerAgent } from '../../db/agents';
import { type AppDatabase, openDatabase } from '../../db/connection';
import { newId } from '../../db/ids';
import { type StaffRole, staffRoleAssignments, users } from '../../db/schema';
import { openTestDatabase } from '../../test-support/test-database';
import { loadConfig } from '../config';
import { createServer, type RunningServer } from '../create-server';
import type { JobTimeouts } from '../jobs/job-engine';
import { createLogger } from '../logger';
import { testMasterKey } from '../pki/test-fixtures';

export interface TestServer {
  url: string;
  db: AppDatabase;
  server: RunningServer;
  stop(): Promise<void>;
}

/**
 * The real server on a free loopback port with a fresh test database (or the one `databaseUrl` names, which
 * outlives the server); without the Remix app unless `withRemix` (which needs `npx remix build` first: the
 * test command builds before vitest).
 */
export async function startTestServer(
  options: {
    jobTimeouts?: Partial<JobTimeouts>;
    databaseUrl?: string;
    port?: number;
    env?: Record<string, string>;
    withRemix?: boolean;
    /** Where the server logs (at level info); silent without one. */
    logDestination?: DestinationStream;
  } = {},
): Promise<TestServer> {
  const db = options.databaseUrl ? await openDatabase(options.databaseUrl) : await openTestDatabase();
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...options.env });
  const server = await createServer(config, {
    db,
    logger: options.logDestination ? createLogger('info', options.logDestination) : createLogger('silent'),
    withRemix: options.withRemix ?? false,
    // Fixed, so a restart on the same database still opens its CA keys.
    masterKey: testMasterKey,
    ...(options.jobTimeouts ? { jobTimeouts: options.jobTimeouts } : {}),
  });
  await new Promise<void>((resolve) => server.httpServer.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.httpServer.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    db,
    server,
    stop() {
      // Once: a test may stop a server itself (a process going away) before its cleanup does.
      stopping ??= server.close().then(() => db.close());
      return stopping;
    },
  };
}

export async function addAgent(db: AppDatabase, deviceToken: string, name = 'Testdator'): Promise<string> {
  return await registerAgent(db, { name, deviceToken });
}

/** A staff user with the given global role and a session cookie for it. */
export async function addStaffSession(testServer: TestServer, role: StaffRole, unitId: string | null = null) {
  const userId = newId();
  await testServer.db
    .insert(users)
    .values({ id: userId, username: `${role}-${userId.slice(0, 8)}`, displayName: role });
  await testServer.db.insert(staffRoleAssignments).values({ id: newId(), userId, role, unitId });
  const { cookie } = await testServer.server.services.sessions.create({ userId, loginMethod: 'password' });
  return { userId, cookieHeader: cookie.split(';')[0]! };
}
