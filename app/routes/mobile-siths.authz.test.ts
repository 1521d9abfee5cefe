import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeMobileReauth, startMobileReauth } from '~/mina-sidor/mobile-siths.server';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import { first } from '../../db/engine';
import { auditEvents, cards, users } from '../../db/schema';
import { demoCards } from '../../db/seed';
import * as enrolmentPage from './mina-sidor.hamta-mobilt-siths';
import * as enrolmentStatus from './mina-sidor.hamta-mobilt-siths.status.$enrolmentId';
import * as mobileLogin from './mina-sidor.logga-in.annan-enhet';
import * as orderStatus from './mina-sidor.mobilt-siths.status.$orderId';
import * as registerApi from './mobilt-siths.api.registrera';
import * as signApi from './mobilt-siths.api.signera';
import * as scanApi from './mobilt-siths.api.skanna';

type Handler = Parameters<typeof callRoute>[0];
type LoginMethod = 'card' | 'mobile_siths' | 'password';

let harness: RouteHarness;
beforeAll(async () => {
  harness = await createRouteHarness();
});
afterAll(async () => {
  await harness.db.close();
});

/** A session cookie of a demo end user, opened the way `loginMethod` opens it. */
async function loggedIn(username: string, loginMethod: LoginMethod) {
  const user = first(await harness.db.select().from(users).where(eq(users.username, username)).limit(1))!;
  const card = (
    await harness.db
      .select()
      .from(cards)
      .where(and(eq(cards.holderPersonId, user.personId!), eq(cards.state, 'active')))
  ).find((candidate) => username !== 'carina' || candidate.serial === demoCards.activeOrdinary)!;
  const session = await harness.context.sessions.create({
    userId: user.id,
    loginMethod,
    loginCredential: loginMethod === 'card' ? card.serial : null,
  });
  const validated = await harness.context.sessions.validateCookieHeader(session.cookie.split(';')[0]);
  return {
    cookie: session.cookie.split(';')[0]!,
    endUser: {
      userId: user.id,
      sessionId: session.sessionId,
      personId: user.personId!,
      displayName: user.displayName,
      loginMethod,
      loginCredential: validated?.loginCredential ?? null,
    },
  };
}

function request(
  path: string,
  options: { cookie?: string; form?: Record<string, string>; json?: unknown } = {},
) {
  const headers = new Headers();
  if (options.cookie) headers.set('Cookie', options.cookie);
  if (options.form) {
    headers.set('Content-Type', 'application/x-www-form-urlencoded');
    return new Request(`http://localhost${path}`, {
      method: 'POST',
      headers,
      body: new URLSearchParams(options.form),
    });
  }
  if (options.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    return new Request(`http://localhost${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(options.json),
    });
  }
  return new Request(`http://localhost${path}`, { headers });
}

/** Starts a login order the way a browser does: the page's loader, which sets the auth-order cookie. */
async function startLoginInBrowser(): Promise<{ orderId: string; cookie: string }> {
  const response = (await mobileLogin.loader({
    request: request('/mina-sidor/logga-in/annan-enhet'),
    context: harness.context,
    params: {},
  })) as Response;
  const { orderId } = (await response.json()) as { orderId: string };
  return { orderId, cookie: response.headers.get('Set-Cookie')!.split(';')[0]! };
}

const refusedAudits = async (action: string) =>
  (
    await harness.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, action), eq(auditEvents.outcome, 'refused')))
  ).length;

describe('login on another device', () => {
  it('starts a login order for an anonymous browser and sends a logged-in user to Mina SITHS eID', async () => {
    const started = await startLoginInBrowser();
    expect(started.cookie).toMatch(/^siths_auth_order=/);
    const { cookie } = await loggedIn('carina', 'card');
    const outcome = await callRoute(
      mobileLogin.loader as Handler,
      request('/mina-sidor/logga-in/annan-enhet', { cookie }),
      harness.context,
    );
    expect(outcome).toMatchObject({ status: 302, location: '/mina-sidor/eid' });
  });

  it('shows the QR code only to the browser that started the order', async () => {
    const { orderId, cookie } = await startLoginInBrowser();
    const path = `/mina-sidor/mobilt-siths/status/${orderId}`;
    const own = await callRoute(orderStatus.loader as Handler, request(path, { cookie }), harness.context, {
      orderId,
    });
    expect(own).toMatchObject({ status: 200, data: { state: 'pending', secondsLeft: 120 } });
    expect((own.data as { qrImage: string }).qrImage).toMatch(/^data:image\/svg\+xml;base64,/);

    const before = await refusedAudits('mobile_order_status');
    const other = await startLoginInBrowser();
    const { cookie: carinasSession } = await loggedIn('carina', 'card');
    for (const foreign of [undefined, other.cookie, carinasSession]) {
      const outcome = await callRoute(
        orderStatus.loader as Handler,
        request(path, { cookie: foreign }),
        harness.context,
        { orderId },
      );
      expect(outcome.status).toBe(404);
    }
    // Folded: one row per client address and reason a minute (issue 11, finding 12).
    expect(await refusedAudits('mobile_order_status')).toBe(before + 1);
  });

  it('does not open a session for an order this browser did not start, or one that is not completed', async () => {
    const mine = await startLoginInBrowser();
    const other = await startLoginInBrowser();
    for (const orderId of [mine.orderId, other.orderId]) {
      const outcome = await callRoute(
        mobileLogin.action as Handler,
        request('/mina-sidor/logga-in/annan-enhet', {
          cookie: mine.cookie,
          form: { intent: 'collect', orderId },
        }),
        harness.context,
      );
      expect(outcome).toMatchObject({ status: 409, data: { error: 'mobile.login.collectFailed' } });
    }
    const bad = await callRoute(
      mobileLogin.action as Handler,
      request('/mina-sidor/logga-in/annan-enhet', {
        cookie: mine.cookie,
        form: { intent: 'collect', orderId: 'x' },
      }),
      harness.context,
    );
    expect(bad.status).toBe(400);
  });
});

describe('re-authentication QR for the unlock page', () => {
  it('is followed and consumed only by the login session that started it, once it is completed', async () => {
    const carina = await loggedIn('carina', 'mobile_siths');
    const olof = await loggedIn('olof', 'card');
    const started = await startMobileReauth(harness.context, carina.endUser);
    expect(started.statusUrl).toBe(`/mina-sidor/mobilt-siths/status/${started.orderId}`);
    const follow = (cookie?: string) =>
      callRoute(orderStatus.loader as Handler, request(started.statusUrl, { cookie }), harness.context, {
        orderId: started.orderId,
      });
    expect((await follow(carina.cookie)).status).toBe(200);
    expect((await follow(olof.cookie)).status).toBe(404);
    expect((await follow((await loggedIn('carina', 'card')).cookie)).status).toBe(404);
    expect((await follow()).status).toBe(404);

    expect(await consumeMobileReauth(harness.context, carina.endUser, started.orderId)).toEqual({
      ok: false,
      reason: 'not_completed',
    });
    expect(await consumeMobileReauth(harness.context, olof.endUser, started.orderId)).toEqual({
      ok: false,
      reason: 'not_found',
    });
  });
});

describe('Hämta Mobilt SITHS', () => {
  const path = '/mina-sidor/hamta-mobilt-siths';

  it('sends anonymous visitors to the start page', async () => {
    for (const handler of [enrolmentPage.loader, enrolmentPage.action]) {
      const outcome = await callRoute(
        handler as Handler,
        request(path, { form: { accept: 'on' } }),
        harness.context,
      );
      expect(outcome).toMatchObject({ status: 302, location: '/mina-sidor' });
    }
  });

  it('needs a card login: Mobile SITHS and password sessions are told so and refused', async () => {
    for (const method of ['mobile_siths', 'password'] as const) {
      const { cookie } = await loggedIn('olof', method);
      const page = await callRoute(
        enrolmentPage.loader as Handler,
        request(path, { cookie }),
        harness.context,
      );
      expect(page).toMatchObject({ status: 200, data: { blocker: 'card_login_required' } });
      const start = await callRoute(
        enrolmentPage.action as Handler,
        request(path, { cookie, form: { accept: 'on' } }),
        harness.context,
      );
      expect(start).toMatchObject({ status: 403, data: { refusal: 'card_login_required' } });
    }
  });

  it('starts an enrolment for a card login that accepted the terms, and shows its state to that session only', async () => {
    const olof = await loggedIn('olof', 'card');
    expect(
      await callRoute(
        enrolmentPage.loader as Handler,
        request(path, { cookie: olof.cookie }),
        harness.context,
      ),
    ).toMatchObject({ status: 200, data: { blocker: null } });
    const notAccepted = await callRoute(
      enrolmentPage.action as Handler,
      request(path, { cookie: olof.cookie, form: {} }),
      harness.context,
    );
    expect(notAccepted).toMatchObject({ status: 400, data: { error: 'mobile.enrol.acceptRequired' } });

    const started = await callRoute(
      enrolmentPage.action as Handler,
      request(path, { cookie: olof.cookie, form: { accept: 'on' } }),
      harness.context,
    );
    expect(started).toMatchObject({ status: 200, data: { ok: true } });
    const { statusUrl, qrContent } = started.data as { statusUrl: string; qrContent: string };
    expect(qrContent).toMatch(/^mobilesiths-enrol\.[A-Za-z0-9_-]{43}$/);
    const enrolmentId = statusUrl.split('/').at(-1)!;
    const status = (cookie?: string) =>
      callRoute(enrolmentStatus.loader as Handler, request(statusUrl, { cookie }), harness.context, {
        enrolmentId,
      });
    expect(await status(olof.cookie)).toMatchObject({ status: 200, data: { state: 'waiting' } });
    expect((await status((await loggedIn('carina', 'card')).cookie)).status).toBe(404);
    expect((await status((await loggedIn('olof', 'card')).cookie)).status).toBe(404);
    expect(await status()).toMatchObject({ status: 302, location: '/mina-sidor' });
  });
});

describe('phone simulator APIs', () => {
  const apis: Array<[string, { action: unknown; loader: unknown }]> = [
    ['/mobilt-siths/api/skanna', scanApi],
    ['/mobilt-siths/api/signera', signApi],
    ['/mobilt-siths/api/registrera', registerApi],
  ];

  it('answer only POST', async () => {
    for (const [path, api] of apis) {
      expect((await callRoute(api.loader as Handler, request(path), harness.context)).status).toBe(405);
    }
  });

  it('refuse and audit bodies that are not the expected JSON, in Swedish', async () => {
    const actions = ['mobile_siths_scan', 'login_mobile_siths', 'mobile_enrol'];
    const before: Record<string, number> = {};
    for (const action of actions) before[action] = await refusedAudits(action);
    for (const [path, api] of apis) {
      for (const bad of [
        request(path, { form: { qrContent: 'x' } }),
        request(path, { json: { unexpected: true } }),
        request(path, { json: 'x'.repeat(10_000) }),
      ]) {
        const outcome = await callRoute(api.action as Handler, bad, harness.context);
        expect(outcome).toMatchObject({
          status: 400,
          data: {
            ok: false,
            refusal: 'invalid_input',
            message: 'Uppgifterna kunde inte läsas. Försök igen.',
          },
        });
      }
    }
    // Folded: at most one row per client address and reason a minute (issue 11, finding 12).
    for (const action of actions) {
      expect(await refusedAudits(action)).toBeGreaterThanOrEqual(1);
      expect(await refusedAudits(action)).toBeLessThanOrEqual(before[action]! + 1);
    }
  });

  it('refuse a login QR code from a phone without Mobile SITHS, and junk that is no QR code of ours', async () => {
    const { orderId, cookie } = await startLoginInBrowser();
    const status = await callRoute(
      orderStatus.loader as Handler,
      request(`/mina-sidor/mobilt-siths/status/${orderId}`, { cookie }),
      harness.context,
      { orderId },
    );
    const { qrContent } = status.data as { qrContent: string };
    const noDevice = await callRoute(
      scanApi.action as Handler,
      request('/mobilt-siths/api/skanna', { json: { qrContent } }),
      harness.context,
    );
    expect(noDevice).toMatchObject({ status: 404, data: { refusal: 'unknown_device' } });
    const junk = await callRoute(
      scanApi.action as Handler,
      request('/mobilt-siths/api/skanna', { json: { qrContent: 'https://example.org', deviceId: orderId } }),
      harness.context,
    );
    expect(junk).toMatchObject({ status: 403, data: { refusal: 'invalid_qr' } });
  });
});
