import { constants, generateKeyPairSync, type KeyObject, sign, verify, X509Certificate } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cancelAuthOrder, createAuthOrder, findAuthOrder } from '../../db/auth-orders';
import { findCardForCertificates, registerCardEids } from '../../db/eids';
import { first } from '../../db/engine';
import { revokeEid } from '../../db/revocations';
import { auditEvents, authOrders, cards, jobs, users } from '../../db/schema';
import type { SequenceAck } from '../../protocol/agent-events';
import { signedChallenge } from '../../protocol/card-exchange';
import type { JobOffer } from '../../protocol/jobs';
import { addCardHolder } from '../testing/card-holder';
import { addAgent, addStaffSession, startTestServer, type TestServer } from '../testing/test-server';
import { TestSockets } from '../testing/test-sockets';

/**
 * A decision signed with the card: the agent claims a sign_decision order, is offered its statement, and
 * sign_statement completes the order only with the decider's own signature certificate (9C) whose key signed
 * the statement the server stored. The agent here is a socket client holding the card's keys.
 */
const token = 'sign-decision-agent-token-000001';
const deciderSerial = '9752000000000000101';
const otherSerial = '9752000000000000102';

let testServer: TestServer;
const sockets = new TestSockets(() => testServer.url);

beforeEach(async () => {
  testServer = await startTestServer();
  await addAgent(testServer.db, token);
});

afterEach(async () => {
  sockets.closeAll();
  await testServer.stop();
});

interface CardKey {
  certificate: Buffer;
  key: KeyObject;
}

/** A card holder's card with registered eIDs; this test holds the private keys as the card would. */
async function cardWithKeys(serial: string, signatureKey: 'rsa' | 'ec' = 'rsa') {
  const { personId } = await addCardHolder(testServer.db, serial);
  const ec = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const authentication = ec();
  const signature = signatureKey === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : ec();
  const card = (await findCardForCertificates(testServer.db, serial))!;
  const certificates = await testServer.server.services.pki.issueCardCertificates({
    holder: card.holder!,
    cardSerial: serial,
    trustLevel: 3,
    keys: {
      authentication: authentication.publicKey,
      signature: signature.publicKey,
      cardAuthentication: ec().publicKey,
    },
    validTo: new Date('2031-01-01T00:00:00Z'),
  });
  const eidIds = await registerCardEids(testServer.db, {
    personId,
    cardId: card.id,
    trustLevel: 3,
    certificates,
  });
  return {
    personId,
    cardId: card.id,
    signatureEidId: eidIds.signature,
    authentication: { certificate: certificates.authentication.der, key: authentication.privateKey },
    signature: { certificate: certificates.signature.der, key: signature.privateKey },
  };
}

const statementOf = (orderId: string) =>
  `Jag godkänner beställningen av reservkort (tillitsnivå 3) för Åsa Öberg.\nReferens: ${orderId}`;

/** Mina sidor starts the order; the agent claims it with the start token and gets the offer. */
async function claimedOrder(decider: string | null, purpose: 'sign_decision' | 'login' = 'sign_decision') {
  const order = await createAuthOrder(
    testServer.db,
    {
      purpose,
      method: 'card',
      expectedPersonId: decider,
      ttlMs: 60_000,
      ...(purpose === 'sign_decision' ? { statementFor: statementOf } : {}),
    },
    new Date(),
  );
  const agent = await sockets.openAgent(token);
  const ack = await agent.call<{ ok: boolean; jobId: string }>('agent:autostart', {
    autoStartToken: order.autoStartToken,
  });
  expect(ack).toMatchObject({ ok: true });
  const offer = await until(() => agent.offers.find((candidate) => candidate.jobId === ack.jobId));
  return { orderId: order.orderId, challenge: order.challenge, jobId: ack.jobId, offer, agent };
}
type Claimed = Awaited<ReturnType<typeof claimedOrder>>;

/** RSA PKCS#1 v1.5, or ECDSA r || s, over `text` (the offer's statement unless a test says otherwise). */
function signText(key: KeyObject, text: string, ecdsaEncoding: 'ieee-p1363' | 'der' = 'ieee-p1363') {
  const options =
    key.asymmetricKeyType === 'rsa'
      ? { key, padding: constants.RSA_PKCS1_PADDING }
      : { key, dsaEncoding: ecdsaEncoding };
  return sign('sha256', Buffer.from(text, 'utf8'), options);
}

function signStatement(
  claimed: Claimed,
  key: CardKey,
  signature = signText(key.key, claimed.offer.statement!),
) {
  return claimed.agent.call<Record<string, unknown>>('job:exchange', {
    type: 'sign_statement',
    jobId: claimed.jobId,
    certificate: key.certificate.toString('base64'),
    signature: signature.toString('base64'),
  });
}

const orderRow = async (orderId: string) => (await findAuthOrder(testServer.db, orderId))!;
const jobRow = async (jobId: string) =>
  first(await testServer.db.select().from(jobs).where(eq(jobs.id, jobId)).limit(1))!;
const refusalAudit = async (jobId: string) =>
  testServer.db
    .select({ action: auditEvents.action, outcome: auditEvents.outcome, detail: auditEvents.detail })
    .from(auditEvents)
    .where(and(eq(auditEvents.objectType, 'job'), eq(auditEvents.objectId, jobId)));

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('a decision signed with the card', () => {
  it('offers the order’s statement to the agent, with the decider as the job’s person and user', async () => {
    const decider = await cardWithKeys(deciderSerial);
    const claimed = await claimedOrder(decider.personId);
    expect(claimed.offer).toMatchObject({
      kind: 'authenticate',
      purpose: 'sign_decision',
      statement: statementOf(claimed.orderId),
      challenge: claimed.challenge,
    } satisfies Partial<JobOffer>);
    const user = first(
      await testServer.db.select().from(users).where(eq(users.personId, decider.personId)).limit(1),
    )!;
    expect(await jobRow(claimed.jobId)).toMatchObject({
      kind: 'authenticate',
      personId: decider.personId,
      createdByUserId: user.id,
      authOrderId: claimed.orderId,
    });
  });

  it('completes the order with the decider, the card and a signature over the statement that verifies alone', async () => {
    const decider = await cardWithKeys(deciderSerial);
    const claimed = await claimedOrder(decider.personId);
    expect(await signStatement(claimed, decider.signature)).toEqual({ ok: true });
    const order = await orderRow(claimed.orderId);
    expect(order).toMatchObject({
      state: 'completed',
      personId: decider.personId,
      cardSerial: deciderSerial,
      signerCertificate: decider.signature.certificate.toString('base64'),
    });
    const publicKey = new X509Certificate(Buffer.from(order.signerCertificate!, 'base64')).publicKey;
    const rsa = { key: publicKey, padding: constants.RSA_PKCS1_PADDING };
    const bytes = Buffer.from(order.statement!, 'utf8');
    expect(verify('sha256', bytes, rsa, Buffer.from(order.signature!, 'base64'))).toBe(true);
    expect((await jobRow(claimed.jobId)).provenCardSerial).toBe(deciderSerial);
    expect(await refusalAudit(claimed.jobId)).toEqual([]);
  });

  it('takes a P-256 signature key’s signature as r || s, not as DER', async () => {
    const decider = await cardWithKeys(deciderSerial, 'ec');
    const claimed = await claimedOrder(decider.personId);
    const der = signText(decider.signature.key, claimed.offer.statement!, 'der');
    expect(await signStatement(claimed, decider.signature, der)).toMatchObject({
      ok: false,
      code: 'card_not_authentic',
    });
    expect(await signStatement(claimed, decider.signature)).toEqual({ ok: true });
    expect((await orderRow(claimed.orderId)).state).toBe('completed');
  });
});

describe('a statement signature refused', () => {
  it('when it is over another text than the order’s statement (changed after the offer), audited', async () => {
    const decider = await cardWithKeys(deciderSerial);
    const claimed = await claimedOrder(decider.personId);
    await testServer.db
      .update(authOrders)
      .set({ statement: `${claimed.offer.statement} Och allt annat.` })
      .where(eq(authOrders.id, claimed.orderId));
    expect(await signStatement(claimed, decider.signature)).toEqual({
      ok: false,
      code: 'card_not_authentic',
      message: 'Underskriften gäller inte beslutets text. Börja om.',
    });
    expect(await orderRow(claimed.orderId)).toMatchObject({ state: 'scanned', signature: null });
    expect(await refusalAudit(claimed.jobId)).toEqual([
      {
        action: 'card_sign_statement',
        outcome: 'refused',
        detail: expect.objectContaining({ reason: 'card_not_authentic', kind: 'authenticate' }),
      },
    ]);
  });

  it('when the certificate is the authentication one (9A), though its key signed the statement', async () => {
    const decider = await cardWithKeys(deciderSerial);
    const claimed = await claimedOrder(decider.personId);
    expect(await signStatement(claimed, decider.authentication)).toEqual({
      ok: false,
      code: 'certificate_rejected',
      message: 'Beslutet måste undertecknas med kortets SITHS eID för underskrift.',
    });
    expect((await orderRow(claimed.orderId)).state).toBe('scanned');
  });

  it('when the signature certificate is another person’s', async () => {
    const decider = await cardWithKeys(deciderSerial);
    const other = await cardWithKeys(otherSerial);
    const claimed = await claimedOrder(decider.personId);
    expect(await signStatement(claimed, other.signature)).toEqual({
      ok: false,
      code: 'wrong_card',
      message: 'Kortet tillhör inte den som ska underteckna beslutet.',
    });
    expect((await orderRow(claimed.orderId)).state).toBe('scanned');
  });

  it('when the signature eID is revoked, or the card is not active', async () => {
    const decider = await cardWithKeys(deciderSerial);
    const { userId } = await addStaffSession(testServer, 'id_admin');
    const locked = await claimedOrder(decider.personId);
    await testServer.db.update(cards).set({ state: 'locked' }).where(eq(cards.id, decider.cardId));
    expect(await signStatement(locked, decider.signature)).toEqual({
      ok: false,
      code: 'card_not_active',
      message: 'Kortet är inte aktivt och kan inte användas för underskrift.',
    });

    await testServer.db.update(cards).set({ state: 'active' }).where(eq(cards.id, decider.cardId));
    const revoked = await revokeEid(testServer.db, {
      eidId: decider.signatureEidId,
      reason: 'lost',
      actor: { userId, label: 'ID-administratör' },
    });
    expect(revoked).toMatchObject({ ok: true });
    expect(await signStatement(locked, decider.signature)).toEqual({
      ok: false,
      code: 'card_not_active',
      message: 'Kortet är spärrat och kan inte användas.',
    });
    expect((await orderRow(locked.orderId)).state).toBe('scanned');
  });

  it('for an order that is not a sign_decision, and a sign_in for one that is', async () => {
    const decider = await cardWithKeys(deciderSerial);
    const login = await claimedOrder(null, 'login');
    expect(await signStatement(login, decider.signature, signText(decider.signature.key, 'x'))).toMatchObject(
      {
        ok: false,
        code: 'agent_protocol_error',
      },
    );
    login.agent.socket.close();

    const claimed = await claimedOrder(decider.personId);
    const signature = sign(
      'sha256',
      signedChallenge('sign_in', claimed.jobId, claimed.challenge),
      decider.authentication.key,
    );
    expect(
      await claimed.agent.call('job:exchange', {
        type: 'sign_in',
        jobId: claimed.jobId,
        certificate: decider.authentication.certificate.toString('base64'),
        signature: signature.toString('base64'),
      }),
    ).toMatchObject({ ok: false, code: 'agent_protocol_error' });
    expect((await orderRow(claimed.orderId)).state).toBe('scanned');
  });

  it('for an order no longer open; a job that ends failed fails its order', async () => {
    const decider = await cardWithKeys(deciderSerial);
    const cancelled = await claimedOrder(decider.personId);
    await cancelAuthOrder(testServer.db, cancelled.orderId, new Date());
    expect(await signStatement(cancelled, decider.signature)).toMatchObject({
      ok: false,
      code: 'job_not_active',
      message: 'Underskriften är avbruten eller för gammal. Börja om.',
    });
    cancelled.agent.socket.close();

    const claimed = await claimedOrder(decider.personId);
    expect(
      await claimed.agent.call<SequenceAck>('job:finished', {
        jobId: claimed.jobId,
        sequence: 1,
        state: 'failed',
        at: Date.now(),
        error: { code: 'wrong_card', message: 'Kortet tillhör inte den som ska underteckna beslutet.' },
      }),
    ).toMatchObject({ ok: true });
    await until(async () => ((await orderRow(claimed.orderId)).state === 'failed' ? true : undefined));
    expect(await orderRow(claimed.orderId)).toMatchObject({ state: 'failed', errorCode: 'wrong_card' });
  });
});
