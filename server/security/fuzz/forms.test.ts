import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../../db/engine';
import { type FuzzServer, startFuzzServer } from './fuzz-server';
import { type HttpCase, httpCase, type Identity } from './http-cases';
import { checkDatabase } from './invariants';
import { fuzzCases, fuzzSeed, Random } from './random';
import { type FuzzFinding, summarise } from './report';
import { actionTargets, listRouteModules } from './routes';

/**
 * Every form action and every loader, over HTTP against the real server with the Remix app, from every
 * demo role and anonymously: a few thousand seeded hostile requests. The server must never answer 5xx or
 * log an error, must stay up, and must write no row its own rules call invalid.
 * Replay: FUZZ_SEED=<seed> FUZZ_CASES=<n> npx vitest run server/security/fuzz/forms.test.ts
 */
const seed = fuzzSeed();
const caseCount = fuzzCases(3_000);
/** A request writes at most this many audit rows and auth orders, whatever it carries. */
const maxAuditRowsPerRequest = 4;
const maxAuthOrdersPerRequest = 1;
const burstSize = 5;
/** Mina sidor pages about the logged-in person's own cards and eIDs. */
const personalRoutes = new Set([
  'mina-sidor.eid',
  'mina-sidor.ogiltiga',
  'mina-sidor.las-upp.$cardId',
  'mina-sidor.hamta-mobilt-siths',
]);
let fuzz: FuzzServer;
beforeAll(async () => {
  fuzz = await startFuzzServer();
}, 120_000);
afterAll(async () => {
  await fuzz?.stop();
});

/** Cookies per identity, as a browser keeps them: its own session, the auth-order cookie, the language. */
class CookieJars {
  private readonly jars = new Map<string, Map<string, string>>();

  constructor(private readonly fuzz: FuzzServer) {}

  async header(identity: Identity): Promise<string> {
    const key = identity ?? '';
    let jar = this.jars.get(key);
    if (!jar) {
      jar = new Map();
      this.jars.set(key, jar);
    }
    const sessionCookie = this.fuzz.server.services.sessions.cookieName;
    if (identity && !jar.has(sessionCookie)) {
      const [name, value] = (await this.login(identity)).split(';')[0]!.split('=') as [string, string];
      jar.set(name, value);
    }
    return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  remember(identity: Identity, response: Response): void {
    const jar = this.jars.get(identity ?? '');
    if (!jar) return;
    for (const cookie of response.headers.getSetCookie()) {
      const [pair, ...attributes] = cookie.split(';');
      const separator = pair!.indexOf('=');
      const name = pair!.slice(0, separator).trim();
      const value = pair!.slice(separator + 1).trim();
      const expired = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute)) || value === '';
      if (expired) jar.delete(name);
      // A login form the case filled in opens someone's session: the identity stays who it was, so the
      // checks know whose answers they judge.
      else if (name !== this.fuzz.server.services.sessions.cookieName) jar.set(name, value);
    }
  }

  /** A session as the login would open it: a password for staff, the person's card for end users. */
  private async login(username: string): Promise<string> {
    const { db } = this.fuzz;
    const [user] = await queryRows<{ id: string; person_id: string | null }>(
      db,
      sql`select id, person_id from users where username = ${username}`,
    );
    if (!user) throw new Error(`no demo user ${username}`);
    const [staff] = await queryRows(
      db,
      sql`select 1 as one from staff_role_assignments where user_id = ${user.id}`,
    );
    const [card] = await queryRows<{ serial: string }>(
      db,
      sql`select serial from cards where holder_person_id = ${user.person_id} and state in ('active', 'locked')`,
    );
    const { cookie } = await this.fuzz.server.services.sessions.create(
      staff || !card
        ? { userId: user.id, loginMethod: 'password' }
        : { userId: user.id, loginMethod: 'card', loginCredential: card.serial },
    );
    return cookie;
  }
}

/** Whether the identity holds a staff role now (the run grants and revokes roles); only staff see the dashboard. */
async function holdsStaffRole(fuzz: FuzzServer, identity: Identity): Promise<boolean> {
  if (identity === null) return false;
  const rows = await queryRows(
    fuzz.db,
    sql`select 1 as one from staff_role_assignments
      join users on users.id = staff_role_assignments.user_id where users.username = ${identity}`,
  );
  return rows.length > 0;
}

async function counts(fuzz: FuzzServer) {
  const count = async (query: ReturnType<typeof sql>) =>
    Number((await queryRows<{ n: number }>(fuzz.db, query))[0]?.n ?? 0);
  return {
    audit: await count(sql`select coalesce(max(id), 0) as n from audit_events`),
    authOrders: await count(sql`select count(*) as n from auth_orders`),
  };
}

/** An answer that shows a stack trace or the server's file paths tells an attacker how the server is built. */
function leaksInternals(text: string): boolean {
  return (
    text.includes('node_modules') || /\bat .+\.(ts|js|tsx):\d+:\d+/.test(text) || text.includes(process.cwd())
  );
}

/** One request of a case, with what the checks need from its answer. */
async function answer(
  fuzz: FuzzServer,
  testCase: HttpCase,
  cookie: string,
): Promise<{ status: number; excerpt: string; response?: Response }> {
  try {
    const response = await send(fuzz, testCase, cookie);
    const text = await response.text();
    if (leaksInternals(text))
      return { status: response.status, excerpt: `leaks: ${text.slice(0, 300)}`, response };
    return { status: response.status, excerpt: response.status >= 500 ? text.slice(0, 300) : '', response };
  } catch (error) {
    return { status: 0, excerpt: `${String(error)} ${String((error as Error).cause ?? '')}` };
  }
}

async function send(fuzz: FuzzServer, testCase: HttpCase, cookie: string): Promise<Response> {
  const headers = new Headers(testCase.headers);
  if (cookie) headers.set('Cookie', cookie);
  return fetch(`${fuzz.url}${testCase.path}`, {
    method: testCase.method,
    headers,
    redirect: 'manual',
    signal: AbortSignal.timeout(15_000),
    ...(testCase.body !== undefined && !['GET', 'HEAD'].includes(testCase.method)
      ? { body: testCase.body }
      : {}),
  });
}

describe('fuzz: form actions and loaders over HTTP', () => {
  it('has every route module with an action in its table, with the route id the app uses', () => {
    const withAction = listRouteModules()
      .filter((module) => module.hasAction)
      .map((module) => module.file)
      .sort();
    expect(actionTargets.map((target) => target.file).sort()).toEqual(withAction);
  });

  it(`answers ${caseCount} hostile requests without a server error or an invalid row (seed ${seed})`, async () => {
    const modules = listRouteModules();
    let real = await fuzz.realValues();
    let related = await fuzz.relatedValues();
    const jars = new CookieJars(fuzz);
    const findings: FuzzFinding[] = [];
    const statuses = new Map<number, number>();
    let maxAudit = 0;
    let maxAuthOrders = 0;
    const started = Date.now();
    const timings = new Map<string, number>();

    for (let index = 0; index < caseCount; index++) {
      const testCase = httpCase(index, Random.forCase(seed, index), real, modules, fuzz.url, related);
      const before = await counts(fuzz);
      const errorsBefore = fuzz.errors.length;
      const caseStarted = performance.now();
      // Every fiftieth case is sent as a burst of identical concurrent requests, as a double click would.
      const copies = index % 50 === 25 ? burstSize : 1;
      const cookie = await jars.header(testCase.identity);
      const answers = await Promise.all(Array.from({ length: copies }, () => answer(fuzz, testCase, cookie)));
      for (const { response } of answers) if (response) jars.remember(testCase.identity, response);
      const worst = answers.find(({ status }) => status === 0 || status >= 500) ?? answers[0]!;
      const status = worst.status;
      const excerpt =
        answers.find((candidate) => candidate.excerpt.startsWith('leaks:'))?.excerpt ?? worst.excerpt;
      const elapsed = performance.now() - caseStarted;
      const timingKey = `${testCase.kind} ${testCase.route}`;
      timings.set(timingKey, (timings.get(timingKey) ?? 0) + elapsed);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      const after = await counts(fuzz);
      const dashboardWithoutRole =
        status === 200 &&
        testCase.route.startsWith('admin') &&
        !(await holdsStaffRole(fuzz, testCase.identity));
      const auditAdded = after.audit - before.audit;
      const authOrdersAdded = after.authOrders - before.authOrders;
      maxAudit = Math.max(maxAudit, auditAdded / copies);
      maxAuthOrders = Math.max(maxAuthOrders, authOrdersAdded / copies);
      const logged = fuzz.errors
        .slice(errorsBefore)
        .filter((entry) => status >= 500 || entry.source === 'pino');
      const problems = [
        ...(status >= 500 || status === 0 ? [`status ${status}`] : []),
        ...(excerpt.startsWith('leaks:') ? ['stack trace or server path in the answer'] : []),
        ...(logged.length > 0 ? ['error logged'] : []),
        ...(auditAdded > maxAuditRowsPerRequest * copies ? [`${auditAdded} audit rows`] : []),
        ...(authOrdersAdded > maxAuthOrdersPerRequest * copies ? [`${authOrdersAdded} auth orders`] : []),
        ...(dashboardWithoutRole ? ['dashboard data for someone without a staff role'] : []),
        ...(status === 200 && testCase.identity === null && personalRoutes.has(testCase.route)
          ? ["a person's own page answered without a login"]
          : []),
      ];
      if (problems.length > 0) {
        findings.push({
          index,
          seed,
          problems,
          where: `${testCase.method} ${testCase.path.slice(0, 160)}`,
          route: testCase.route,
          detail: `${testCase.kind}/${testCase.variant}${copies > 1 ? ` x${copies} at once` : ''} as ${testCase.identity ?? 'anonymous'}`,
          excerpt,
          errors: logged.map((entry) => ({
            msg: entry.msg,
            ...(entry.err?.message ? { message: entry.err.message } : {}),
            ...(entry.err?.stack ? { stack: entry.err.stack.split('\n').slice(0, 6).join('\n') } : {}),
          })),
        });
      }
      if (index % 500 === 499) {
        expect((await fetch(`${fuzz.url}/healthz`)).status, `healthz after case ${index}`).toBe(200);
        // Rows the run made (auth orders, orders, enrolments) become targets too, of other users' cases.
        real = await fuzz.realValues();
        related = await fuzz.relatedValues();
      }
    }

    const health = await fetch(`${fuzz.url}/healthz`);
    const database = await checkDatabase(fuzz.db);
    const seconds = (Date.now() - started) / 1000;
    console.info(
      summarise('http', {
        seed,
        cases: caseCount,
        seconds,
        statuses,
        findings,
        database,
        bounds: { maxAudit, maxAuthOrders },
      }),
    );
    if (process.env.FUZZ_VERBOSE) {
      const outcomes = await queryRows(
        fuzz.db,
        sql`select action, outcome, count(*) as n from audit_events group by action, outcome order by n desc`,
      );
      console.info(outcomes.map((row) => JSON.stringify(row)).join('\n'));
      console.info(
        [...timings]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 15)
          .map(([key, ms]) => `${Math.round(ms)} ms ${key}`)
          .join('\n'),
      );
    }
    expect(health.status).toBe(200);
    expect(database.integrity).toEqual(['ok']);
    expect(database.foreignKeyViolations).toEqual([]);
    expect(database.invalidRows.slice(0, 20)).toEqual([]);
    expect(
      findings
        .slice(0, 30)
        .map((finding) => `#${finding.index} ${finding.problems.join(', ')}: ${finding.where}`),
    ).toEqual([]);
  }, 600_000);
});
