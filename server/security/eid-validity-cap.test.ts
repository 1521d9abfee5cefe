import { generateKeyPairSync, sign, X509Certificate } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { describe, expect, it, onTestFinished } from 'vitest';
import { activationView } from '~/mina-sidor/activation.server';
import { createRouteHarness } from '~/testing/route-harness';
import { openAgentSession, registerAgent } from '../../db/agents';
import { findActivationOrder } from '../../db/card-lifecycle';
import { demoCards } from '../../db/demo-fixtures';
import { findCardForCertificates, registerTransportEid } from '../../db/eids';
import { first } from '../../db/engine';
import { createJob, findJob } from '../../db/jobs';
import { cards, eids } from '../../db/schema';
import { ensureUserForPerson } from '../../db/users';
import { signedChallenge } from '../../protocol/card-exchange';
import { mobileSithsFixture, TestPhone } from '../mobile-siths/testing';

const newKeyPair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const spkiBase64 = () => newKeyPair().publicKey.export({ format: 'der', type: 'spki' }).toString('base64');

/**
 * Finding 13 of issue 11: an eID issued at activation outlived the card it sits on (the page promised
 * 2030-12-23, the certificate said 2031-12-02). Activation runs here through the card-job service as the
 * agent would drive it, for the demo reserve card, whose own validity ends in about a year.
 */
describe('eIDs never outlive their card', () => {
  it('activation issues certificates that end no later than the card, and the page promises that date', async () => {
    const { db, context } = await createRouteHarness();
    onTestFinished(() => db.close());
    const cardValidTo = new Date(Date.now() + 400 * 24 * 3600_000);
    await db
      .update(cards)
      .set({ validTo: cardValidTo })
      .where(eq(cards.serial, demoCards.reserveNotActivated));
    const card = (await findCardForCertificates(db, demoCards.reserveNotActivated))!;
    const order = (await findActivationOrder(db, card.id))!;
    const transportKey = newKeyPair();
    const transport = await context.pki.issueTransportCertificate({
      cardSerial: card.serial,
      publicKey: transportKey.publicKey,
    });
    await registerTransportEid(db, { cardId: card.id, certificate: transport });

    // A job row as the engine keeps it: each exchange reads it again, with what earlier ones recorded.
    const agentId = await registerAgent(db, {
      name: 'Testdator',
      deviceToken: 'eid-validity-cap-token-0001',
    });
    const agentSessionId = await openAgentSession(db, { agentId, remoteAddress: null, at: new Date() });
    const jobId = await createJob(
      db,
      {
        kind: 'activate',
        agentId,
        agentSessionId,
        readerName: null,
        challenge: 'challenge-of-the-server',
        cardSerial: card.serial,
        eidOrderId: order.id,
        authOrderId: null,
        createdByUserId: null,
        createdBySessionId: null,
        personId: order.personId,
      },
      new Date(),
    );
    const job = (await findJob(db, jobId))!;
    const proved = await context.cardJobs.exchange(job, {
      type: 'prove_card',
      jobId: job.id,
      certificate: transport.der.toString('base64'),
      signature: sign(
        'sha256',
        signedChallenge('prove_card', job.id, job.challenge!),
        transportKey.privateKey,
      ).toString('base64'),
    });
    expect(proved).toMatchObject({ ok: true });
    const issued = await context.cardJobs.exchange((await findJob(db, jobId))!, {
      type: 'request_certificates',
      jobId: job.id,
      keys: { authentication: spkiBase64(), signature: spkiBase64(), cardAuthentication: spkiBase64() },
    });
    if (!issued.ok || !issued.certificates) throw new Error(`not issued: ${JSON.stringify(issued)}`);
    const ends = Object.values(issued.certificates).map(
      (der) => new Date(new X509Certificate(Buffer.from(der, 'base64')).validTo),
    );
    expect(ends).toHaveLength(3);
    for (const end of ends) expect(end.getTime()).toBeLessThanOrEqual(cardValidTo.getTime());

    const user = (await ensureUserForPerson(db, order.personId))!;
    const view = await activationView(context, {
      userId: user.id,
      sessionId: 'session',
      personId: order.personId,
      displayName: user.displayName,
      loginMethod: 'card',
      loginCredential: card.serial,
    });
    expect(view?.eid?.validTo).toBe(ends[0]!.toISOString().slice(0, 10));
  });
});

describe('a Mobile SITHS eID never outlives the card that enrolled it', () => {
  it('ends no later than the card the enrolling session logged in with', async () => {
    const fixture = await mobileSithsFixture();
    onTestFinished(() => fixture.db.close());
    const cardValidTo = new Date(Date.now() + 100 * 24 * 3600_000);
    await fixture.db
      .update(cards)
      .set({ validTo: cardValidTo })
      .where(eq(cards.serial, fixture.carina.cardSerial));
    const phone = new TestPhone();
    await fixture.enrol(fixture.carina, phone);
    const eid = first(
      await fixture.db.select().from(eids).where(eq(eids.mobileDeviceId, phone.deviceId)).limit(1),
    )!;
    const certificate = new X509Certificate(eid.certificatePem!);
    expect(new Date(certificate.validTo).getTime()).toBeLessThanOrEqual(cardValidTo.getTime());
    expect(eid.validTo.getTime()).toBeLessThanOrEqual(cardValidTo.getTime());
  });
});
