import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthOrder } from '../../db/auth-orders';
import { registerCardEids } from '../../db/eids';
import { first } from '../../db/engine';
import { authOrders, cards, jobs } from '../../db/schema';
import type { SequenceAck } from '../../protocol/agent-events';
import { signedChallenge } from '../../protocol/card-exchange';
import type { StepReport } from '../../protocol/jobs';
import type { JobAck, JobView } from '../../protocol/support-events';
import { addCardHolder } from '../testing/card-holder';
import { addAgent, addStaffSession, startTestServer, type TestServer } from '../testing/test-server';
import { TestSockets } from '../testing/test-sockets';

/**
 * Finding 1 of issue 11: the agent's word never names the card whose state changes. A serial the agent
 * reports is shown as reported, never stored as the job's card; `pin_blocked` locks a card only when the
 * server assigned its serial to the job or the card proved itself with its own key during the job.
 */
const token = 'serial-trust-agent-token-0001';
const readerName = 'Virtual PCD 00 00';
const victimSerial = '9752000000000000042';

let testServer: TestServer;
let personId: string;
const sockets = new TestSockets(() => testServer.url);

beforeEach(async () => {
  testServer = await startTestServer();
  await addAgent(testServer.db, token);
  ({ personId } = await addCardHolder(testServer.db, victimSerial));
});

afterEach(async () => {
  sockets.closeAll();
  await testServer.stop();
});

async function agent() {
  const { socket, offers, call } = await sockets.openAgent(token);
  /** What a compromised agent says: "the card in the reader is <victim>, and its PIN is now blocked". */
  const claimPinBlocked = async (jobId: string, from = 1) => {
    expect(
      await call<SequenceAck>('job:step', {
        jobId,
        sequence: from,
        step: 'card_read',
        status: 'succeeded',
        at: Date.now(),
        progress: 30,
        card: { readerName, cardSerial: victimSerial, pinTriesLeft: 0 },
      } satisfies StepReport),
    ).toMatchObject({ ok: true });
    return call<SequenceAck>('job:finished', {
      jobId,
      sequence: from + 1,
      state: 'failed',
      at: Date.now(),
      error: { code: 'pin_blocked', message: 'PIN-koden är spärrad' },
    });
  };
  const agentSessionId = testServer.server.services.agentRegistry.list().at(-1)!.agentSessionId;
  return { socket, offers, call, claimPinBlocked, agentSessionId };
}

async function loginJob(connection: Awaited<ReturnType<typeof agent>>) {
  const order = await createAuthOrder(
    testServer.db,
    { purpose: 'login', method: 'card', ttlMs: 60_000 },
    new Date(),
  );
  const ack = await connection.call<{ ok: boolean; jobId: string }>('agent:autostart', {
    autoStartToken: order.autoStartToken,
  });
  expect(ack).toMatchObject({ ok: true });
  return { jobId: ack.jobId, challenge: order.challenge };
}

const victimState = async () =>
  first(await testServer.db.select().from(cards).where(eq(cards.serial, victimSerial)).limit(1))!.state;
const jobRow = async (jobId: string) =>
  first(await testServer.db.select().from(jobs).where(eq(jobs.id, jobId)).limit(1))!;

/** A registered eID on the victim card whose private key this test holds, as the real card would. */
async function victimCardKey(): Promise<{ certificate: Buffer; privateKey: KeyObject }> {
  const pair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const authentication = pair();
  const { pki } = testServer.server.services;
  const certificates = await pki.issueCardCertificates({
    holder: {
      hsaId: 'SE2321000131-P000000000042',
      givenName: 'Åsa',
      surname: 'Öberg',
      personalIdentityNumber: null,
      email: null,
      organisation: 'Region',
    },
    cardSerial: victimSerial,
    trustLevel: 3,
    keys: {
      authentication: authentication.publicKey,
      signature: pair().publicKey,
      cardAuthentication: pair().publicKey,
    },
    validTo: new Date('2031-01-01T00:00:00Z'),
  });
  const card = first(
    await testServer.db.select().from(cards).where(eq(cards.serial, victimSerial)).limit(1),
  )!;
  await registerCardEids(testServer.db, { personId, cardId: card.id, trustLevel: 3, certificates });
  return { certificate: certificates.authentication.der, privateKey: authentication.privateKey };
}

describe('the card serial an agent reports', () => {
  it('does not lock a card after a support card check in which the agent names it', async () => {
    const connection = await agent();
    const { cookieHeader } = await addStaffSession(testServer, 'support');
    const support = await sockets.open('/support', {}, cookieHeader);
    const updates: JobView[] = [];
    support.on('job:updated', (view: JobView) => updates.push(view));
    const started = (await support.timeout(5_000).emitWithAck('support:start-card-check', {
      agentSessionId: connection.agentSessionId,
      readerName,
    })) as JobAck;
    const jobId = (started as { jobId: string }).jobId;
    expect(await connection.claimPinBlocked(jobId)).toMatchObject({ ok: true });
    expect(await victimState()).toBe('active');
    expect(await jobRow(jobId)).toMatchObject({
      cardSerial: null,
      provenCardSerial: null,
      errorCode: 'pin_blocked',
    });
    const ended = updates.filter((view) => view.jobId === jobId).at(-1);
    expect(ended).toMatchObject({ cardSerial: null, reportedCardSerial: victimSerial });
  });

  it('does not lock a card after a login job in which the agent names it without the card’s proof', async () => {
    const connection = await agent();
    const { jobId } = await loginJob(connection);
    expect(await connection.claimPinBlocked(jobId)).toMatchObject({ ok: true });
    expect(await victimState()).toBe('active');
    expect(await jobRow(jobId)).toMatchObject({ cardSerial: null, provenCardSerial: null });
  });

  it('locks the card that proved itself with its own key in the job', async () => {
    const { certificate, privateKey } = await victimCardKey();
    const connection = await agent();
    const { jobId, challenge } = await loginJob(connection);
    const signature = sign('sha256', signedChallenge('sign_in', jobId, challenge), privateKey);
    const answer = await connection.call('job:exchange', {
      type: 'sign_in',
      jobId,
      certificate: certificate.toString('base64'),
      signature: signature.toString('base64'),
    });
    expect(answer).toEqual({ ok: true });
    expect(await jobRow(jobId)).toMatchObject({ cardSerial: null, provenCardSerial: victimSerial });
    expect(await connection.claimPinBlocked(jobId)).toMatchObject({ ok: true });
    expect(await victimState()).toBe('locked');
  });

  it('does not mark a card unlocked when the agent reports the unlock done without the card’s proof', async () => {
    const card = first(
      await testServer.db.select().from(cards).where(eq(cards.serial, victimSerial)).limit(1),
    )!;
    await testServer.db.update(cards).set({ state: 'locked' }).where(eq(cards.id, card.id));
    const connection = await agent();
    const order = await createAuthOrder(
      testServer.db,
      { purpose: 'unlock', method: 'card', cardId: card.id, expectedPersonId: personId, ttlMs: 60_000 },
      new Date(),
    );
    const ack = await connection.call<{ ok: boolean; jobId: string }>('agent:autostart', {
      autoStartToken: order.autoStartToken,
    });
    expect(ack).toMatchObject({ ok: true });
    expect(
      await connection.call('job:finished', {
        jobId: ack.jobId,
        sequence: 1,
        state: 'succeeded',
        at: Date.now(),
      }),
    ).toMatchObject({ ok: true });
    expect(await victimState()).toBe('locked');
    const orderRow = first(
      await testServer.db.select().from(authOrders).where(eq(authOrders.id, order.orderId)).limit(1),
    )!;
    expect(orderRow.state).not.toBe('completed');
  });
});
