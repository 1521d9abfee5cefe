import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { translator } from '~/i18n/catalogue';
import { en } from '~/i18n/en';
import { sv } from '~/i18n/sv';
import type { CardOrderStatus } from '~/mina-sidor/card-order.server';
import { cardOrderTextKey, jobErrorKey } from '~/mina-sidor/card-order-text';
import { authOrderCookieHeader } from '~/mina-sidor/end-user.server';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import { openAgentSession, registerAgent } from '../../db/agents';
import {
  completeAuthOrder,
  createAuthOrder,
  failAuthOrder,
  findAuthOrder,
  markAuthOrderScanned,
} from '../../db/auth-orders';
import { first } from '../../db/engine';
import { createJob, createStepStore, findJob, finishJob, markJobRunning } from '../../db/jobs';
import { auditEvents, users } from '../../db/schema';
import { jobErrorCodes, progressAfter, type StepReport } from '../../protocol/jobs';
import * as orderRoute from './mina-sidor.kortorder.$orderId';

type Handler = Parameters<typeof callRoute>[0];
const t = translator('sv');

let harness: RouteHarness;
let agentId: string;
let agentSessionId: string;
beforeAll(async () => {
  harness = await createRouteHarness();
  agentId = await registerAgent(harness.db, { name: 'Kortläsardator', deviceToken: 'card-order-test-token' });
  agentSessionId = await openAgentSession(harness.db, { agentId, remoteAddress: null, at: new Date() });
});
afterAll(async () => {
  await harness.db.close();
});

/** A Mina sidor card order this browser started (its cookie), for the logged-in session `sessionId`. */
async function startOrder(options: { sessionId?: string; personId?: string } = {}) {
  const started = await createAuthOrder(
    harness.db,
    {
      purpose: 'activate',
      method: 'card',
      expectedPersonId: options.personId ?? null,
      cardId: null,
      sessionId: options.sessionId ?? null,
      remoteAddress: '127.0.0.1',
      ttlMs: 15 * 60_000,
    },
    new Date(),
  );
  const cookie = (await authOrderCookieHeader(started.orderId, started.collectSecret)).split(';')[0]!;
  return { orderId: started.orderId, cookie };
}

/** The app took the order: its activation job exists, queued on the agent. */
async function takenByApp(orderId: string) {
  await markAuthOrderScanned(harness.db, orderId, { agentId });
  return await createJob(
    harness.db,
    {
      kind: 'activate',
      agentId,
      agentSessionId,
      readerName: null,
      cardSerial: null,
      personId: null,
      createdByUserId: null,
      createdBySessionId: null,
      authOrderId: orderId,
    },
    new Date(),
  );
}

let sequence = 0;
async function report(jobId: string, step: StepReport['step'], status: StepReport['status']) {
  sequence += 1;
  await createStepStore(harness.db).append(
    [
      {
        jobId,
        sequence,
        step,
        status,
        at: Date.now(),
        progress: status === 'succeeded' ? progressAfter('activate', step as 'card_read') : 0,
      },
    ],
    new Date(),
  );
}

function request(path: string, cookie: string[], form?: Record<string, string>) {
  const headers = new Headers({ Cookie: cookie.join('; ') });
  if (!form) return new Request(`http://localhost${path}`, { headers });
  headers.set('Content-Type', 'application/x-www-form-urlencoded');
  return new Request(`http://localhost${path}`, { method: 'POST', headers, body: new URLSearchParams(form) });
}

async function polledStatus(orderId: string, cookie: string): Promise<CardOrderStatus> {
  const outcome = await callRoute(
    orderRoute.loader as Handler,
    request(`/mina-sidor/kortorder/${orderId}`, [cookie]),
    harness.context,
    { orderId },
  );
  expect(outcome.status).toBe(200);
  return outcome.data as CardOrderStatus;
}

const shown = (status: CardOrderStatus) => t(cardOrderTextKey(status));

describe('why a card job was refused, in words the user can act on', () => {
  it('has a Swedish and an English text of its own for every job error code', () => {
    for (const code of jobErrorCodes) {
      const key = jobErrorKey(code);
      expect(key, code).toBe(`mina.jobError.${code}`);
      expect(sv[key].length, code).toBeGreaterThan(10);
      expect(en[key].length, code).toBeGreaterThan(10);
    }
  });

  it('shows "Flera kort i läsarna" when the job failed with several_cards', async () => {
    const { orderId, cookie } = await startOrder();
    const jobId = await takenByApp(orderId);
    const error = { code: 'several_cards' as const, message: 'two usable cards' };
    await finishJob(harness.db, jobId, { state: 'failed', error }, new Date());
    await failAuthOrder(harness.db, orderId, error, new Date());
    const status = await polledStatus(orderId, cookie);
    expect(status).toMatchObject({ phase: 'failed', stage: 'failed', errorCode: 'several_cards' });
    expect(shown(status)).toBe('Flera kort i läsarna. Ta ut de kort du inte ska använda.');
  });
});

describe('the status the page polls follows the job', () => {
  it('says Startar only until the app has the order, then where the job is, then done', async () => {
    const { orderId, cookie } = await startOrder();
    expect(shown(await polledStatus(orderId, cookie))).toBe('Startar SITHS eID-appen på den här datorn …');

    const jobId = await takenByApp(orderId);
    expect(await polledStatus(orderId, cookie)).toMatchObject({ stage: 'waiting_for_app', progress: 0 });
    expect(shown(await polledStatus(orderId, cookie))).toBe('Väntar på SITHS eID-appen');

    await markJobRunning(harness.db, jobId, new Date(), new Date(Date.now() + 60_000));
    await report(jobId, 'reader_found', 'succeeded');
    await report(jobId, 'card_present', 'succeeded');
    await report(jobId, 'card_read', 'succeeded');
    await report(jobId, 'waiting_for_user', 'started');
    const asking = await polledStatus(orderId, cookie);
    expect(asking).toMatchObject({ phase: 'running', stage: 'waiting_for_code', kind: 'activate' });
    expect(asking.progress).toBeGreaterThan(0);
    expect(shown(asking)).toBe('Ange koden i SITHS eID-appen');

    await report(jobId, 'waiting_for_user', 'succeeded');
    await report(jobId, 'keys_generated', 'started');
    const working = await polledStatus(orderId, cookie);
    expect(working).toMatchObject({ stage: 'working', step: 'keys_generated' });
    expect(shown(working)).toBe('Förbereder hämtningen av SITHS eID');

    await finishJob(harness.db, jobId, { state: 'succeeded' }, new Date());
    await completeAuthOrder(harness.db, orderId, { personId: await carinaPersonId() }, new Date());
    const done = await polledStatus(orderId, cookie);
    expect(done).toMatchObject({ phase: 'completed', stage: 'done', progress: 100 });
    expect(shown(done)).toBe('Klart.');
  });
});

async function carinaPersonId() {
  return first(await harness.db.select().from(users).where(eq(users.username, 'carina')).limit(1))!.personId!;
}

async function sessionOf(username: string) {
  const user = first(await harness.db.select().from(users).where(eq(users.username, username)).limit(1))!;
  const session = await harness.context.sessions.create({ userId: user.id, loginMethod: 'card' });
  return { cookie: session.cookie.split(';')[0]!, sessionId: session.sessionId, personId: user.personId! };
}

const cancelRefusals = async () =>
  (
    await harness.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'card_order_cancel'), eq(auditEvents.outcome, 'refused')))
  ).length;

describe('AVBRYT: cancelling a card order from Mina sidor', () => {
  it('cancels the own order and its running job, and the page says so', async () => {
    const carina = await sessionOf('carina');
    const { orderId, cookie } = await startOrder({ sessionId: carina.sessionId, personId: carina.personId });
    const jobId = await takenByApp(orderId);
    await markJobRunning(harness.db, jobId, new Date(), new Date(Date.now() + 60_000));
    const outcome = await callRoute(
      orderRoute.action as Handler,
      request(`/mina-sidor/kortorder/${orderId}`, [cookie, carina.cookie], { intent: 'cancel' }),
      harness.context,
      { orderId },
    );
    expect(outcome.status).toBe(200);
    expect(outcome.data).toMatchObject({ phase: 'failed', stage: 'failed', errorCode: 'user_cancelled' });
    expect(shown(outcome.data as CardOrderStatus)).toBe('Avbrutet. Du kan börja om när du vill.');
    expect((await findAuthOrder(harness.db, orderId))?.state).toBe('cancelled');
    // The user cancelled it, not support: the job row and support's view say so.
    expect(await findJob(harness.db, jobId)).toMatchObject({
      state: 'cancelled',
      errorCode: 'user_cancelled',
    });
  });

  it("refuses another browser's order (404) and another login's (403), in Swedish, audited", async () => {
    const carina = await sessionOf('carina');
    const other = await sessionOf('kontakt');
    const { orderId, cookie } = await startOrder({ sessionId: carina.sessionId, personId: carina.personId });
    const mine = await startOrder();
    const before = await cancelRefusals();

    const otherBrowser = await callRoute(
      orderRoute.action as Handler,
      request(`/mina-sidor/kortorder/${orderId}`, [mine.cookie, other.cookie], { intent: 'cancel' }),
      harness.context,
      { orderId },
    );
    expect(otherBrowser).toMatchObject({
      status: 404,
      data: { message: 'Ärendet finns inte eller hör inte till den här webbläsaren.' },
    });

    const otherLogin = await callRoute(
      orderRoute.action as Handler,
      request(`/mina-sidor/kortorder/${orderId}`, [cookie, other.cookie], { intent: 'cancel' }),
      harness.context,
      { orderId },
    );
    expect(otherLogin).toMatchObject({
      status: 403,
      data: { message: 'Ärendet finns inte eller hör inte till den här webbläsaren.' },
    });
    expect(await cancelRefusals()).toBe(before + 2);
    expect((await findAuthOrder(harness.db, orderId))?.state).toBe('pending');
  });
});
