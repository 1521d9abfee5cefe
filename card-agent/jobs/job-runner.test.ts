import { randomBytes, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobOffer } from '../../protocol/jobs';
import { type Agent, type AgentOptions, startAgent } from '../agent';
import { FakeReaders, withSlotKey } from './fake-readers';
import { type Stored, TEST_TOKEN, TestAgentServer } from './test-agent-server';

const READER = 'Virtual PCD 00 00';
const SERIAL = '9752269885719985027';
const PIN = '482913';

let server: TestAgentServer;
let agent: Agent;
let readers: FakeReaders;
let logLines: string[];

async function setup(options: Pick<AgentOptions, 'serialReadTimeoutMs'> = {}) {
  server = await TestAgentServer.start();
  readers = new FakeReaders();
  readers.addReader(READER, { serial: SERIAL, pin: PIN, triesLeft: 3 });
  logLines = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => logLines.push(line) });
  agent = await startAgent({
    serverUrl: server.url,
    deviceToken: TEST_TOKEN,
    logger,
    uiPort: 0,
    readers,
    outbox: { ackTimeoutMs: 300, retryDelayMs: 50 },
    ...options,
  });
  await server.whenConnected();
}

afterEach(async () => {
  await agent?.stop();
  await server?.close();
});

function offerOf(overrides: Partial<JobOffer> = {}): JobOffer {
  return {
    jobId: randomUUID(),
    kind: 'card_check',
    cardSerial: SERIAL,
    lastSequence: 0,
    stepTimeoutMs: 5_000,
    userPromptTimeoutMs: 10_000,
    ...overrides,
  };
}

async function waitUntil<T>(probe: () => T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The next open PIN prompt other than `previous`. */
const nextPrompt = (previous?: string) =>
  waitUntil(() => {
    const prompt = agent.prompts.current();
    return prompt && prompt.promptId !== previous ? prompt : undefined;
  }, 'a PIN prompt');

const trail = (reports: Stored[]) =>
  reports.map((report) =>
    report.event === 'job:step' ? `${report.step}:${report.status}` : `finished:${report.state}`,
  );

const happyTrail = [
  'reader_found:started',
  'reader_found:succeeded',
  'card_present:started',
  'card_present:succeeded',
  'card_read:started',
  'card_read:succeeded',
  'waiting_for_user:started',
  'waiting_for_user:succeeded',
  'card_verified:started',
  'card_verified:succeeded',
  'finished:succeeded',
];

describe('card_check job', () => {
  it('reports every step start and end in order, numbered from lastSequence + 1, with the card state', async () => {
    await setup();
    const offer = offerOf({ lastSequence: 4 });
    server.firstSequence.set(offer.jobId, 5);
    expect(await server.offer(offer)).toEqual({ accepted: true });
    const prompt = await nextPrompt();
    expect(prompt).toMatchObject({ cardSerial: SERIAL, triesLeft: 3 });
    expect(agent.prompts.submit(prompt.promptId, PIN)).toBe('accepted');
    await server.waitForOutcome(offer.jobId);

    const reports = server.reports(offer.jobId);
    expect(trail(reports)).toEqual(happyTrail);
    expect(reports.map((report) => report.sequence)).toEqual(reports.map((_, index) => 5 + index));
    const verified = reports.find(
      (r) => r.event === 'job:step' && r.step === 'card_verified' && r.status === 'succeeded',
    );
    expect(verified).toMatchObject({
      progress: 100,
      card: { readerName: READER, cardSerial: SERIAL, pinTriesLeft: 3, atr: expect.any(String) },
    });
    expect(verified).toHaveProperty('durationMs');
    expect(readers.pinsTried).toEqual([PIN]);
    expect(JSON.stringify(server.received)).not.toContain(PIN);
    expect(logLines.join('')).not.toContain(PIN);
  });

  it('fails card_verified with wrong_pin and the tries left, then asks again', async () => {
    await setup();
    const offer = offerOf();
    await server.offer(offer);
    const first = await nextPrompt();
    agent.prompts.submit(first.promptId, '000000');
    const second = await nextPrompt(first.promptId);
    expect(second).toMatchObject({ retry: true, triesLeft: 2 });
    expect(agent.view.current().prompt?.notice).toBe('Fel PIN-kod. Du har 2 försök kvar.');
    agent.prompts.submit(second.promptId, PIN);
    expect(await server.waitForOutcome(offer.jobId)).toMatchObject({ state: 'succeeded' });
    const wrong = server
      .reports(offer.jobId)
      .find((report) => report.event === 'job:step' && report.status === 'failed');
    expect(wrong).toMatchObject({
      step: 'card_verified',
      error: { code: 'wrong_pin' },
      card: { pinTriesLeft: 2 },
    });
  });

  it('fails with pin_blocked after the last wrong PIN', async () => {
    await setup();
    const offer = offerOf();
    await server.offer(offer);
    let previous: string | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const prompt = await nextPrompt(previous);
      previous = prompt.promptId;
      agent.prompts.submit(prompt.promptId, '000000');
    }
    expect(await server.waitForOutcome(offer.jobId)).toMatchObject({
      state: 'failed',
      error: { code: 'pin_blocked' },
    });
    expect(agent.view.current().result).toEqual({
      ok: false,
      text: 'PIN-koden är spärrad. Lås upp kortet på SITHS Mina sidor eller tryck på Få hjälp av support.',
    });
  });

  it('proves a card whose PIN the last wrong try blocked with one 9E prove_card, then fails pin_blocked', async () => {
    await setup();
    const card = await withSlotKey({ serial: SERIAL, pin: PIN, triesLeft: 1 }, '9e');
    readers.insert(READER, card);
    const offer = offerOf({ cardSerial: undefined, challenge: randomBytes(32).toString('base64url') });
    let finishedBeforeProof: boolean | undefined;
    server.interceptExchange = () => {
      finishedBeforeProof = server.reports(offer.jobId).some((report) => report.event === 'job:finished');
      return undefined;
    };
    await server.offer(offer);
    agent.prompts.submit((await nextPrompt()).promptId, '135790');
    expect(await server.waitForOutcome(offer.jobId)).toMatchObject({
      state: 'failed',
      error: { code: 'pin_blocked' },
    });
    expect(server.exchanges.map((request) => request.type)).toEqual(['prove_card']);
    expect(server.exchanges[0]).toMatchObject({ certificate: card.certificates!['9e']!.toString('base64') });
    expect(finishedBeforeProof).toBe(false);
    expect(readers.operations.filter((operation) => operation.startsWith('sign'))).toEqual(['sign 9e']);
    expect(JSON.stringify(server.exchanges)).not.toContain('135790');
  });

  it('fails card_read with wrong_card when another card is in the named reader', async () => {
    await setup();
    const offer = offerOf({ readerName: READER, cardSerial: '9752000000000000001' });
    expect(await server.offer(offer)).toEqual({ accepted: true });
    expect(await server.waitForOutcome(offer.jobId)).toMatchObject({ error: { code: 'wrong_card' } });
    expect(trail(server.reports(offer.jobId)).slice(-2)).toEqual(['card_read:failed', 'finished:failed']);
  });
});

describe('job offers', () => {
  it('refuses malformed offers, a second job while busy and cards it cannot find', async () => {
    await setup();
    expect(await server.offer({ jobId: 'nope', kind: 'card_check' })).toMatchObject({
      accepted: false,
      error: { code: 'internal' },
    });
    expect(await server.offer(offerOf({ cardSerial: '9752000000000000001' }))).toMatchObject({
      accepted: false,
      error: { code: 'no_card' },
    });
    expect(await server.offer(offerOf({ readerName: 'No Such Reader' }))).toMatchObject({
      accepted: false,
      error: { code: 'reader_not_found' },
    });
    const running = offerOf();
    expect(await server.offer(running)).toEqual({ accepted: true });
    expect(await server.offer(offerOf())).toMatchObject({ accepted: false, error: { code: 'agent_busy' } });
    expect(await server.offer(running)).toEqual({ accepted: true });
    await server.waitFor(running.jobId, (r) => r.event === 'job:step' && r.step === 'waiting_for_user');
    expect(trail(server.reports(running.jobId)).filter((step) => step === 'card_read:started')).toHaveLength(
      1,
    );
  });

  it('refuses a job with two usable cards in the readers in words the user can act on, in the window too', async () => {
    await setup();
    readers.addReader('Virtual PCD 00 01', { serial: '9752316495727304824', pin: PIN, triesLeft: 3 });
    const several = 'Flera kort i läsarna. Ta ut de kort du inte ska använda.';
    for (const kind of ['authenticate', 'card_check'] as const) {
      expect(await server.offer(offerOf({ kind, cardSerial: undefined }))).toEqual({
        accepted: false,
        error: { code: 'several_cards', message: several },
      });
      expect(agent.view.current().result).toEqual({ ok: false, text: several });
    }
  });

  it('reports the serial of each card, read from its CHUID without a PIN, in reader events and hello', async () => {
    await setup();
    await waitUntil(() => server.hellos[0], 'the hello');
    readers.remove(READER);
    readers.insert(READER, { serial: SERIAL, pin: PIN, triesLeft: 3 });
    const second = 'Virtual PCD 00 01';
    readers.addReader(second);
    readers.insert(second, { serial: '9752316495727304824', pin: PIN, triesLeft: 3 });
    const inserted = await waitUntil(
      () => server.readerEvents.filter((event) => event.kind === 'card-inserted')[1],
      'two card-inserted events',
    );
    expect(inserted.reader).toMatchObject({ name: second, cardSerial: '9752316495727304824' });
    expect(inserted.readers.map((reader) => reader.cardSerial)).toEqual([SERIAL, '9752316495727304824']);
    expect(readers.operations).not.toContain('verifyPin');

    server.dropConnection();
    await waitUntil(() => (server.hellos.length > 1 ? true : undefined), 'a second hello');
    expect(server.hellos.at(-1)?.readers).toEqual([
      { name: READER, cardPresent: true, atr: '3b8c80018025a0000003080000', cardSerial: SERIAL },
      {
        name: second,
        cardPresent: true,
        atr: '3b8c80018025a0000003080000',
        cardSerial: '9752316495727304824',
      },
    ]);
    readers.remove(second);
    const removed = await waitUntil(
      () => server.readerEvents.filter((event) => event.kind === 'card-removed')[1],
      'the second card-removed event',
    );
    expect(removed.reader).toEqual({ name: second, cardPresent: false });
  });

  it('leaves the serial out when the card cannot be read, and still reports the card', async () => {
    await setup();
    const open = readers.openSession.bind(readers);
    readers.openSession = async (name) => ({
      ...(await open(name)),
      readCardSerial: async () => {
        throw new Error('no CHUID');
      },
    });
    await waitUntil(() => server.hellos[0], 'the hello');
    readers.addReader('Virtual PCD 00 01');
    readers.insert('Virtual PCD 00 01', { serial: '9752316495727304824', pin: PIN, triesLeft: 3 });
    const inserted = await waitUntil(
      () => server.readerEvents.find((event) => event.kind === 'card-inserted'),
      'a card-inserted event',
    );
    expect(inserted.reader).toEqual({
      name: 'Virtual PCD 00 01',
      cardPresent: true,
      atr: '3b8c80018025a0000003080000',
    });
  });

  it('gives up a serial read that hangs: the card is reported without it and a job on it still runs', async () => {
    await setup({ serialReadTimeoutMs: 200 });
    await waitUntil(() => server.hellos[0], 'the hello');
    const open = readers.openSession.bind(readers);
    let hang = true;
    readers.openSession = async (name) => {
      const session = await open(name);
      if (!hang) return session;
      hang = false;
      return { ...session, readCardSerial: () => new Promise<never>(() => {}) };
    };
    readers.remove(READER);
    readers.insert(READER, { serial: SERIAL, pin: PIN, triesLeft: 3 });
    const inserted = await waitUntil(
      () => server.readerEvents.find((event) => event.kind === 'card-inserted'),
      'a card-inserted event',
    );
    expect(inserted.reader.cardSerial).toBeUndefined();
    const offer = offerOf();
    expect(await server.offer(offer)).toEqual({ accepted: true });
    agent.prompts.submit((await nextPrompt()).promptId, PIN);
    expect(await server.waitForOutcome(offer.jobId)).toMatchObject({ state: 'succeeded' });
  });

  it('ignores malformed server messages and keeps working', async () => {
    await setup();
    server.emitRaw('job:cancel', 'garbage');
    server.emitRaw('job:cancel', { jobId: 42 });
    server.emitRaw('support:message', { text: 5 });
    server.emitRaw('support:message', null);
    server.emitRaw('job:offer', offerOf());
    server.emitRaw('job:offer', null, 'not a function');
    const offer = offerOf();
    expect(await server.offer(offer)).toEqual({ accepted: true });
    agent.prompts.submit((await nextPrompt()).promptId, PIN);
    expect(await server.waitForOutcome(offer.jobId)).toMatchObject({ state: 'succeeded' });
    expect(agent.view.current().messages).toEqual([]);
  });

  it('shows support messages in the view', async () => {
    await setup();
    server.message('Hej! Sätt i kortet så hjälper jag dig.');
    const messages = await waitUntil(() => {
      const shown = agent.view.current().messages;
      return shown.length ? shown : undefined;
    }, 'a support message');
    expect(messages[0]).toMatchObject({ text: 'Hej! Sätt i kortet så hjälper jag dig.', from: 'Support' });
  });
});

describe('cancel and card loss', () => {
  it('closes the PIN prompt and reports cancelled_by_support when support cancels', async () => {
    await setup();
    const offer = offerOf();
    await server.offer(offer);
    await nextPrompt();
    server.cancel(offer.jobId);
    expect(await server.waitForOutcome(offer.jobId)).toMatchObject({
      state: 'cancelled',
      error: { code: 'cancelled_by_support' },
    });
    expect(agent.prompts.current()).toBeUndefined();
    expect(trail(server.reports(offer.jobId)).slice(-2)).toEqual([
      'waiting_for_user:failed',
      'finished:cancelled',
    ]);
  });

  it('ends the job with the server’s reason: the user’s AVBRYT on Mina sidor is the user’s, not support’s', async () => {
    await setup();
    const offer = offerOf();
    await server.offer(offer);
    await nextPrompt();
    server.emitRaw('job:cancel', { jobId: offer.jobId, code: 'because' });
    server.cancel(offer.jobId, 'user_cancelled');
    expect(await server.waitForOutcome(offer.jobId)).toMatchObject({
      state: 'cancelled',
      error: { code: 'user_cancelled' },
    });
    expect(agent.prompts.current()).toBeUndefined();
  });

  it('ends the job as failed when the server says a step took too long', async () => {
    await setup();
    const offer = offerOf();
    await server.offer(offer);
    await nextPrompt();
    server.cancel(offer.jobId, 'step_timeout');
    expect(await server.waitForOutcome(offer.jobId)).toMatchObject({
      state: 'failed',
      error: { code: 'step_timeout' },
    });
  });

  it('reports user_cancelled when the user presses Avbryt in the local UI', async () => {
    await setup();
    const offer = offerOf();
    await server.offer(offer);
    await nextPrompt();
    const response = await fetch(new URL('/api/cancel', agent.ui.url), {
      method: 'POST',
      headers: { 'x-agent-key': agent.ui.key, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(204);
    expect(await server.waitForOutcome(offer.jobId)).toMatchObject({
      state: 'cancelled',
      error: { code: 'user_cancelled' },
    });
  });

  it('fails waiting_for_user with card_removed when the card is pulled, and the job can be retried', async () => {
    await setup();
    const offer = offerOf();
    await server.offer(offer);
    await nextPrompt();
    readers.remove(READER);
    expect(await server.waitForOutcome(offer.jobId)).toMatchObject({ error: { code: 'card_removed' } });
    const failed = server
      .reports(offer.jobId)
      .find((report) => report.event === 'job:step' && report.status === 'failed');
    expect(failed).toMatchObject({ step: 'waiting_for_user', error: { code: 'card_removed' } });
    expect(agent.view.current().result?.text).toBe(
      'Kortet togs ut ur läsaren. Sätt i kortet och försök igen.',
    );

    readers.insert(READER, { serial: SERIAL, pin: PIN, triesLeft: 3 });
    const lastSequence = server.reports(offer.jobId).at(-1)!.sequence;
    expect(await server.offer({ ...offer, lastSequence })).toEqual({ accepted: true });
    agent.prompts.submit((await nextPrompt()).promptId, PIN);
    await server.waitFor(
      offer.jobId,
      (report) => report.event === 'job:finished' && report.state === 'succeeded',
    );
    const sequences = server.reports(offer.jobId).map((report) => report.sequence);
    expect(sequences).toEqual(sequences.map((_, index) => index + 1));
  });
});

describe('report delivery', () => {
  it('keeps reports through a dropped connection and re-sends them in order, none lost or doubled', async () => {
    await setup();
    const offer = offerOf();
    await server.offer(offer);
    const prompt = await nextPrompt();
    server.dropConnection();
    await waitUntil(() => (agent.socket.connected ? undefined : true), 'the agent to notice');
    agent.prompts.submit(prompt.promptId, PIN);
    await waitUntil(() => (agent.outbox.undelivered(offer.jobId) >= 4 ? true : undefined), 'queued reports');
    expect(server.reports(offer.jobId).some((report) => report.event === 'job:finished')).toBe(false);
    await server.waitForOutcome(offer.jobId);
    expect(trail(server.reports(offer.jobId))).toEqual(happyTrail);
    await agent.outbox.drained();
  });

  it('sends a report again when its ack is lost; the server keeps it once', async () => {
    await setup();
    let lost = 0;
    server.intercept = (report) =>
      report.event === 'job:step' && report.step === 'card_read' && lost++ < 2 ? 'lose-ack' : undefined;
    const offer = offerOf();
    await server.offer(offer);
    agent.prompts.submit((await nextPrompt()).promptId, PIN);
    await server.waitForOutcome(offer.jobId);
    expect(trail(server.reports(offer.jobId))).toEqual(happyTrail);
    const cardReadSent = server.received.filter((r) => r.event === 'job:step' && r.step === 'card_read');
    expect(cardReadSent.length).toBeGreaterThan(2);
  });

  it('drops a job the server no longer knows, stops running it and takes the next job', async () => {
    await setup();
    const gone = offerOf();
    server.intercept = (report) =>
      report.jobId === gone.jobId && report.sequence >= 3
        ? { ok: false, code: 'not_found', message: 'gone' }
        : undefined;
    await server.offer(gone);
    await waitUntil(() => (agent.runner.runningJobId ? undefined : true), 'the job to stop');
    expect(agent.outbox.undelivered(gone.jobId)).toBe(0);
    expect(agent.prompts.current()).toBeUndefined();
    const next = offerOf();
    expect(await server.offer(next)).toEqual({ accepted: true });
  });
});
