import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { io, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { translator } from '~/i18n/catalogue';
import { jobKindLabel } from '~/support/job-kind';
import { createAuthOrder } from '../../db/auth-orders';
import { findCardForCertificates, registerCardEids, registerTransportEid } from '../../db/eids';
import { newId } from '../../db/ids';
import { listJobViews } from '../../db/jobs';
import { seesEveryIdentity, seesNoProtectedIdentity } from '../../db/protected-identity';
import { cards, orders, persons, units, users } from '../../db/schema';
import { type CardExchangeType, signedChallenge } from '../../protocol/card-exchange';
import type { JobView } from '../../protocol/support-events';
import { addCardHolder } from '../testing/card-holder';
import { addAgent, addStaffSession, startTestServer, type TestServer } from '../testing/test-server';
import { TestSockets } from '../testing/test-sockets';

/**
 * Issue 16: support's live view called the registration step of a reserve card's activation and a failed
 * AKTIVERA "Inloggning med kort", and a successful card login kept Användare "–". Each job shows its real
 * kind and, once the card has proved itself or the order names them, its person as the server knows them.
 * The agent here is a socket client holding the card's keys, as the real card would.
 */
const token = 'support-job-kinds-agent-token-01';
const loginSerial = '9752000000000000161';
const reserveSerial = '9752000000000000162';
const sv = translator('sv');

let testServer: TestServer;
const sockets = new TestSockets(() => testServer.url);
const supportSockets: Socket[] = [];

beforeEach(async () => {
  testServer = await startTestServer();
  await addAgent(testServer.db, token);
});

afterEach(async () => {
  sockets.closeAll();
  for (const socket of supportSockets.splice(0)) socket.close();
  await testServer.stop();
});

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const ecKey = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

/** A support user's live view (without the protected-identity right), recording every job broadcast. */
async function supportView() {
  const staff = await addStaffSession(testServer, 'support');
  const socket = io(`${testServer.url}/support`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    extraHeaders: { cookie: staff.cookieHeader },
  });
  supportSockets.push(socket);
  // The snapshot comes once the socket is in the viewers' room, which every job broadcast goes to.
  const joined = new Promise((resolve) => socket.once('agents:snapshot', resolve));
  const jobs: JobView[] = [];
  socket.on('job:updated', (job: JobView) => jobs.push(job));
  await joined;
  /** The job as support saw it when it ended. */
  const ended = (jobId: string) =>
    until(() => jobs.find((job) => job.jobId === jobId && job.finishedAt !== null));
  return { jobs, ended };
}

/** A person in a unit of their own. */
async function addPerson(number: string) {
  const unitId = newId();
  const personId = newId();
  await testServer.db.insert(units).values({
    id: unitId,
    hsaId: `SE2321000131-E${number}`,
    name: `Enhet ${number}`,
    organisation: 'Region',
  });
  await testServer.db.insert(persons).values({
    id: personId,
    hsaId: `SE2321000131-P${number}`,
    givenName: 'Bertil',
    surname: `Reserv${number}`,
  });
  return { unitId, personId, name: `Bertil Reserv${number}`, hsaId: `SE2321000131-P${number}` };
}

/** An active ordinary card of Åsa Öberg's with registered eIDs; the test holds its authentication key. */
async function loginCard(options: { protectedIdentity?: boolean } = {}) {
  const { personId } = await addCardHolder(testServer.db, loginSerial);
  if (options.protectedIdentity) {
    await testServer.db.update(persons).set({ protectedIdentity: true }).where(eq(persons.id, personId));
  }
  const authentication = ecKey();
  const card = (await findCardForCertificates(testServer.db, loginSerial))!;
  const certificates = await testServer.server.services.pki.issueCardCertificates({
    holder: card.holder!,
    cardSerial: loginSerial,
    trustLevel: 3,
    keys: {
      authentication: authentication.publicKey,
      signature: ecKey().publicKey,
      cardAuthentication: ecKey().publicKey,
    },
    validTo: new Date('2031-01-01T00:00:00Z'),
  });
  await registerCardEids(testServer.db, { personId, cardId: card.id, trustLevel: 3, certificates });
  return { personId, certificate: certificates.authentication.der, key: authentication.privateKey };
}

/**
 * A reserve card a contact person gave Bertil in the portal (state assigned, a ready reserve-card order),
 * with its factory transport certificate; the test holds the transport key.
 */
async function reserveCardToActivate() {
  const person = await addPerson('000000000162');
  const cardId = newId();
  await testServer.db.insert(cards).values({
    id: cardId,
    serial: reserveSerial,
    kind: 'reserve',
    productCode: 'SITHS-RES-3',
    trustLevel: 3,
    state: 'assigned',
    holderPersonId: person.personId,
    unitId: person.unitId,
    validFrom: new Date('2025-01-01T00:00:00Z'),
    validTo: new Date('2031-01-01T00:00:00Z'),
  });
  const contactPerson = newId();
  await testServer.db
    .insert(users)
    .values({ id: contactPerson, username: 'kontakt', displayName: 'Kontakt' });
  await testServer.db.insert(orders).values({
    id: newId(),
    type: 'reserve_card_loa3',
    state: 'ready',
    personId: person.personId,
    unitId: person.unitId,
    placedByUserId: contactPerson,
    cardId,
  });
  const transport = ecKey();
  const certificate = await testServer.server.services.pki.issueTransportCertificate({
    cardSerial: reserveSerial,
    publicKey: transport.publicKey,
  });
  await registerTransportEid(testServer.db, { cardId, certificate });
  return { ...person, cardId, certificate: certificate.der, key: transport.privateKey };
}

type Agent = Awaited<ReturnType<TestSockets['openAgent']>>;

/** Mina sidor starts a card order; the agent claims it with the start token and is offered its job. */
async function claimed(
  agent: Agent,
  order: {
    purpose: 'login' | 'reserve_registration' | 'activate';
    expectedPersonId?: string;
    cardId?: string;
  },
) {
  const started = await createAuthOrder(
    testServer.db,
    { ...order, method: 'card', ttlMs: 60_000 },
    new Date(),
  );
  const ack = await agent.call<{ ok: boolean; jobId: string }>('agent:autostart', {
    autoStartToken: started.autoStartToken,
  });
  expect(ack).toMatchObject({ ok: true });
  await until(() => agent.offers.find((offer) => offer.jobId === ack.jobId));
  return { jobId: ack.jobId, challenge: started.challenge };
}

/** What the card sends for an exchange: its certificate and its signature over the job's challenge. */
function cardProof(
  type: CardExchangeType,
  job: { jobId: string; challenge: string },
  card: { certificate: Buffer; key: KeyObject },
) {
  return {
    type,
    jobId: job.jobId,
    certificate: card.certificate.toString('base64'),
    signature: sign('sha256', signedChallenge(type, job.jobId, job.challenge), card.key).toString('base64'),
  };
}

const finish = (agent: Agent, jobId: string, error?: { code: string; message: string }) =>
  agent.call('job:finished', {
    jobId,
    sequence: 1,
    state: error ? 'failed' : 'succeeded',
    at: Date.now(),
    ...(error ? { error } : {}),
  });

/** The job in support's list (the page's loader) as a viewer with the right sees it. */
const listed = async (jobId: string) =>
  (await listJobViews(testServer.db, {}, new Date(), seesEveryIdentity)).find((job) => job.jobId === jobId);

describe('the kind and person of a job in support’s live view', () => {
  it('shows a successful card login as "Inloggning med kort" with the person the card proved', async () => {
    const support = await supportView();
    const card = await loginCard();
    const agent = await sockets.openAgent(token);
    const job = await claimed(agent, { purpose: 'login' });
    expect(await agent.call('job:exchange', cardProof('sign_in', job, card))).toEqual({ ok: true });
    expect(await finish(agent, job.jobId)).toMatchObject({ ok: true });

    const ended = await support.ended(job.jobId);
    expect(ended).toMatchObject({ state: 'succeeded', purpose: 'login', cardSerial: loginSerial });
    expect(jobKindLabel(sv, ended)).toBe('Inloggning med kort');
    expect(ended.holder).toMatchObject({ hidden: false, name: 'Åsa Öberg' });
    const inList = (await listed(job.jobId))!;
    expect(jobKindLabel(sv, inList)).toBe('Inloggning med kort');
    expect(inList.holder).toMatchObject({ hidden: false, name: 'Åsa Öberg' });
  });

  it('shows the registration step of an activation as such, with the person the card is for', async () => {
    const support = await supportView();
    const card = await reserveCardToActivate();
    const agent = await sockets.openAgent(token);
    const job = await claimed(agent, { purpose: 'reserve_registration' });
    expect(await agent.call('job:exchange', cardProof('register_card', job, card))).toEqual({ ok: true });
    expect(await agent.call('job:exchange', cardProof('sign_in', job, card))).toEqual({ ok: true });
    expect(await finish(agent, job.jobId)).toMatchObject({ ok: true });

    const ended = await support.ended(job.jobId);
    expect(ended).toMatchObject({ kind: 'authenticate', purpose: 'reserve_registration' });
    expect(jobKindLabel(sv, ended)).toBe('Aktivering av reservkort – registrering');
    expect(ended.holder).toMatchObject({ hidden: false, name: card.name, hsaId: card.hsaId });
    const inList = (await listed(job.jobId))!;
    expect(jobKindLabel(sv, inList)).toBe('Aktivering av reservkort – registrering');
    expect(inList.holder).toMatchObject({ hidden: false, name: card.name });
  });

  it('shows a failed AKTIVERA as the activation step that failed, with its person', async () => {
    const support = await supportView();
    const card = await reserveCardToActivate();
    const agent = await sockets.openAgent(token);

    // The card registered (proved itself with its transport key), then the user cancelled at the PIN.
    const registration = await claimed(agent, { purpose: 'reserve_registration' });
    expect(await agent.call('job:exchange', cardProof('register_card', registration, card))).toEqual({
      ok: true,
    });
    await finish(agent, registration.jobId, { code: 'user_cancelled', message: 'Avbrutet av användaren' });
    const registrationEnded = await support.ended(registration.jobId);
    expect(registrationEnded.state).toBe('failed');
    expect(jobKindLabel(sv, registrationEnded)).toBe('Aktivering av reservkort – registrering');
    expect(registrationEnded.holder).toMatchObject({ hidden: false, name: card.name });

    // The activation itself, started for the logged-in person, fails when the card is pulled out.
    const activation = await claimed(agent, {
      purpose: 'activate',
      expectedPersonId: card.personId,
      cardId: card.cardId,
    });
    await finish(agent, activation.jobId, { code: 'card_removed', message: 'Kortet togs ut ur läsaren' });
    const activationEnded = await support.ended(activation.jobId);
    expect(activationEnded).toMatchObject({ state: 'failed', kind: 'activate', purpose: null });
    expect(jobKindLabel(sv, activationEnded)).toBe('Aktivering av reservkort');
    expect(activationEnded.holder).toMatchObject({ hidden: false, name: card.name });
  });

  it('shows the person of a card login as Skyddad identitet to support without the right', async () => {
    const support = await supportView();
    const card = await loginCard({ protectedIdentity: true });
    const agent = await sockets.openAgent(token);
    const job = await claimed(agent, { purpose: 'login' });
    expect(await agent.call('job:exchange', cardProof('sign_in', job, card))).toEqual({ ok: true });
    await finish(agent, job.jobId);

    const ended = await support.ended(job.jobId);
    expect(ended.holder).toEqual({ hidden: true });
    expect(JSON.stringify(support.jobs)).not.toContain('Öberg');
    const masked = await listJobViews(testServer.db, {}, new Date(), seesNoProtectedIdentity);
    expect(masked.find((view) => view.jobId === job.jobId)?.holder).toEqual({ hidden: true });
    expect((await listed(job.jobId))?.holder).toMatchObject({
      hidden: false,
      protectedIdentity: true,
      name: 'Åsa Öberg',
    });
  });
});
