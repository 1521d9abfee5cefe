import type { ActionFunctionArgs, AppLoadContext, LoaderFunctionArgs } from '@remix-run/node';
import { eq } from 'drizzle-orm';
import type { AppDatabase } from '../../db/connection';
import { first } from '../../db/engine';
import { users } from '../../db/schema';
import { seedDemoData } from '../../db/seed';
import { createTestLoadContext } from '../../server/testing/load-context';
import { openTestDatabase } from '../../test-support/test-database';
import { hashPassword } from '../auth/password.server';

export interface RouteHarness {
  db: AppDatabase;
  context: AppLoadContext;
  /** A request from a logged-in demo user (username from demoLogins or demoEndUsers), or anonymous. */
  request(
    path: string,
    options?: { as?: string; form?: Record<string, string | string[]> },
  ): Promise<Request>;
}

/**
 * A seeded demo database on the engine under test and a load context over it, for calling loaders and
 * actions directly. `db.close()` ends it.
 */
export async function createRouteHarness(): Promise<RouteHarness> {
  const db = await openTestDatabase();
  await seedDemoData(db, { hashPassword });
  const context = createTestLoadContext(db);
  const cookies = new Map<string, string>();
  return {
    db,
    context,
    async request(path, options = {}) {
      const headers = new Headers();
      if (options.as) {
        let cookie = cookies.get(options.as);
        if (!cookie) {
          const user = first(await db.select().from(users).where(eq(users.username, options.as)).limit(1));
          if (!user) throw new Error(`no demo user ${options.as}`);
          cookie = (await context.sessions.create({ userId: user.id, loginMethod: 'password' })).cookie.split(
            ';',
          )[0]!;
          cookies.set(options.as, cookie);
        }
        headers.set('Cookie', cookie);
      }
      if (!options.form) return new Request(`http://localhost${path}`, { headers });
      const body = new URLSearchParams();
      for (const [name, value] of Object.entries(options.form)) {
        for (const item of Array.isArray(value) ? value : [value]) body.append(name, item);
      }
      headers.set('Content-Type', 'application/x-www-form-urlencoded');
      return new Request(`http://localhost${path}`, { method: 'POST', headers, body });
    },
  };
}

export interface RouteOutcome {
  status: number;
  location: string | null;
  data: unknown;
}

/** Runs a loader or action as Remix would and reports what the browser would get, thrown responses included. */
export async function callRoute(
  handler: (args: LoaderFunctionArgs & ActionFunctionArgs) => unknown,
  request: Request,
  context: AppLoadContext,
  params: Record<string, string> = {},
): Promise<RouteOutcome> {
  let result: unknown;
  try {
    result = await handler({ request, context, params });
  } catch (thrown) {
    result = thrown;
  }
  if (result instanceof Response) {
    const text = await result.text();
    let data: unknown = text;
    try {
      data = JSON.parse(text);
    } catch {}
    return { status: result.status, location: result.headers.get('Location'), data };
  }
  if (result instanceof Error) throw result;
  return { status: 200, location: null, data: result };
}
