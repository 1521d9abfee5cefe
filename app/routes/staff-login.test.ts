import { and, eq, gt } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endSessionsOfRevokedCredentials } from '~/auth/eid-sessions.server';
import { loginWithPassword } from '~/auth/login.server';
import { getPrincipal } from '~/auth/staff.server';
import { authOrderCookieHeader } from '~/mina-sidor/end-user.server';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import { completeAuthOrder, createAuthOrder } from '../../db/auth-orders';
import { first } from '../../db/engine';
import { revokeCard, revokeEid } from '../../db/revocations';
import { auditEvents, cards, eids, mobileDevices, sessions, users } from '../../db/schema';
import { demoLogins } from '../../db/seed';
import { hashPassword } from '../auth/password.server';
import * as overview from './admin._index';
import * as mobileLogin from './logga-in_.annan-enhet';
import * as cardLogin from './logga-in_.denna-enhet';
import * as minaSidorCardLogin from './mina-sidor.logga-in.denna-enhet';

type Handler = Parameters<typeof callRoute>[0];

let harness: RouteHarness;
beforeAll(async () => {
  harness = await createRouteHarness();
});
afterAll(async () => {
  await harness.db.close();
});

const actorOf = async (username: string) => ({
  userId: first(await harness.db.select().from(users).where(eq(users.username, username)).limit(1))!.id,
  label: username,
});

const personIdOf = async (username: string) =>
  first(await harness.db.select().from(users).where(eq(users.username, username)).limit(1))!.personId!;

/** A card of the person with an active, unexpired authentication eID: what a card login signs with. */
async function loginCardOf(personId: string) {
  const row = first(
    await harness.db
      .select({ id: cards.id, serial: cards.serial })
      .from(cards)
      .innerJoin(eids, eq(eids.cardId, cards.id))
      .where(
        and(
          eq(cards.holderPersonId, personId),
          eq(cards.state, 'active'),
          eq(eids.purpose, 'authentication'),
          eq(eids.state, 'active'),
          gt(eids.validTo, new Date()),
        ),
      )
      .limit(1),
  );
  if (!row) throw new Error(`no login card for ${personId}`);
  return row;
}

/** A Mobile SITHS device of the person with an active eID, made for the test when the seed gave none. */
async function loginDeviceOf(personId: string) {
  const existing = first(
    await harness.db
      .select({ id: mobileDevices.id })
      .from(mobileDevices)
      .innerJoin(eids, eq(eids.mobileDeviceId, mobileDevices.id))
      .where(
        and(
          eq(mobileDevices.personId, personId),
          eq(mobileDevices.state, 'active'),
          gt(mobileDevices.validTo, new Date()),
          eq(eids.state, 'active'),
          gt(eids.validTo, new Date()),
        ),
      )
      .limit(1),
  );
  if (existing) return existing;
  const id = crypto.randomUUID();
  const validTo = new Date(Date.now() + 365 * 86_400_000);
  await harness.db.insert(mobileDevices).values({
    id,
    personId,
    name: 'Testtelefon',
    publicKeySpki: 'test',
    trustLevel: 3,
    validTo,
  });
  await harness.db.insert(eids).values({
    id: crypto.randomUUID(),
    personId,
    mobileDeviceId: id,
    purpose: 'authentication',
    issuingCa: 'mobile',
    certificateSerial: crypto.randomUUID().replaceAll('-', ''),
    trustLevel: 3,
    validFrom: new Date(),
    validTo,
  });
  return { id };
}

/** A login order the person's card or phone completed, and the cookie of the browser that started it. */
async function completedLogin(
  personId: string,
  credential: { cardSerial: string } | { mobileDeviceId: string },
): Promise<{ orderId: string; cookie: string }> {
  const method = 'cardSerial' in credential ? 'card' : 'mobile_siths';
  const started = await createAuthOrder(
    harness.db,
    { purpose: 'login', method, ttlMs: 120_000, remoteAddress: '127.0.0.1' },
    new Date(),
  );
  await completeAuthOrder(harness.db, started.orderId, { personId, ...credential }, new Date());
  const cookie = (await authOrderCookieHeader(started.orderId, started.collectSecret)).split(';')[0]!;
  return { orderId: started.orderId, cookie };
}

function post(path: string, cookie: string, form: Record<string, string>) {
  return new Request(`http://localhost${path}`, {
    method: 'POST',
    headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
}

/** Runs an action that answers by redirecting or by throwing a redirect, and gives the raw response. */
async function respond(handler: Handler, request: Request): Promise<Response> {
  try {
    return (await handler({ request, context: harness.context, params: {} })) as Response;
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

const sessionCookieOf = (response: Response) =>
  response.headers
    .getSetCookie()
    .find((cookie) => cookie.startsWith('siths_session='))
    ?.split(';')[0];

const auditsOf = async (action: string, outcome: 'success' | 'refused') =>
  await harness.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, action), eq(auditEvents.outcome, outcome)));

const principalOf = (cookie: string) =>
  getPrincipal(new Request('http://localhost/admin', { headers: { Cookie: cookie } }), harness.context);

describe('staff login with a SITHS card on this device', () => {
  it("opens a dashboard session with the roles of the person whose card signed, recording the card's serial", async () => {
    const personId = await personIdOf('idadmin1');
    const card = await loginCardOf(personId);
    const { orderId, cookie } = await completedLogin(personId, { cardSerial: card.serial });
    const response = await respond(
      cardLogin.action as Handler,
      post('/logga-in/denna-enhet?redirectTo=%2Fadmin%2Fbestallningar', cookie, {
        intent: 'collect',
        orderId,
      }),
    );
    expect(response.status).toBe(302);
    expect(response.headers.get('Location')).toBe('/admin/bestallningar');
    const sessionCookie = sessionCookieOf(response)!;
    const session = await harness.context.sessions.validateCookieHeader(sessionCookie);
    expect(session).toMatchObject({ loginMethod: 'card', loginCredential: card.serial });
    const principal = await principalOf(sessionCookie);
    expect(principal?.username).toBe('idadmin1');
    expect([...(principal?.roles.keys() ?? [])]).toContain('id_admin');
    const audits = await auditsOf('login_card', 'success');
    expect(
      audits.some((event) => event.detail?.authOrderId === orderId && event.detail.portal === 'admin'),
    ).toBe(true);
  });

  it('refuses a person without a staff role with 403, a Swedish reason and an audit event, and opens nothing', async () => {
    const personId = await personIdOf('carina');
    const card = await loginCardOf(personId);
    const { orderId, cookie } = await completedLogin(personId, { cardSerial: card.serial });
    const before = (await harness.db.select().from(sessions)).length;
    const outcome = await callRoute(
      cardLogin.action as Handler,
      post('/logga-in/denna-enhet', cookie, { intent: 'collect', orderId }),
      harness.context,
    );
    expect(outcome).toMatchObject({ status: 403, data: { errorCode: 'no_staff_role' } });
    expect((await harness.db.select().from(sessions)).length).toBe(before);
    const refused = await auditsOf('login_card', 'refused');
    expect(refused.some((event) => event.detail?.authOrderId === orderId)).toBe(true);
  });

  it('never sends the browser off the site after the login', async () => {
    const personId = await personIdOf('chef');
    const card = await loginCardOf(personId);
    const { orderId, cookie } = await completedLogin(personId, { cardSerial: card.serial });
    const response = await respond(
      cardLogin.action as Handler,
      post('/logga-in/denna-enhet?redirectTo=%2F%5Cevil.example', cookie, { intent: 'collect', orderId }),
    );
    expect(response.headers.get('Location')).toBe('/admin');
  });

  it('refuses an order another browser started', async () => {
    const personId = await personIdOf('chef');
    const card = await loginCardOf(personId);
    const { orderId } = await completedLogin(personId, { cardSerial: card.serial });
    const other = await completedLogin(personId, { cardSerial: card.serial });
    const outcome = await callRoute(
      cardLogin.action as Handler,
      post('/logga-in/denna-enhet', other.cookie, { intent: 'collect', orderId }),
      harness.context,
    );
    expect(outcome.status).toBe(404);
  });
});

describe('orders that are not logins', () => {
  it('never open a session from a signing order, even one this browser started and the person completed', async () => {
    const personId = await personIdOf('idadmin1');
    const card = await loginCardOf(personId);
    const started = await createAuthOrder(
      harness.db,
      {
        purpose: 'sign_decision',
        method: 'card',
        ttlMs: 120_000,
        expectedPersonId: personId,
        statementFor: (orderId) => `Jag, Lars Eriksson, spärrar ett kort.\nReferens: ${orderId}`,
      },
      new Date(),
    );
    await completeAuthOrder(harness.db, started.orderId, { personId, cardSerial: card.serial }, new Date());
    const cookie = (await authOrderCookieHeader(started.orderId, started.collectSecret)).split(';')[0]!;
    for (const handler of [cardLogin.action, minaSidorCardLogin.action]) {
      const response = await respond(
        handler as Handler,
        post('/logga-in/denna-enhet', cookie, { intent: 'collect', orderId: started.orderId }),
      );
      expect(response.status).toBe(409);
      expect(sessionCookieOf(response)).toBeUndefined();
    }
  });
});

describe('staff login with Mobile SITHS on another device', () => {
  it('opens a dashboard session recording the device', async () => {
    const personId = await personIdOf('idadmin2');
    const device = await loginDeviceOf(personId);
    const { orderId, cookie } = await completedLogin(personId, { mobileDeviceId: device.id });
    const response = await respond(
      mobileLogin.action as Handler,
      post('/logga-in/annan-enhet', cookie, { intent: 'collect', orderId }),
    );
    expect(response.headers.get('Location')).toBe('/admin');
    const session = await harness.context.sessions.validateCookieHeader(sessionCookieOf(response)!);
    expect(session).toMatchObject({ loginMethod: 'mobile_siths', loginCredential: device.id });
  });

  it('refuses a person without a staff role with 403 and a way to Mina sidor', async () => {
    const personId = await personIdOf('olof');
    const device = await loginDeviceOf(personId);
    const { orderId, cookie } = await completedLogin(personId, { mobileDeviceId: device.id });
    const outcome = await callRoute(
      mobileLogin.action as Handler,
      post('/logga-in/annan-enhet', cookie, { intent: 'collect', orderId }),
      harness.context,
    );
    expect(outcome).toMatchObject({
      status: 403,
      data: { error: 'login.error.noStaffRole', toMinaSidor: true },
    });
  });
});

describe('the eID a staff session was opened with', () => {
  it('ends the sessions opened with a revoked card at once, and audits it', async () => {
    const personId = await personIdOf('kontakt');
    const card = await loginCardOf(personId);
    const { orderId, cookie } = await completedLogin(personId, { cardSerial: card.serial });
    const response = await respond(
      cardLogin.action as Handler,
      post('/logga-in/denna-enhet', cookie, { intent: 'collect', orderId }),
    );
    const sessionCookie = sessionCookieOf(response)!;
    expect((await principalOf(sessionCookie))?.username).toBe('kontakt');

    const actor = await actorOf('idadmin2');
    expect((await revokeCard(harness.db, { cardId: card.id, reason: 'lost', actor })).ok).toBe(true);
    expect(await endSessionsOfRevokedCredentials(harness.context, [card.serial], actor)).toBe(1);
    expect(await harness.context.sessions.validateCookieHeader(sessionCookie)).toBeNull();
    const ended = await auditsOf('session_end', 'success');
    expect(ended.some((event) => event.detail?.credential === card.serial)).toBe(true);
  });

  it('ends the session at its next request when the eID was revoked elsewhere or has expired', async () => {
    const personId = await personIdOf('support');
    const card = await loginCardOf(personId);
    const first = await completedLogin(personId, { cardSerial: card.serial });
    const firstCookie = sessionCookieOf(
      await respond(
        cardLogin.action as Handler,
        post('/logga-in/denna-enhet', first.cookie, { intent: 'collect', orderId: first.orderId }),
      ),
    )!;
    expect(await principalOf(firstCookie)).not.toBeNull();
    const authentication = first_(
      await harness.db
        .select()
        .from(eids)
        .where(and(eq(eids.cardId, card.id), eq(eids.purpose, 'authentication'), eq(eids.state, 'active'))),
    );
    await harness.db
      .update(eids)
      .set({ validTo: new Date(Date.now() - 1_000) })
      .where(eq(eids.id, authentication.id));
    expect(await principalOf(firstCookie)).toBeNull();
    expect(await harness.context.sessions.validateCookieHeader(firstCookie)).toBeNull();

    await harness.db
      .update(eids)
      .set({ validTo: authentication.validTo })
      .where(eq(eids.id, authentication.id));
    const second = await completedLogin(personId, { cardSerial: card.serial });
    const secondCookie = sessionCookieOf(
      await respond(
        cardLogin.action as Handler,
        post('/logga-in/denna-enhet', second.cookie, { intent: 'collect', orderId: second.orderId }),
      ),
    )!;
    expect(await principalOf(secondCookie)).not.toBeNull();
    await revokeEid(harness.db, {
      eidId: authentication.id,
      reason: 'lost',
      actor: await actorOf('idadmin2'),
    });
    expect(await principalOf(secondCookie)).toBeNull();
  });

  it('leaves a session opened with another card of the person alone when one card is revoked', async () => {
    const personId = await personIdOf('idadmin1');
    const card = await loginCardOf(personId);
    const { orderId, cookie } = await completedLogin(personId, { cardSerial: card.serial });
    const sessionCookie = sessionCookieOf(
      await respond(
        cardLogin.action as Handler,
        post('/logga-in/denna-enhet', cookie, { intent: 'collect', orderId }),
      ),
    )!;
    const otherCard = first_(
      await harness.db
        .select()
        .from(cards)
        .where(and(eq(cards.holderPersonId, await personIdOf('olof')), eq(cards.state, 'active'))),
    );
    await revokeCard(harness.db, {
      cardId: otherCard.id,
      reason: 'lost',
      actor: await actorOf('idadmin2'),
    });
    expect(await principalOf(sessionCookie)).not.toBeNull();
  });
});

describe('passwords only for break-glass', () => {
  const demoPassword = (username: string) =>
    demoLogins.find((login) => login.username === username)!.password;

  it('refuses the password of an account that logs in with SITHS eID, after checking it, with 403', async () => {
    const personId = await personIdOf('idadmin1');
    const passwordHash = await hashPassword('ett-riktigt-lösenord');
    const id = crypto.randomUUID();
    await harness.db.insert(users).values({
      id,
      personId: null,
      username: 'utan.nodinloggning',
      displayName: 'Utan Nödinloggning',
      passwordHash,
    });
    expect(personId).toBeTruthy();
    const result = await loginWithPassword(harness.context, {
      username: 'utan.nodinloggning',
      password: 'ett-riktigt-lösenord',
    });
    expect(result).toEqual({ ok: false, status: 403, error: 'login.error.eidOnly' });
    const wrong = await loginWithPassword(harness.context, {
      username: 'utan.nodinloggning',
      password: 'fel',
    });
    expect(wrong).toMatchObject({ ok: false, status: 401 });
    const refused = await auditsOf('login_password', 'refused');
    expect(
      refused.some(
        (event) => event.actorLabel === 'utan.nodinloggning' && event.detail?.reason === 'no_password_login',
      ),
    ).toBe(true);
  });

  it('refuses the demo accounts when the demo flag is off, and lets the break-glass administrator in', async () => {
    const context = { ...harness.context, demoPasswordLogins: false };
    expect(await loginWithPassword(context, { username: 'chef', password: demoPassword('chef') })).toEqual({
      ok: false,
      status: 403,
      error: 'login.error.eidOnly',
    });
    const admin = await loginWithPassword(context, { username: 'admin', password: demoPassword('admin') });
    expect(admin.ok).toBe(true);
    expect(
      (await loginWithPassword(harness.context, { username: 'chef', password: demoPassword('chef') })).ok,
    ).toBe(true);
  });

  it("audits a break-glass login as its own action and shows it on the system administrators' overview only", async () => {
    await loginWithPassword(harness.context, { username: 'admin', password: demoPassword('admin') });
    await loginWithPassword(harness.context, { username: 'admin', password: 'fel-lösenord' });
    const successes = await auditsOf('login_break_glass', 'success');
    expect(successes.length).toBeGreaterThan(0);
    const asAdmin = await callRoute(
      overview.loader as Handler,
      await harness.request('/admin', { as: 'admin' }),
      harness.context,
    );
    const logins = (asAdmin.data as { breakGlassLogins: Array<{ account: string; outcome: string }> })
      .breakGlassLogins;
    expect(logins.filter((login) => login.account === 'admin').map((login) => login.outcome)).toEqual(
      expect.arrayContaining(['success', 'refused']),
    );
    const asChef = await callRoute(
      overview.loader as Handler,
      await harness.request('/admin', { as: 'chef' }),
      harness.context,
    );
    expect((asChef.data as { breakGlassLogins: unknown }).breakGlassLogins).toBeNull();
  });
});

function first_<T>(rows: T[]): T {
  const row = rows[0];
  if (!row) throw new Error('expected a row');
  return row;
}
