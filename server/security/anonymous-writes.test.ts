import { randomUUID } from 'node:crypto';
import type { AppLoadContext } from '@remix-run/node';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { translator } from '~/i18n/catalogue';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import * as enrolmentStatus from '../../app/routes/mina-sidor.hamta-mobilt-siths.status.$enrolmentId';
import * as cardOrderStatus from '../../app/routes/mina-sidor.kortorder.$orderId';
import * as mobileLogin from '../../app/routes/mina-sidor.logga-in.annan-enhet';
import * as cardLogin from '../../app/routes/mina-sidor.logga-in.denna-enhet';
import * as mobileOrderStatus from '../../app/routes/mina-sidor.mobilt-siths.status.$orderId';
import { first } from '../../db/engine';
import { auditEvents, authOrders } from '../../db/schema';
import { AnonymousLimits, anonymousStartLimit } from '../auth/anonymous-limits';

/**
 * Finding 12 of issue 11: every anonymous GET of the Mobile SITHS login page created an auth order, and
 * every poll of an unknown order id wrote an audit row, so one client could grow the database without
 * limit. Now a browser reuses its open order, one address starts at most ten a minute (then 429 "För många
 * försök"), and repeated refusals are folded to one audit row per address and reason a minute.
 */
let harness: RouteHarness;
let addressCounter = 0;
beforeEach(async () => {
  harness ??= await createRouteHarness();
});
afterAll(() => harness?.db.close());

const fromAddress = (): AppLoadContext => ({
  ...harness.context,
  clientAddress: `198.51.100.${++addressCounter}`,
});
const authOrderRows = async () => first(await harness.db.select({ n: count() }).from(authOrders).limit(1))!.n;
const auditRows = async () => first(await harness.db.select({ n: count() }).from(auditEvents).limit(1))!.n;
const get = (path: string, cookie?: string) =>
  new Request(`http://localhost${path}`, cookie ? { headers: { Cookie: cookie } } : {});

async function getLoginPage(context: AppLoadContext, cookie?: string) {
  const result = await mobileLogin.loader({
    request: get('/mina-sidor/logga-in/annan-enhet', cookie),
    context,
    params: {},
  });
  return {
    status: result.status,
    cookie: result.headers.get('Set-Cookie')?.split(';')[0],
    retryAfter: result.headers.get('Retry-After'),
    data: (await result.json()) as { orderId?: string; tooManyStarts?: true; retryAfterSeconds?: number },
  };
}

describe('the Mobile SITHS login page', () => {
  it('reuses the browser’s open order on every reload: one order, one row', async () => {
    const context = fromAddress();
    const before = await authOrderRows();
    const first = await getLoginPage(context);
    expect(first.status).toBe(200);
    for (let index = 0; index < 30; index++) {
      const again = await getLoginPage(context, first.cookie);
      expect(again.data.orderId).toBe(first.data.orderId);
    }
    expect(await authOrderRows()).toBe(before + 1);
  });

  it('starts at most ten orders a minute for a client that keeps no cookie, then answers 429 in Swedish', async () => {
    const context = fromAddress();
    const before = await authOrderRows();
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof getLoginPage>> | undefined;
    for (let index = 0; index < 100; index++) {
      const page = await getLoginPage(context);
      statuses.push(page.status);
      if (page.status === 429) refused = page;
    }
    expect(await authOrderRows()).toBe(before + anonymousStartLimit.perWindow);
    expect(statuses.filter((status) => status === 429)).toHaveLength(100 - anonymousStartLimit.perWindow);
    expect(refused?.data).toMatchObject({ tooManyStarts: true });
    expect(Number(refused?.retryAfter)).toBeGreaterThan(0);
    expect(translator('sv')('mina.tooManyStarts')).toMatch(/^För många försök.*Vänta \{seconds\} sekunder/);
    // Another address is not affected.
    expect((await getLoginPage(fromAddress())).status).toBe(200);
  });

  it('lets the address start again once the minute has passed', async () => {
    const limits = new AnonymousLimits();
    for (let index = 0; index < 10; index++)
      expect(await limits.takeStart('10.0.0.1', 1_000 + index)).toEqual({ ok: true });
    expect(await limits.takeStart('10.0.0.1', 2_000)).toEqual({ ok: false, retryAfterSeconds: 59 });
    expect(await limits.takeStart('10.0.0.1', 61_001)).toEqual({ ok: true });
  });

  it('forgets the least recently seen addresses beyond its bound', async () => {
    const limits = new AnonymousLimits({ perWindow: 1, windowMs: 60_000, maxAddresses: 2 });
    expect((await limits.takeStart('10.0.0.1', 0)).ok).toBe(true);
    expect((await limits.takeStart('10.0.0.2', 0)).ok).toBe(true);
    expect((await limits.takeStart('10.0.0.3', 0)).ok).toBe(true);
    expect((await limits.takeStart('10.0.0.3', 1)).ok).toBe(false);
    expect((await limits.takeStart('10.0.0.1', 1)).ok).toBe(true);
  });
});

describe('card login on this computer', () => {
  it('starts at most ten orders a minute per address', async () => {
    const context = fromAddress();
    const before = await authOrderRows();
    const statuses: number[] = [];
    for (let index = 0; index < 30; index++) {
      const outcome = await callRoute(
        cardLogin.action,
        await harness.request('/mina-sidor/logga-in/denna-enhet', { form: { intent: 'start' } }),
        context,
      );
      statuses.push(outcome.status);
    }
    expect(await authOrderRows()).toBe(before + anonymousStartLimit.perWindow);
    expect(statuses.filter((status) => status === 429)).toHaveLength(30 - anonymousStartLimit.perWindow);
  });
});

describe('polling ids that are not yours', () => {
  it('writes one audit row per address and reason a minute, however often an unknown Mobile SITHS order is polled', async () => {
    const context = fromAddress();
    const before = await auditRows();
    for (let index = 0; index < 200; index++) {
      const orderId = index % 2 ? randomUUID() : 'not-a-uuid';
      const outcome = await callRoute(
        mobileOrderStatus.loader,
        get(`/mina-sidor/mobilt-siths/status/${orderId}`),
        context,
        { orderId },
      );
      expect(outcome.status).toBe(404);
    }
    expect(await auditRows()).toBe(before + 2);
  });

  it('writes nothing for unknown card orders, and one row a minute for unknown enrolments', async () => {
    const context = fromAddress();
    const before = await auditRows();
    for (let index = 0; index < 100; index++) {
      const orderId = randomUUID();
      const card = await callRoute(cardOrderStatus.loader, get(`/mina-sidor/kortorder/${orderId}`), context, {
        orderId,
      });
      expect(card.status).toBe(404);
    }
    expect(await auditRows()).toBe(before);
    const olof = await harness.request('/mina-sidor/hamta-mobilt-siths/status/x', { as: 'olof' });
    for (let index = 0; index < 100; index++) {
      const enrolmentId = randomUUID();
      const outcome = await callRoute(enrolmentStatus.loader, olof, context, { enrolmentId });
      expect(outcome.status).toBe(404);
    }
    expect(await auditRows()).toBe(before + 1);
    const refusals = (
      await harness.db.select().from(auditEvents).where(eq(auditEvents.action, 'mobile_enrol_status'))
    ).filter((event) => event.detail?.clientAddress === context.clientAddress);
    expect(refusals).toHaveLength(1);
  });
});
