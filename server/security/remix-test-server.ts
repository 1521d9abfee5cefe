import { eq } from 'drizzle-orm';
import type { DestinationStream } from 'pino';
import { hashPassword } from '../../app/auth/password.server';
import { first } from '../../db/engine';
import { users } from '../../db/schema';
import { seedDemoData } from '../../db/seed';
import { startTestServer, type TestServer } from '../testing/test-server';

export interface RemixTestServer extends TestServer {
  /** A `Cookie` header with a fresh session of the demo user `username` (db/demo-fixtures.ts). */
  sessionOf(username: string): Promise<string>;
}

/** The real server with the Remix app over the seeded demo region, on loopback, as a browser meets it. */
export async function startRemixTestServer(
  options: { env?: Record<string, string>; logDestination?: DestinationStream } = {},
): Promise<RemixTestServer> {
  const testServer = await startTestServer({ ...options, withRemix: true });
  await seedDemoData(testServer.db, { hashPassword });
  return {
    ...testServer,
    async sessionOf(username) {
      const user = first(
        await testServer.db.select().from(users).where(eq(users.username, username)).limit(1),
      );
      if (!user) throw new Error(`no demo user ${username}`);
      const { cookie } = await testServer.server.services.sessions.create({
        userId: user.id,
        loginMethod: 'password',
      });
      return cookie.split(';')[0]!;
    },
  };
}
