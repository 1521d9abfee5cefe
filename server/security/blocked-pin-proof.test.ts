import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthOrder } from '../../db/auth-orders';
import { registerCardEids } from '../../db/eids';
import { first } from '../../db/engine';
import { cards, jobs } from '../../db/schema';
import type { SequenceAck } from '../../protocol/agent-events';
import { signedChallenge } from '../../protocol/card-exchange';
import type { StepReport } from '../../protocol/jobs';
import type { JobAck } from '../../protocol/support-events';
import { addCardHolder } from '../testing/card-holder';
import { addAgent, addStaffSession, startTestServer, type TestServer } from '../testing/test-server';
import { TestSockets } from '../testing/test-sockets';

/**
 * Finding 1 of issue 11, its consequence: a login or a support card check that ends in `pin_blocked`
 * locks the card only when the card proved itself in the job with its card-authentication key (9E, which
 * signs without the PIN) over the job's own challenge. A proof for another job, a key of another purpose
 * or no proof locks nothing, and the proof is answered with nothing secret.
 */
const token = 'blocked-pin-proof-agent-token-01';
const readerName = 'Virtual PCD 00 00';
const cardSerial = '9752000000000000077';

/** The holder as the card's certificates name them. */
const cardHolder = {
  hsaId: 'SE2321000131-P000000000077',
  givenName: 'Åsa',
  surname: 'Öberg',
  personalIdentityNumber: null,
  email: null,
  organisation: 'Region',
};

let testServer: TestServer;
let personId: string;
const sockets = new TestSockets(() => testServer.url);

beforeEach(async () => {
  testServer = await startTestServer();
  await addAgent(testServer.db, token);
  ({ personId } = await addCardHolder(testServer.db, cardSerial));
});

afterEach(async () => {
  sockets.closeAll();
  await testServer.stop();
});

async function agent() {
  const { offers, call } = await sockets.openAgent(token);
  /** The agent read the card, found its PIN blocked and ends the job. */
  const reportPinBlocked = async (jobId: string) => {
    expect(
      await call<SequenceAck>('job:step', {
        jobId,
        sequence: 1,
        step: 'card_read',
        status: 'succeeded',
        at: Date.now(),
        progress: 30,
        card: { readerName, cardSerial, pinTriesLeft: 0 },
      } satisfies StepReport),
    ).toMatchObject({ ok: true });
    return call<SequenceAck>('job:finished', {
      jobId,
      sequence: 2,
      state: 'failed',
      at: Date.now(),
      error: { code: 'pin_blocked', message: 'PIN-koden är spärrad' },
    });
  };
  const agentSessionId = testServer.server.services.agentRegistry.list().at(-1)!.agentSessionId;
  return { offers, call, reportPinBlocked, agentSessionId };
}
type Agent = Awaited<ReturnType<typeof agent>>;

/** A support card check on the agent: its id and the challenge its offer carried. */
async function cardCheckJob(connection: Agent) {
  const { cookieHeader } = await addStaffSession(testServer, 'support');
  const support = await sockets.open('/support', {}, cookieHeader);
  const started = (await support.timeout(5_000).emitWithAck('support:start-card-check', {
    agentSessionId: connection.agentSessionId,
    readerName,
  })) as JobAck;
  expect(started).toMatchObject({ ok: true });
  const jobId = (started as { jobId: string }).jobId;
  const offer = connection.offers.find((candidate) => candidate.jobId === jobId);
  return { jobId, challenge: offer?.challenge };
}

/** A Mina sidor card login claimed by the agent. */
async function loginJob(connection: Agent) {
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

/** The card's registered eIDs, with the private keys this test holds as the real card would. */
async function cardKeys() {
  const pair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const authentication = pair();
  const cardAuthentication = pair();
  const certificates = await testServer.server.services.pki.issueCardCertificates({
    holder: cardHolder,
    cardSerial,
    trustLevel: 3,
    keys: {
      authentication: authentication.publicKey,
      signature: pair().publicKey,
      cardAuthentication: cardAuthentication.publicKey,
    },
    validTo: new Date('2031-01-01T00:00:00Z'),
  });
  const card = first(await testServer.db.select().from(cards).where(eq(cards.serial, cardSerial)).limit(1))!;
  await registerCardEids(testServer.db, { personId, cardId: card.id, trustLevel: 3, certificates });
  return {
    cardAuthentication: {
      certificate: certificates.cardAuthentication.der,
      key: cardAuthentication.privateKey,
    },
    authentication: { certificate: certificates.authentication.der, key: authentication.privateKey },
  };
}

/** prove_card for `jobId`, signed over `signedFor` (this job's id and challenge unless a test says otherwise). */
function proveCard(
  connection: Agent,
  jobId: string,
  key: { certificate: Buffer; key: KeyObject },
  signedFor: { jobId: string; challenge: string },
) {
  const signature = sign(
    'sha256',
    signedChallenge('prove_card', signedFor.jobId, signedFor.challenge),
    key.key,
  );
  return connection.call<Record<string, unknown>>('job:exchange', {
    type: 'prove_card',
    jobId,
    certificate: key.certificate.toString('base64'),
    signature: signature.toString('base64'),
  });
}

const cardState = async () =>
  first(await testServer.db.select().from(cards).where(eq(cards.serial, cardSerial)).limit(1))!.state;
const jobRow = async (jobId: string) =>
  first(await testServer.db.select().from(jobs).where(eq(jobs.id, jobId)).limit(1))!;

describe('a blocked PIN found in a job', () => {
  it('locks the card that proved itself with 9E in a support card check, answered with nothing secret', async () => {
    const keys = await cardKeys();
    const connection = await agent();
    const { jobId, challenge } = await cardCheckJob(connection);
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const answer = await proveCard(connection, jobId, keys.cardAuthentication, {
      jobId,
      challenge: challenge!,
    });
    expect(answer).toEqual({ ok: true });
    expect(await jobRow(jobId)).toMatchObject({ cardSerial: null, provenCardSerial: cardSerial });
    expect(await connection.reportPinBlocked(jobId)).toMatchObject({ ok: true });
    expect(await cardState()).toBe('locked');
  });

  it('locks the card that proved itself with 9E in a login, answered with nothing secret', async () => {
    const keys = await cardKeys();
    const connection = await agent();
    const { jobId, challenge } = await loginJob(connection);
    const answer = await proveCard(connection, jobId, keys.cardAuthentication, { jobId, challenge });
    expect(answer).toEqual({ ok: true });
    expect(await connection.reportPinBlocked(jobId)).toMatchObject({ ok: true });
    expect(await cardState()).toBe('locked');
  });

  it('locks nothing when the proof was signed for another job’s challenge', async () => {
    const keys = await cardKeys();
    const connection = await agent();
    const earlier = await loginJob(connection);
    const { jobId } = await cardCheckJob(connection);
    const answer = await proveCard(connection, jobId, keys.cardAuthentication, {
      jobId: earlier.jobId,
      challenge: earlier.challenge,
    });
    expect(answer).toMatchObject({ ok: false, code: 'card_not_authentic' });
    expect(await connection.reportPinBlocked(jobId)).toMatchObject({ ok: true });
    expect(await jobRow(jobId)).toMatchObject({ provenCardSerial: null, errorCode: 'pin_blocked' });
    expect(await cardState()).toBe('active');
  });

  it('locks nothing when the proof comes from a key that is not the card-authentication key', async () => {
    const keys = await cardKeys();
    const connection = await agent();
    const { jobId, challenge } = await cardCheckJob(connection);
    const answer = await proveCard(connection, jobId, keys.authentication, { jobId, challenge: challenge! });
    expect(answer).toMatchObject({ ok: false, code: 'certificate_rejected' });
    expect(await connection.reportPinBlocked(jobId)).toMatchObject({ ok: true });
    expect((await jobRow(jobId)).provenCardSerial).toBeNull();
    expect(await cardState()).toBe('active');
  });

  it('locks nothing when the card never proved itself', async () => {
    await cardKeys();
    const connection = await agent();
    const { jobId } = await cardCheckJob(connection);
    expect(await connection.reportPinBlocked(jobId)).toMatchObject({ ok: true });
    expect(await jobRow(jobId)).toMatchObject({ provenCardSerial: null, reportedCardSerial: cardSerial });
    expect(await cardState()).toBe('active');
  });
});

describe('a login with a reserve card whose activation was cut short', () => {
  it('is Felkod 2004 (reserve card not activated), although the card holds keys and certificates of ours', async () => {
    await testServer.db
      .update(cards)
      .set({ kind: 'reserve', state: 'assigned' })
      .where(eq(cards.serial, cardSerial));
    const authentication = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const other = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    const unregistered = await testServer.server.services.pki.issueCardCertificates({
      holder: cardHolder,
      cardSerial,
      trustLevel: 3,
      keys: { authentication: authentication.publicKey, signature: other(), cardAuthentication: other() },
      validTo: new Date('2031-01-01T00:00:00Z'),
    });
    const connection = await agent();
    const { jobId, challenge } = await loginJob(connection);
    const signature = sign('sha256', signedChallenge('sign_in', jobId, challenge), authentication.privateKey);
    const answer = await connection.call<Record<string, unknown>>('job:exchange', {
      type: 'sign_in',
      jobId,
      certificate: unregistered.authentication.der.toString('base64'),
      signature: signature.toString('base64'),
    });
    expect(answer).toMatchObject({ ok: false, code: 'reserve_card_not_activated' });
    expect(await cardState()).toBe('assigned');
  });
});
