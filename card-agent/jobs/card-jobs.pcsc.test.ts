import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jobSteps } from '../../protocol/jobs';
import type { VirtualCardProcess } from '../../test-support/pcscd';
import { type Agent, startAgent } from '../agent';
import { encodePin } from '../piv/pin';
import type { PivSlot } from '../piv/piv-constants';
import { issueTestCertificate } from '../virtual-card/test-certificates';
import { type TestCard, TestRig } from '../virtual-card/test-rig';
import { postOverHttp, promptOverHttp, stateOverHttp, submitOverHttp, until } from './local-ui-client';
import { type Stored, TEST_TOKEN, TestAgentServer } from './test-agent-server';

const rig = new TestRig();
let server: TestAgentServer;
let agent: Agent | undefined;
let inserted: VirtualCardProcess | undefined;
const agentLog = join(rig.stateDir, 'agent.log');
const cardLog = join(rig.stateDir, 'card.log');
/** Every PIN, PUK and management key of this run, to look for in the logs at the end. */
const secrets: string[] = [];
const previousLogLevel = process.env.LOG_LEVEL;
const logger = pino({ level: 'trace' }, pino.destination({ dest: agentLog, sync: true }));

beforeAll(async () => {
  process.env.LOG_LEVEL = 'trace';
  await rig.start({ waitForFreeMs: 240_000 });
  server = await TestAgentServer.start();
}, 300_000);

afterAll(async () => {
  process.env.LOG_LEVEL = previousLogLevel;
  await server?.close();
  await rig.stop();
});

afterEach(async () => {
  await agent?.stop();
  await inserted?.remove();
  agent = undefined;
  inserted = undefined;
});

/** A card whose PUK and management key are the ones the test server derives from its serial. */
function createCard(kind: 'ordinary' | 'reserve'): TestCard {
  const card = rig.createCard('AES128', kind, (serial) => server.cardSecrets(serial));
  secrets.push(card.pin, card.puk, card.managementKey.key.toString('hex'));
  return card;
}

/** Puts a P-256 key and a test certificate in a slot, as the card's issuer would. */
async function personalise(card: TestCard, slot: PivSlot, options: { blockPin?: boolean } = {}) {
  const piv = await rig.open(inserted!.readerName, { logger });
  try {
    await piv.authenticateManagementKey(card.managementKey);
    const publicKey = await piv.generateKey(slot, 'ECCP256');
    await piv.putCertificate(slot, await issueTestCertificate(publicKey, card.serial));
    if (options.blockPin) {
      const wrong = card.pin === '000000' ? '111111' : '000000';
      for (let attempt = 0; attempt < 3; attempt++) await piv.verifyPin(wrong).catch(() => {});
    }
  } finally {
    await piv.close();
  }
}

async function insert(card: TestCard): Promise<void> {
  inserted = await rig.insert(card, { logFile: cardLog });
}

async function startAgentWithCard(): Promise<Agent> {
  const started = await startAgent({ serverUrl: server.url, deviceToken: TEST_TOKEN, logger, uiPort: 0 });
  agent = started;
  await server.whenConnected();
  await until(() =>
    started.view.current().readers.find((r) => r.name === inserted!.readerName && r.cardPresent),
  );
  return started;
}

function offerOf(kind: 'unlock' | 'activate', card: TestCard) {
  return {
    jobId: crypto.randomUUID(),
    kind,
    cardSerial: card.serial,
    lastSequence: 0,
    stepTimeoutMs: 15_000,
    userPromptTimeoutMs: 20_000,
    challenge: randomBytes(32).toString('base64url'),
    relyingParty: 'https://minasidor.test.siths.se:443/oidc',
  };
}

const trail = (reports: Stored[]) =>
  reports.map((report) =>
    report.event === 'job:step' ? `${report.step}:${report.status}` : `finished:${report.state}`,
  );
const happyTrail = (steps: readonly string[]) => [
  ...steps.flatMap((step) => [`${step}:started`, `${step}:succeeded`]),
  'finished:succeeded',
];

describe('unlock through pcscd and the virtual card', () => {
  it('proves the card with 9E, gets the PUK and sets the new code typed twice in the local UI', async () => {
    const card = createCard('ordinary');
    await insert(card);
    await personalise(card, '9e', { blockPin: true });
    expect(rig.state(card).pin.triesLeft).toBe(0);
    const { ui } = await startAgentWithCard();
    const offer = offerOf('unlock', card);
    expect(await server.offer(offer)).toEqual({ accepted: true });

    const prompt = await promptOverHttp(ui);
    expect(prompt).toMatchObject({ kind: 'new_pin', cardSerial: card.serial, submitText: 'Lås upp kort' });
    const newPin = '26481357';
    secrets.push(newPin);
    const mismatch = await postOverHttp(ui, '/api/new-pin', {
      promptId: prompt.promptId,
      pin: newPin,
      repeat: '26481358',
    });
    expect(mismatch.status).toBe(400);
    expect(await mismatch.json()).toMatchObject({ error: 'new_pin_mismatch' });
    expect(rig.state(card).pin.triesLeft).toBe(0);
    const accepted = await postOverHttp(ui, '/api/new-pin', {
      promptId: prompt.promptId,
      pin: newPin,
      repeat: newPin,
    });
    expect(accepted.status).toBe(204);

    expect(await server.waitForOutcome(offer.jobId)).toMatchObject({ state: 'succeeded' });
    expect(trail(server.reports(offer.jobId))).toEqual(happyTrail(jobSteps.unlock));
    expect(server.exchanges.filter((e) => e.jobId === offer.jobId).map((e) => e.type)).toEqual([
      'prove_card',
    ]);
    expect(rig.state(card).pin.triesLeft).toBe(3);
    expect((await stateOverHttp(ui)).result).toEqual({ ok: true, text: 'Kortet är upplåst', confirm: true });
    expect((await postOverHttp(ui, '/api/dismiss', {})).status).toBe(204);
    expect((await stateOverHttp(ui)).result).toBeUndefined();

    await agent!.stop();
    agent = undefined;
    const piv = await rig.open(inserted!.readerName, { logger });
    await piv.verifyPin(newPin);
    await piv.close();
  }, 60_000);
});

describe('activate through pcscd and the virtual card', () => {
  it('writes certificates for new keys in 9A, 9C and 9E after the envelope code; 9D stays as it was', async () => {
    const card = createCard('reserve');
    await insert(card);
    await personalise(card, '9d');
    const transportKey = rig.state(card).keys['9d'];
    const { ui } = await startAgentWithCard();
    const offer = offerOf('activate', card);
    expect(await server.offer(offer)).toEqual({ accepted: true });
    const prompt = await promptOverHttp(ui);
    expect(prompt).toMatchObject({
      kind: 'pin',
      title: 'Aktivera reservkort',
      label: 'Ange säkerhetskod (PIN1)',
    });
    expect((await submitOverHttp(ui, prompt.promptId, card.pin)).status).toBe(204);

    expect(await server.waitForOutcome(offer.jobId, 30_000)).toMatchObject({ state: 'succeeded' });
    expect(trail(server.reports(offer.jobId))).toEqual(happyTrail(jobSteps.activate));
    expect(server.exchanges.filter((e) => e.jobId === offer.jobId).map((e) => e.type)).toEqual([
      'prove_card',
      'request_certificates',
      'confirm_certificates',
    ]);
    const state = rig.state(card);
    expect(Object.keys(state.keys).sort()).toEqual(['9a', '9c', '9d', '9e']);
    expect(state.keys['9d']).toEqual(transportKey);

    await agent!.stop();
    agent = undefined;
    const issued = server.issued.get(offer.jobId)!;
    const piv = await rig.open(inserted!.readerName, { logger });
    expect(await piv.readCertificate('9a')).toEqual(issued.authentication);
    expect(await piv.readCertificate('9c')).toEqual(issued.signature);
    expect(await piv.readCertificate('9e')).toEqual(issued.cardAuthentication);
    await piv.close();
  }, 60_000);

  it('fails with card_removed when the card is pulled mid-activation; a new job starts over and succeeds', async () => {
    const card = createCard('reserve');
    await insert(card);
    await personalise(card, '9d');
    const transportKey = rig.state(card).keys['9d'];
    const { ui } = await startAgentWithCard();
    server.interceptExchange = async (request) => {
      if (request.type !== 'request_certificates') return undefined;
      await inserted!.remove();
      inserted = undefined;
      return undefined;
    };
    const first = offerOf('activate', card);
    try {
      await server.offer(first);
      await submitOverHttp(ui, (await promptOverHttp(ui)).promptId, card.pin);
      expect(await server.waitForOutcome(first.jobId, 30_000)).toMatchObject({
        state: 'failed',
        error: { code: 'card_removed' },
      });
    } finally {
      server.interceptExchange = () => undefined;
    }
    expect((await stateOverHttp(ui)).result?.text).toBe(
      'Kortet togs ut ur läsaren. Sätt i kortet och försök igen.',
    );
    expect(rig.state(card).keys['9d']).toEqual(transportKey);

    await insert(card);
    await until(() => agent!.view.current().readers.find((r) => r.cardPresent));
    const again = offerOf('activate', card);
    expect(await server.offer(again)).toEqual({ accepted: true });
    await submitOverHttp(ui, (await promptOverHttp(ui)).promptId, card.pin);
    expect(await server.waitForOutcome(again.jobId, 30_000)).toMatchObject({ state: 'succeeded' });
    expect(trail(server.reports(again.jobId))).toEqual(happyTrail(jobSteps.activate));
    expect(rig.state(card).keys['9d']).toEqual(transportKey);
  }, 90_000);
});

describe('secrets of the card jobs', () => {
  it('leave no PIN, PUK or management key in the agent and card logs or the reports (run last)', () => {
    const logs = readFileSync(agentLog, 'utf8') + readFileSync(cardLog, 'utf8');
    const reports = JSON.stringify(server.received);
    expect(logs).toContain('job finished');
    expect(logs).toContain('PIN unblocked');
    expect(secrets.length).toBeGreaterThan(8);
    for (const secret of secrets) {
      const forms = /^\d+$/.test(secret)
        ? [secret, encodePin(secret).toString('hex')]
        : [secret, secret.toUpperCase(), Buffer.from(secret, 'hex').toString('base64')];
      for (const form of forms) {
        expect(logs, `a log holds a secret (${form.length} chars)`).not.toContain(form);
        expect(reports).not.toContain(form);
      }
    }
  });
});
