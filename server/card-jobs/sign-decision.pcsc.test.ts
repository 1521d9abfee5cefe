/**
 * A decision signed with a card through the whole card path: the real server on a test database, the real
 * card-agent with its local UI, pcscd and a virtual card in vpcd's reader whose 9C holds an RSA 2048 key and
 * a signature certificate issued by the server's CA. The user reads the statement in the agent's UI and
 * types the PIN there; the server completes the order only for a signature it can verify over the statement
 * it stored, and the signature verifies with openssl against the statement text alone.
 *
 * The agent logs every APDU (debug): the test counts what a signature costs on the card, and what a card
 * login (PIN1, then 9A signs the order's challenge) costs for comparison. Timing log: SIGN_TIMING=1 prints it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, startAgent } from '../../card-agent/agent';
import { promptOverHttp, stateOverHttp, submitOverHttp, until } from '../../card-agent/jobs/local-ui-client';
import { encodePin } from '../../card-agent/piv/pin';
import {
  INS,
  type KeyAlgorithm,
  type PivSlot,
  SLOT_CERTIFICATE_OBJECT,
  TAG,
} from '../../card-agent/piv/piv-constants';
import { encodeTlvs } from '../../card-agent/piv/tlv';
import { autoStartWithServer } from '../../card-agent/server-link';
import { generateCardKey } from '../../card-agent/virtual-card/card-keys';
import { loadCardState, saveCardState } from '../../card-agent/virtual-card/card-state';
import { objectKey } from '../../card-agent/virtual-card/create-card';
import { type TestCard, TestRig } from '../../card-agent/virtual-card/test-rig';
import { createAuthOrder, findAuthOrder, type NewAuthOrder } from '../../db/auth-orders';
import { findCardForCertificates, registerCardEids } from '../../db/eids';
import { findJob, type JobRow, listJobSteps } from '../../db/jobs';
import { revokeEid } from '../../db/revocations';
import { authOrders } from '../../db/schema';
import type { VirtualCardProcess } from '../../test-support/pcscd';
import { addCardHolder } from '../testing/card-holder';
import { addAgent, addStaffSession, startTestServer, type TestServer } from '../testing/test-server';

const token = 'sign-decision-pcsc-agent-token-01';
const rig = new TestRig();
const workDir = join(rig.stateDir, 'signatures');
let testServer: TestServer;
let agent: Agent;
let inserted: VirtualCardProcess | undefined;
/** The agent's log lines (debug: one per APDU), to count APDUs and to look for PINs. */
const agentLog: string[] = [];
const pins: string[] = [];

beforeAll(async () => {
  mkdirSync(workDir, { recursive: true });
  await rig.start({ waitForFreeMs: 240_000 });
  testServer = await startTestServer();
  await addAgent(testServer.db, token);
  // No timestamps: a PIN's digits must not turn up in one by chance.
  const logger = pino({ level: 'debug', timestamp: false }, { write: (line: string) => agentLog.push(line) });
  agent = await startAgent({ serverUrl: testServer.url, deviceToken: token, logger, uiPort: 0 });
  await until(() => agent.socket.connected || undefined);
}, 300_000);

afterAll(async () => {
  await agent?.stop();
  await inserted?.remove();
  await testServer?.stop();
  await rig.stop();
});

afterEach(async () => {
  await inserted?.remove();
  inserted = undefined;
});

type SlotContents = 'own' | 'authentication';

/**
 * A holder's card as the card issuer leaves it: keys in 9A (P-256), 9C (`signatureKey`) and 9E (P-256),
 * certificates from the server's CA, registered as the holder's eIDs. `signatureSlot: 'authentication'`
 * puts the authentication key and certificate in 9C too (a card that would sign with its 9A eID).
 */
async function holderCard(
  options: { signatureKey?: KeyAlgorithm; signatureSlot?: SlotContents } = {},
): Promise<TestCard & { personId: string; signatureEidId: string }> {
  const card = rig.createCard();
  pins.push(card.pin);
  const { db } = testServer;
  const { personId } = await addCardHolder(db, card.serial);
  const row = (await findCardForCertificates(db, card.serial))!;
  const keys = {
    '9a': generateCardKey('ECCP256'),
    '9c': generateCardKey(options.signatureKey ?? 'RSA2048'),
    '9e': generateCardKey('ECCP256'),
  };
  const certificates = await testServer.server.services.pki.issueCardCertificates({
    holder: row.holder!,
    cardSerial: card.serial,
    trustLevel: 3,
    keys: {
      authentication: keys['9a'].publicKey,
      signature: keys['9c'].publicKey,
      cardAuthentication: keys['9e'].publicKey,
    },
    validTo: row.validTo,
  });
  const state = loadCardState(rig.stateDir, card.serial);
  const put = (slot: PivSlot, key: (typeof keys)['9a'], der: Buffer) => {
    state.keys[slot] = key.stored;
    state.objects[objectKey(SLOT_CERTIFICATE_OBJECT[slot])] = encodeTlvs(
      [TAG.CERTIFICATE, der],
      [TAG.CERT_INFO, Buffer.from([0])],
      [TAG.ERROR_DETECTION, Buffer.alloc(0)],
    ).toString('base64');
  };
  put('9a', keys['9a'], certificates.authentication.der);
  if (options.signatureSlot === 'authentication') put('9c', keys['9a'], certificates.authentication.der);
  else put('9c', keys['9c'], certificates.signature.der);
  put('9e', keys['9e'], certificates.cardAuthentication.der);
  saveCardState(rig.stateDir, state);
  const ids = await registerCardEids(db, { personId, cardId: row.id, trustLevel: 3, certificates });
  return { ...card, personId, signatureEidId: ids.signature };
}

async function insert(card: TestCard): Promise<void> {
  inserted = await rig.insert(card);
  const readerName = inserted.readerName;
  await until(() => agent.view.current().readers.find((r) => r.name === readerName && r.cardPresent));
}

const statementOf = (orderId: string) =>
  'Jag, som ID-administratör, godkänner beställningen av reservkort (tillitsnivå 3) för Åsa Öberg.\n' +
  `Referens: ${orderId}`;

/** What an admin page does to have a decision signed: an order for the decider, claimed by this agent. */
const startSigning = (deciderPersonId: string) =>
  startCardOrder({
    purpose: 'sign_decision',
    method: 'card',
    expectedPersonId: deciderPersonId,
    ttlMs: 5 * 60_000,
    statementFor: statementOf,
  });

/** What the login page does for "Logga in med SITHS-kort": an order for whoever's card it is. */
const startLogin = () => startCardOrder({ purpose: 'login', method: 'card', ttlMs: 5 * 60_000 });

/** The order, started on this agent with its auto-start token as the browser's page would. */
async function startCardOrder(input: NewAuthOrder) {
  const order = await createAuthOrder(testServer.db, input, new Date());
  const ack = await autoStartWithServer(agent.socket, order.autoStartToken!, {
    timeoutMs: 10_000,
    logger: pino({ level: 'silent' }),
  });
  if (!ack.ok) throw new Error(`autostart refused: ${ack.code}`);
  return { orderId: order.orderId, jobId: ack.jobId };
}

async function finishedJob(jobId: string): Promise<JobRow> {
  return until(async () => {
    const job = await findJob(testServer.db, jobId);
    return job && ['succeeded', 'failed', 'cancelled'].includes(job.state) ? job : undefined;
  }, 30_000);
}

const orderOf = async (orderId: string) => (await findAuthOrder(testServer.db, orderId))!;

interface Apdu {
  ins: string;
  p2: string;
  lc: number;
  ms: number;
}

const apdusSince = (mark: number): Apdu[] =>
  agentLog
    .slice(mark)
    .map((line) => JSON.parse(line) as { msg: string } & Apdu)
    .filter((entry) => entry.msg === 'apdu');

const hex = (ins: number) => ins.toString(16).padStart(2, '0');

/**
 * The APDUs from the PIN's VERIFY to the end of the slot's signature (chain parts and GET RESPONSE
 * included): 9C for a decision, 9A for a login.
 */
function signatureApdus(apdus: Apdu[], slot: '9a' | '9c' = '9c'): Apdu[] {
  const verify = apdus.findLastIndex((apdu) => apdu.ins === hex(INS.VERIFY) && apdu.lc > 0);
  const signed = apdus.findLastIndex(
    (apdu) => apdu.ins === hex(INS.GENERAL_AUTHENTICATE) && apdu.p2 === slot,
  );
  let end = signed;
  while (apdus[end + 1]?.ins === 'c0') end++;
  return verify < 0 || signed < 0 ? [] : apdus.slice(verify, end + 1);
}

const apduMs = (apdus: Apdu[]) => apdus.reduce((sum, apdu) => sum + apdu.ms, 0);

function logTiming(key: string, signature: Apdu[], step: { name: string; ms: number | null }) {
  if (!process.env.SIGN_TIMING) return;
  const each = signature.map((apdu) => `${apdu.ins}:${apdu.ms.toFixed(1)}`).join(' ');
  console.log(
    `${key} signature: ${signature.length} APDUs (${each}), ${apduMs(signature).toFixed(1)} ms from VERIFY ` +
      `to signature; ${step.name} step (signature, server check) ${step.ms} ms`,
  );
}

/**
 * The whole job on the card: every APDU since `jobStart` and their ms, and the agent's time in its steps
 * but the wait for the user's PIN (what the user waits for once the PIN is typed, plus opening the card).
 */
async function logJobTiming(key: string, jobStart: number, jobId: string) {
  if (!process.env.SIGN_TIMING) return;
  const job = apdusSince(jobStart);
  const steps = (await listJobSteps(testServer.db, jobId)).filter(
    (step) => step.status === 'succeeded' && step.step !== 'waiting_for_user',
  );
  const stepMs = steps.reduce((sum, step) => sum + (step.durationMs ?? 0), 0);
  console.log(
    `${key} whole job: ${job.length} APDUs (${job.map((a) => a.ins).join(' ')}), ` +
      `${apduMs(job).toFixed(0)} ms on the card; steps but waiting_for_user ${stepMs} ms ` +
      `(${steps.map((step) => `${step.step}:${step.durationMs}`).join(' ')})`,
  );
}

/** openssl, outside siths-desk: the statement text, the certificate and the signature, nothing else. */
function opensslVerifies(
  name: string,
  statement: string,
  certificateBase64: string,
  signatureBase64: string,
) {
  const path = (file: string) => join(workDir, `${name}.${file}`);
  writeFileSync(path('txt'), statement, 'utf8');
  writeFileSync(path('der'), Buffer.from(certificateBase64, 'base64'));
  writeFileSync(path('sig'), Buffer.from(signatureBase64, 'base64'));
  const publicKey = execFileSync('openssl', [
    'x509',
    '-inform',
    'DER',
    '-in',
    path('der'),
    '-pubkey',
    '-noout',
  ]);
  writeFileSync(path('pub.pem'), publicKey);
  return execFileSync(
    'openssl',
    ['dgst', '-sha256', '-verify', path('pub.pem'), '-signature', path('sig'), path('txt')],
    { encoding: 'utf8' },
  ).trim();
}

describe('a decision signed with a card through pcscd', () => {
  it('shows the statement, signs it with 9C after the PIN, completes the order; openssl verifies the signature', async () => {
    const card = await holderCard();
    await insert(card);
    const jobStart = agentLog.length;
    const { orderId, jobId } = await startSigning(card.personId);
    const prompt = await promptOverHttp(agent.ui);
    expect(prompt).toMatchObject({
      kind: 'pin',
      title: 'Underteckna',
      lines: ['Jag undertecknar:', ...statementOf(orderId).split('\n')],
      submitText: 'Underteckna',
      cardSerial: card.serial,
    });
    const mark = agentLog.length;
    expect((await submitOverHttp(agent.ui, prompt.promptId, card.pin)).status).toBe(204);

    expect(await finishedJob(jobId)).toMatchObject({ state: 'succeeded', provenCardSerial: card.serial });
    const order = await orderOf(orderId);
    expect(order).toMatchObject({ state: 'completed', personId: card.personId, cardSerial: card.serial });
    expect(opensslVerifies('rsa', statementOf(orderId), order.signerCertificate!, order.signature!)).toBe(
      'Verified OK',
    );
    expect((await stateOverHttp(agent.ui)).result).toEqual({ ok: true, text: 'Beslutet är undertecknat' });

    // VERIFY with the PIN, then GENERAL AUTHENTICATE with 9C: nothing between them (9C is PIN Always).
    const signature = signatureApdus(apdusSince(mark));
    expect(signature.map((apdu) => apdu.ins).slice(0, 2)).toEqual([
      hex(INS.VERIFY),
      hex(INS.GENERAL_AUTHENTICATE),
    ]);
    logTiming('RSA 2048', signature, await stepTime(jobId, 'statement_signed'));
    await logJobTiming('RSA 2048', jobStart, jobId);
    // VERIFY, GENERAL AUTHENTICATE in two chained parts (a 256-byte block), GET RESPONSE for the rest.
    expect(signature.map((apdu) => apdu.ins)).toEqual(['20', '87', '87', 'c0']);
  }, 60_000);

  it('asks again after a wrong PIN, with the tries left, then signs', async () => {
    const card = await holderCard();
    await insert(card);
    const { orderId, jobId } = await startSigning(card.personId);
    const first = await promptOverHttp(agent.ui);
    const wrong = card.pin === '000000' ? '111111' : '000000';
    await submitOverHttp(agent.ui, first.promptId, wrong);
    const second = await promptOverHttp(agent.ui, first.promptId);
    expect(second).toMatchObject({ notice: 'Fel PIN-kod. Du har 2 försök kvar.', submitText: 'Underteckna' });
    expect(rig.state(card).pin.triesLeft).toBe(2);
    await submitOverHttp(agent.ui, second.promptId, card.pin);
    expect(await finishedJob(jobId)).toMatchObject({ state: 'succeeded' });
    expect((await orderOf(orderId)).state).toBe('completed');
    expect(rig.state(card).pin.triesLeft).toBe(3);
  }, 60_000);

  it('signs with a P-256 signature key too: r || s, which the server verifies', async () => {
    const card = await holderCard({ signatureKey: 'ECCP256' });
    await insert(card);
    const jobStart = agentLog.length;
    const { orderId, jobId } = await startSigning(card.personId);
    const mark = agentLog.length;
    await submitOverHttp(agent.ui, (await promptOverHttp(agent.ui)).promptId, card.pin);
    expect(await finishedJob(jobId)).toMatchObject({ state: 'succeeded' });
    const order = await orderOf(orderId);
    expect(order.state).toBe('completed');
    expect(Buffer.from(order.signature!, 'base64')).toHaveLength(64);
    const signature = signatureApdus(apdusSince(mark));
    expect(signature.map((apdu) => apdu.ins)).toEqual(['20', '87']);
    logTiming('P-256', signature, await stepTime(jobId, 'statement_signed'));
    await logJobTiming('P-256', jobStart, jobId);
  }, 60_000);
});

/** A step's name and how long it took, from the job's succeeded step. */
async function stepTime(jobId: string, name: string) {
  const steps = await listJobSteps(testServer.db, jobId);
  const step = steps.find((candidate) => candidate.step === name && candidate.status === 'succeeded');
  return { name, ms: step?.durationMs ?? null };
}

describe('a card login through pcscd, for comparison', () => {
  it('asks for PIN1, signs the challenge with 9A and completes the login order with the card’s person', async () => {
    const card = await holderCard({ signatureKey: 'ECCP256' });
    await insert(card);
    const jobStart = agentLog.length;
    const { orderId, jobId } = await startLogin();
    const prompt = await promptOverHttp(agent.ui);
    expect(prompt).toMatchObject({
      kind: 'pin',
      lines: [`Jag legitimerar mig hos ${testServer.server.services.publicUrl}`],
      submitText: 'Legitimera',
      cardSerial: card.serial,
    });
    const mark = agentLog.length;
    expect((await submitOverHttp(agent.ui, prompt.promptId, card.pin)).status).toBe(204);

    expect(await finishedJob(jobId)).toMatchObject({ state: 'succeeded', provenCardSerial: card.serial });
    expect(await orderOf(orderId)).toMatchObject({
      state: 'completed',
      personId: card.personId,
      cardSerial: card.serial,
      signature: null,
    });
    expect((await stateOverHttp(agent.ui)).result).toEqual({ ok: true, text: 'Du är legitimerad' });

    const signature = signatureApdus(apdusSince(mark), '9a');
    logTiming('login (9A P-256)', signature, await stepTime(jobId, 'challenge_signed'));
    await logJobTiming('login (9A P-256)', jobStart, jobId);
    // VERIFY with PIN1, VERIFY without data (the tries left), GET DATA of the 9A certificate with its GET
    // RESPONSEs (read once: proveWithSlot passes the key's algorithm from it), then one GENERAL AUTHENTICATE
    // with 9A (P-256: no chaining, no GET RESPONSE).
    expect(signature.slice(0, 2).map((apdu) => [apdu.ins, apdu.lc > 0])).toEqual([
      ['20', true],
      ['20', false],
    ]);
    expect(signature.map((apdu) => apdu.ins).join(' ')).toMatch(/^20 20 cb( c0)* 87$/);
    expect(signature.at(-1)).toMatchObject({ ins: hex(INS.GENERAL_AUTHENTICATE), p2: '9a' });
  }, 60_000);
});

describe('a card signature the server refuses', () => {
  /** Signs with the card and returns the failed job and its order. */
  async function refusedSigning(card: TestCard & { personId: string }, decider = card.personId) {
    await insert(card);
    const { orderId, jobId } = await startSigning(decider);
    const prompt = await promptOverHttp(agent.ui);
    return {
      orderId,
      jobId,
      async submit() {
        await submitOverHttp(agent.ui, prompt.promptId, card.pin);
        return { job: await finishedJob(jobId), order: await orderOf(orderId) };
      },
    };
  }

  it('when the order’s statement changed after the offer: the signature is over another text', async () => {
    const card = await holderCard();
    const signing = await refusedSigning(card);
    await testServer.db
      .update(authOrders)
      .set({ statement: `${statementOf(signing.orderId)}\nOch alla andra beställningar.` })
      .where(eq(authOrders.id, signing.orderId));
    const { job, order } = await signing.submit();
    expect(job).toMatchObject({ state: 'failed', errorCode: 'card_not_authentic' });
    expect(order).toMatchObject({ state: 'failed', errorCode: 'card_not_authentic', signature: null });
    expect((await stateOverHttp(agent.ui)).result).toEqual({
      ok: false,
      text: 'Kortet kunde inte kontrolleras som äkta. Kontakta support.',
    });
  }, 60_000);

  it('when 9C holds the authentication (9A) eID', async () => {
    const card = await holderCard({ signatureSlot: 'authentication' });
    const { job, order } = await (await refusedSigning(card)).submit();
    expect(job).toMatchObject({ state: 'failed', errorCode: 'certificate_rejected' });
    expect(order).toMatchObject({ state: 'failed', errorCode: 'certificate_rejected' });
  }, 60_000);

  it('when the card is another person’s', async () => {
    const decider = await holderCard();
    const other = await holderCard();
    const { job, order } = await (await refusedSigning(other, decider.personId)).submit();
    expect(job).toMatchObject({ state: 'failed', errorCode: 'wrong_card' });
    expect(order).toMatchObject({
      state: 'failed',
      errorCode: 'wrong_card',
      errorMessage: 'Kortet tillhör inte den som ska underteckna beslutet.',
    });
    expect((await stateOverHttp(agent.ui)).result).toEqual({
      ok: false,
      text: 'Fel kort i läsaren. Sätt i det SITHS-kort som ärendet gäller och försök igen.',
    });
  }, 60_000);

  it('when the signature eID is revoked', async () => {
    const card = await holderCard();
    const { userId } = await addStaffSession(testServer, 'id_admin');
    await revokeEid(testServer.db, {
      eidId: card.signatureEidId,
      reason: 'lost',
      actor: { userId, label: 'ID-administratör' },
    });
    const { job, order } = await (await refusedSigning(card)).submit();
    expect(job).toMatchObject({ state: 'failed', errorCode: 'card_not_active' });
    expect(order).toMatchObject({ errorMessage: 'Kortet är spärrat och kan inte användas.' });
  }, 60_000);

  it('leaves no PIN in the agent’s log (run last)', () => {
    const log = agentLog.join('');
    expect(log).toContain('"msg":"apdu"');
    for (const pin of pins) {
      expect(log).not.toContain(pin);
      expect(log).not.toContain(encodePin(pin).toString('hex'));
    }
  });
});
