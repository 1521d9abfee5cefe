import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../app/auth/password.server';
import { openDatabase } from '../../db/connection';
import { first } from '../../db/engine';
import { users } from '../../db/schema';
import { seedDemoData } from '../../db/seed';
import { type PostgresServer, startPostgresServer } from '../../test-support/postgres-server';
import { databaseUnreachableMessage, isDatabaseUnreachable } from '../http/error-answer';
import { startTestServer, type TestServer } from '../testing/test-server';

/** Stops and starts a PostgreSQL of its own: the shared test cluster must stay up for the other files. */
describe.skipIf(process.env.TEST_DATABASE_ENGINE !== 'postgres')(
  'PostgreSQL restarted under a running server',
  () => {
    let cluster: PostgresServer;
    let server: TestServer;
    let cookie: string;
    const logLines: Record<string, unknown>[] = [];
    const unhandled: unknown[] = [];
    const noteUnhandled = (reason: unknown) => unhandled.push(reason);

    beforeAll(async () => {
      process.on('unhandledRejection', noteUnhandled);
      cluster = await startPostgresServer();
      const url = await cluster.createDatabase('desk');
      server = await startTestServer({
        databaseUrl: url,
        withRemix: true,
        logDestination: new Writable({
          write(chunk, _encoding, done) {
            logLines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
            done();
          },
        }),
      });
      await seedDemoData(server.db, { hashPassword });
      const chef = first(await server.db.select().from(users).where(eq(users.username, 'chef')).limit(1));
      const { cookie: setCookie } = await server.server.services.sessions.create({
        userId: chef!.id,
        loginMethod: 'password',
      });
      cookie = setCookie.split(';')[0]!;
    });

    afterAll(async () => {
      await server?.stop();
      await cluster?.stop();
      process.removeListener('unhandledRejection', noteUnhandled);
    });

    const page = (path: string, accept = 'text/html') =>
      fetch(`${server.url}${path}`, { headers: { cookie, accept }, redirect: 'manual' });

    it('answers 503 in Swedish while the database is down and works again once it is back', async () => {
      expect((await page('/admin/personer')).status).toBe(200);

      await cluster.stopServer();
      try {
        const before = logLines.length;
        const down = await page('/admin/personer');
        expect(down.status).toBe(503);
        expect(await down.text()).toBe(databaseUnreachableMessage);
        const data = await page('/admin/personer?_data=routes%2Fadmin.personer', 'application/json');
        expect(data.status).toBe(503);
        expect(await data.json()).toEqual({ ok: false, message: databaseUnreachableMessage });
        // One line per failed request besides its access line; no error path logged it as ours.
        const messages = logLines.slice(before).map((line) => line.msg);
        expect(messages.filter((msg) => msg === 'database unreachable')).toHaveLength(2);
        expect(messages).not.toContain('request failed');
        expect(messages).not.toContain('loader or action failed');
      } finally {
        await cluster.startServer();
      }

      const back = await page('/admin/personer');
      expect(back.status).toBe(200);
      expect(await back.text()).toContain('<html');
      expect(unhandled).toEqual([]);
    });

    it('is alive but not ready for the balancer while the database is down, and ready once it is back', async () => {
      const readiness = async () => {
        const response = await fetch(`${server.url}/readyz`);
        return { status: response.status, body: await response.json() };
      };
      expect(await readiness()).toEqual({ status: 200, body: { ready: true, database: 'ok' } });
      await cluster.stopServer();
      try {
        expect(await readiness()).toEqual({ status: 503, body: { ready: false, database: 'unreachable' } });
        expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      } finally {
        await cluster.startServer();
      }
      expect(await readiness()).toEqual({ status: 200, body: { ready: true, database: 'ok' } });
    });

    it('rolls back a transaction whose connection is lost in the middle', async () => {
      const db = await openDatabase(cluster.url('desk'));
      try {
        const interrupted = db.transaction(async (tx) => {
          await tx.insert(users).values({ id: 'outage-1', username: 'outage-1', displayName: 'Avbruten 1' });
          await cluster.stopServer();
          await tx.insert(users).values({ id: 'outage-2', username: 'outage-2', displayName: 'Avbruten 2' });
        });
        await expect(interrupted).rejects.toSatisfy(isDatabaseUnreachable);
        await cluster.startServer();
        const left = await db.select({ id: users.id }).from(users).where(eq(users.displayName, 'Avbruten 1'));
        expect(left).toEqual([]);
      } finally {
        await cluster.startServer();
        await db.close();
      }
      expect(unhandled).toEqual([]);
    });
  },
);
