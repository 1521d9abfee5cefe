import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobOffer } from '../../protocol/jobs';
import type { VirtualCardProcess } from '../../test-support/pcscd';
import { type Agent, startAgent } from '../agent';
import { encodePin } from '../piv/pin';
import { type TestCard, TestRig } from '../virtual-card/test-rig';
import { promptOverHttp, stateOverHttp, submitOverHttp, until } from './local-ui-client';
import { TEST_TOKEN, TestAgentServer } from './test-agent-server';

const rig = new TestRig();
let server: TestAgentServer;
let agent: Agent | undefined;
let inserted: VirtualCardProcess | undefined;
let card: TestCard;
const agentLog = join(rig.stateDir, 'agent.log');
const cardLog = join(rig.stateDir, 'card.log');
const pinsUsed: string[] = [];

beforeAll(async () => {
  await rig.start({ waitForFreeMs: 240_000 });
  server = await TestAgentServer.start();
}, 300_000);

afterAll(async () => {
  await server?.close();
  await rig.stop();
});

afterEach(async () => {
  await agent?.stop();
  await inserted?.remove();
  agent = undefined;
  inserted = undefined;
});

async function cardInAgent(): Promise<{ agent: Agent; offer: JobOffer }> {
  card = rig.createCard();
  pinsUsed.push(card.pin);
  inserted = await rig.insert(card, { logFile: cardLog });
  const logger = pino({ level: 'trace' }, pino.destination({ dest: agentLog, sync: true }));
  const started = await startAgent({ serverUrl: server.url, deviceToken: TEST_TOKEN, logger, uiPort: 0 });
  agent = started;
  await server.whenConnected();
  await until(() =>
    started.view.current().readers.find((r) => r.name === inserted!.readerName && r.cardPresent),
  );
  const offer: JobOffer = {
    jobId: crypto.randomUUID(),
    kind: 'card_check',
    cardSerial: card.serial,
    lastSequence: 0,
    stepTimeoutMs: 10_000,
    userPromptTimeoutMs: 20_000,
  };
  return { agent: started, offer };
}

describe('card_check through pcscd and the virtual card', () => {
  it('verifies the PIN typed into the local UI and reports the card', async () => {
    const { agent, offer } = await cardInAgent();
    expect(await server.offer(offer)).toEqual({ accepted: true });
    const prompt = await promptOverHttp(agent.ui);
    expect(prompt).toMatchObject({ cardSerial: card.serial, triesLeft: 3 });
    expect((await submitOverHttp(agent.ui, prompt.promptId, card.pin)).status).toBe(204);
    expect(await server.waitForOutcome(offer.jobId)).toMatchObject({ state: 'succeeded' });
    const verified = server.reports(offer.jobId).at(-2);
    expect(verified).toMatchObject({
      step: 'card_verified',
      status: 'succeeded',
      progress: 100,
      card: { readerName: inserted!.readerName, cardSerial: card.serial, pinTriesLeft: 3 },
    });
    expect((await stateOverHttp(agent.ui)).result).toEqual({ ok: true, text: 'Klart' });
    expect(JSON.stringify(server.received)).not.toContain(card.pin);
  });

  it('counts a wrong PIN down on the card and asks again', async () => {
    const { agent, offer } = await cardInAgent();
    await server.offer(offer);
    const first = await promptOverHttp(agent.ui);
    const wrong = card.pin === '000000' ? '111111' : '000000';
    pinsUsed.push(wrong);
    await submitOverHttp(agent.ui, first.promptId, wrong);
    const failed = await server.waitFor(offer.jobId, (r) => r.event === 'job:step' && r.status === 'failed');
    expect(failed).toMatchObject({
      step: 'card_verified',
      error: { code: 'wrong_pin' },
      card: { pinTriesLeft: 2 },
    });
    expect(rig.state(card).pin.triesLeft).toBe(2);
    const second = await promptOverHttp(agent.ui, first.promptId);
    expect(second).toMatchObject({ triesLeft: 2, notice: 'Fel PIN-kod. Du har 2 försök kvar.' });
    await submitOverHttp(agent.ui, second.promptId, card.pin);
    expect(await server.waitForOutcome(offer.jobId)).toMatchObject({ state: 'succeeded' });
    expect(rig.state(card).pin.triesLeft).toBe(3);
  });

  it('fails waiting_for_user with card_removed when the card is pulled, and a retry succeeds', async () => {
    const { agent, offer } = await cardInAgent();
    await server.offer(offer);
    await promptOverHttp(agent.ui);
    await inserted!.remove();
    inserted = undefined;
    expect(await server.waitForOutcome(offer.jobId)).toMatchObject({
      state: 'failed',
      error: { code: 'card_removed' },
    });
    expect(server.reports(offer.jobId).at(-2)).toMatchObject({
      step: 'waiting_for_user',
      status: 'failed',
      error: { code: 'card_removed' },
    });
    expect((await stateOverHttp(agent.ui)).result?.text).toBe(
      'Kortet togs ut ur läsaren. Sätt i kortet och försök igen.',
    );
    expect(rig.state(card).pin.triesLeft).toBe(3);

    inserted = await rig.insert(card, { logFile: cardLog });
    const lastSequence = server.reports(offer.jobId).at(-1)!.sequence;
    await until(() => agent.view.current().readers.find((r) => r.cardPresent));
    expect(await server.offer({ ...offer, lastSequence })).toEqual({ accepted: true });
    const prompt = await promptOverHttp(agent.ui);
    await submitOverHttp(agent.ui, prompt.promptId, card.pin);
    await server.waitFor(offer.jobId, (r) => r.event === 'job:finished' && r.state === 'succeeded');
  });

  it('leaves no PIN typed in this run in the agent or card logs (run last)', () => {
    const logs = readFileSync(agentLog, 'utf8') + readFileSync(cardLog, 'utf8');
    expect(logs).toContain('job finished');
    expect(pinsUsed.length).toBeGreaterThan(3);
    for (const pin of pinsUsed) {
      expect(logs).not.toContain(pin);
      expect(logs).not.toContain(encodePin(pin).toString('hex'));
    }
  });
});
