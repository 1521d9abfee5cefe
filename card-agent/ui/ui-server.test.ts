import { EventEmitter } from 'node:events';
import { request as httpRequest } from 'node:http';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AutoStartAck } from '../../protocol/card-exchange';
import type { JobOffer, JobOutcome } from '../../protocol/jobs';
import { withSlotKey } from '../jobs/fake-readers';
import type { JobReport } from '../jobs/job-execution';
import type { JobRunnerEvents } from '../jobs/job-runner';
import { PinPrompts } from '../jobs/pin-prompts';
import { startJobKit } from '../jobs/plan-test-kit';
import { AgentViewModel } from './agent-view';
import { SupportHelp } from './support-help';
import { startUiServer, type UiServer } from './ui-server';

let ui: UiServer;
let prompts: PinPrompts;
let runner: EventEmitter<JobRunnerEvents>;
let view: AgentViewModel;
let cancels = 0;
let logs: string[];
/** Tokens the UI server handed on to the server link, and what the server answers. */
let autoStarts: string[];
let autoStartAnswer: AutoStartAck;

const MINA_SIDOR = 'https://minasidor.test.siths.se';
const TOKEN = 'aB3-_x7Zq9LmN2pR4tV6wY8zA1cE5gI0kO-jH_uF2dS';
const JOB_ID = '3f9c1b2e-8d4a-4c6f-9e1a-2b3c4d5e6f70';

beforeEach(async () => {
  prompts = new PinPrompts();
  runner = new EventEmitter<JobRunnerEvents>();
  view = new AgentViewModel(runner, prompts);
  cancels = 0;
  logs = [];
  autoStarts = [];
  autoStartAnswer = { ok: true, jobId: JOB_ID };
  ui = await startUiServer({
    view,
    prompts,
    port: 0,
    logger: pino({ level: 'trace' }, { write: (line: string) => logs.push(line) }),
    cancelJob: () => ++cancels > 0,
    serverOrigin: MINA_SIDOR,
    autoStart: async (token) => {
      autoStarts.push(token);
      return autoStartAnswer;
    },
  });
});
afterEach(() => ui.close());

interface Call {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** node:http rather than fetch, so a test can send any Host header. */
interface Answer {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

function call({ method = 'GET', path, headers = {}, body }: Call): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: ui.port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const keyed = (extra: Record<string, string> = {}) => ({
  'x-agent-key': ui.key,
  'content-type': 'application/json',
  ...extra,
});

function openPrompt() {
  const answer = prompts.askPin(
    { jobId: 'job', context: { kind: 'card_check' }, cardSerial: '9752269885719985027', triesLeft: 3 },
    new AbortController().signal,
  );
  let pin: string | undefined;
  answer.then(
    (value) => {
      pin = value;
    },
    () => {},
  );
  return { promptId: prompts.current()!.promptId, answered: () => pin };
}

const postPin = (promptId: string, pin: unknown, headers = keyed()) =>
  call({ method: 'POST', path: '/api/pin', headers, body: JSON.stringify({ promptId, pin }) });

describe('local UI server', () => {
  it('serves the page only with the access key', async () => {
    expect((await call({ path: '/' })).status).toBe(403);
    expect((await call({ path: '/?key=wrong' })).status).toBe(403);
    const page = await call({ path: `/?key=${encodeURIComponent(ui.key)}` });
    expect(page.status).toBe(200);
    expect(page.text).toContain('<title>SITHS eID-app</title>');
    expect(page.text).toContain('Klar att användas');
    expect(page.text).toContain('<label for="pin">Ange säkerhetskod (PIN1)</label>');
    expect(ui.url).toBe(`http://127.0.0.1:${ui.port}/?key=${encodeURIComponent(ui.key)}`);
  });

  it('refuses a Host header that is not loopback (DNS rebinding)', async () => {
    const path = `/?key=${encodeURIComponent(ui.key)}`;
    expect((await call({ path, headers: { host: `evil.example:${ui.port}` } })).status).toBe(403);
    expect((await call({ path, headers: { host: `localhost:${ui.port}` } })).status).toBe(200);
  });

  it('refuses a POST from another origin or without the key header', async () => {
    const { promptId, answered } = openPrompt();
    expect((await postPin(promptId, '123456', keyed({ origin: 'http://evil.example' }))).status).toBe(403);
    const query = `/api/pin?key=${encodeURIComponent(ui.key)}`;
    const noHeader = await call({
      method: 'POST',
      path: query,
      headers: { 'content-type': 'application/json' },
    });
    expect(noHeader.status).toBe(403);
    expect(prompts.current()?.promptId).toBe(promptId);
    expect(answered()).toBeUndefined();
  });

  it('refuses a PIN with letters or of 5 digits with 400; it never reaches the waiting job', async () => {
    const { promptId, answered } = openPrompt();
    for (const pin of ['12a456', '12345', '123456789', 123456, '']) {
      expect((await postPin(promptId, pin)).status).toBe(400);
    }
    const garbage = await call({ method: 'POST', path: '/api/pin', headers: keyed(), body: '{"pin":"1234' });
    expect(garbage.status).toBe(400);
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered()).toBeUndefined();
    expect(prompts.current()?.promptId).toBe(promptId);
  });

  it('hands a valid PIN from this origin to the waiting prompt', async () => {
    const { promptId, answered } = openPrompt();
    const origin = `http://127.0.0.1:${ui.port}`;
    expect((await postPin('another-prompt', '123456')).status).toBe(409);
    expect((await postPin(promptId, '12345678', keyed({ origin }))).status).toBe(204);
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered()).toBe('12345678');
    expect(prompts.current()).toBeUndefined();
  });

  it('passes Avbryt on to the job', async () => {
    expect((await call({ method: 'POST', path: '/api/cancel', headers: keyed(), body: '{}' })).status).toBe(
      204,
    );
    expect(cancels).toBe(1);
  });

  it('streams the view as server-sent events', async () => {
    const response = await fetch(new URL(`/events?key=${encodeURIComponent(ui.key)}`, ui.url));
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(
      /^event: view\ndata: \{"readers":\[\],"messages":\[\],"support":\{"offerHelp":true,"lines":\[\]\},"notices":\[\]\}/,
    );
    openPrompt();
    const next = new TextDecoder().decode((await reader.read()).value);
    expect(next).toContain('"cardSerial":"9752269885719985027"');
    await reader.cancel();
  });
});

function openNewPinPrompt() {
  const answer = prompts.askNewPin(
    { jobId: 'job', cardSerial: '9752269885719985027' },
    new AbortController().signal,
  );
  let pin: string | undefined;
  answer.then(
    (value) => {
      pin = value;
    },
    () => {},
  );
  return { promptId: prompts.current()!.promptId, answered: () => pin };
}

const postNewPin = (promptId: string, pin: unknown, repeat: unknown) =>
  call({
    method: 'POST',
    path: '/api/new-pin',
    headers: keyed(),
    body: JSON.stringify({ promptId, pin, repeat }),
  });

const state = async () => JSON.parse((await call({ path: '/api/state', headers: keyed() })).text);

describe('local UI prompts of the card jobs', () => {
  it('serves a page that can ask for a new code twice and acknowledge a result with OK', async () => {
    const page = await call({ path: `/?key=${encodeURIComponent(ui.key)}` });
    expect(page.text).toContain('<label for="pin-repeat">Upprepa den nya säkerhetskoden</label>');
    expect(page.text).toContain('<button type="button" id="result-ok" hidden>OK</button>');
    expect(page.text).toContain("mismatch: 'Koderna stämmer inte överens. Ange samma kod i båda fälten.'");
    expect(page.text).not.toMatch(/\son[a-z]+=/);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'nonce-[^']+'/);
  });

  it('refuses two different new codes or a bad one with a Swedish message; the prompt stays open', async () => {
    const { promptId, answered } = openNewPinPrompt();
    const mismatch = await postNewPin(promptId, '26481357', '26481358');
    expect(mismatch.status).toBe(400);
    expect(JSON.parse(mismatch.text)).toEqual({
      error: 'new_pin_mismatch',
      message: 'Koderna stämmer inte överens. Ange samma kod i båda fälten.',
    });
    expect((await state()).prompt).toMatchObject({
      promptId,
      kind: 'new_pin',
      notice: 'Koderna stämmer inte överens. Ange samma kod i båda fälten.',
    });
    for (const pin of ['12345', '123456789', '12a456', 123456]) {
      const bad = await postNewPin(promptId, pin, pin);
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.text)).toEqual({
        error: 'invalid_new_pin',
        message: 'Säkerhetskoden är 6-8 siffror.',
      });
    }
    expect((await postPin(promptId, '123456')).status).toBe(409);
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered()).toBeUndefined();
    expect((await postNewPin(promptId, '26481357', '26481357')).status).toBe(204);
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered()).toBe('26481357');
    expect((await state()).prompt).toBeUndefined();
  });

  it('shows "Kortet är upplåst" until OK, then "Klar att användas" again', async () => {
    const jobId = JOB_ID;
    const offer = {
      jobId,
      kind: 'unlock' as const,
      lastSequence: 0,
      stepTimeoutMs: 1,
      userPromptTimeoutMs: 1,
    };
    runner.emit('job-started', offer, 'Reader');
    const finished: JobReport = {
      event: 'job:finished',
      payload: { jobId, sequence: 1, state: 'succeeded', at: Date.now() },
    };
    runner.emit('report', finished);
    expect((await state()).result).toEqual({ ok: true, text: 'Kortet är upplåst', confirm: true });
    expect((await call({ method: 'POST', path: '/api/dismiss', headers: keyed(), body: '{}' })).status).toBe(
      204,
    );
    expect((await state()).result).toBeUndefined();
    expect((await call({ method: 'POST', path: '/api/dismiss', headers: keyed(), body: '{}' })).status).toBe(
      409,
    );
  });

  it('gives each PIN prompt the texts of its context', async () => {
    const signal = new AbortController().signal;
    const ask = async (context: Parameters<PinPrompts['askPin']>[0]['context']) => {
      prompts.askPin({ jobId: 'job', context, cardSerial: '9752316495727304824' }, signal).catch(() => {});
      return (await state()).prompt;
    };
    expect(
      await ask({ kind: 'login', relyingParty: 'https://minasidor.test.siths.se:443/oidc' }),
    ).toMatchObject({
      lines: ['Jag legitimerar mig hos https://minasidor.test.siths.se:443/oidc'],
      question: 'Ange pinkod för SITHS-kort (Legitimering)',
      label: 'Ange säkerhetskod (PIN1)',
      submitText: 'Legitimera',
    });
    expect(await ask({ kind: 'registration' })).toMatchObject({
      title: 'Ditt kort behöver registreras',
      cardSerial: '9752316495727304824',
      submitText: 'Legitimera',
    });
    expect(await ask({ kind: 'activation' })).toMatchObject({
      title: 'Aktivera reservkort',
      label: 'Ange säkerhetskod (PIN1)',
      submitText: 'Aktivera',
    });
    expect(await ask({ kind: 'card_check' })).toMatchObject({ lines: [], submitText: 'Legitimera' });
  });
});

const autoStart = (headers: Record<string, string>, body = JSON.stringify({ autoStartToken: TOKEN })) =>
  call({
    method: 'POST',
    path: '/autostart',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

describe('POST /autostart from the Mina sidor page', () => {
  it('answers the preflight of the server origin, private network access included', async () => {
    const preflight = await call({
      method: 'OPTIONS',
      path: '/autostart',
      headers: {
        origin: MINA_SIDOR,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
        'access-control-request-private-network': 'true',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': MINA_SIDOR,
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type',
      'access-control-max-age': '600',
      'access-control-allow-private-network': 'true',
    });
  });

  it('hands the token to the server without the UI key and answers 202 with the job', async () => {
    const started = await autoStart({ origin: MINA_SIDOR });
    expect(started.status).toBe(202);
    expect(JSON.parse(started.text)).toEqual({ jobId: JOB_ID });
    expect(started.headers['access-control-allow-origin']).toBe(MINA_SIDOR);
    expect(autoStarts).toEqual([TOKEN]);
    expect(logs.join('')).toContain('autostart from the browser');
    expect(logs.join('')).not.toContain(TOKEN);
  });

  it('refuses another origin, no origin and the page own origin, in the preflight as in the POST', async () => {
    for (const origin of ['https://evil.example', `${MINA_SIDOR}:8443`, `http://127.0.0.1:${ui.port}`]) {
      const refused = await autoStart({ origin });
      expect(refused.status).toBe(403);
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await call({ method: 'OPTIONS', path: '/autostart', headers: { origin } });
      expect(preflight.status).toBe(403);
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    }
    expect((await autoStart({})).status).toBe(403);
    expect(autoStarts).toEqual([]);
  });

  it('refuses a Host header that is not loopback', async () => {
    expect((await autoStart({ origin: MINA_SIDOR, host: `minasidor.evil.example:${ui.port}` })).status).toBe(
      403,
    );
    expect(autoStarts).toEqual([]);
  });

  it('refuses a malformed or too large body with 4xx and never forwards it', async () => {
    const origin = { origin: MINA_SIDOR };
    for (const body of [
      '{"autoStartToken":"short"}',
      '{"token":"x"}',
      'not json',
      JSON.stringify({ autoStartToken: `${TOKEN}!` }),
    ]) {
      const refused = await autoStart(origin, body);
      expect(refused.status).toBe(400);
      expect(refused.headers['access-control-allow-origin']).toBe(MINA_SIDOR);
    }
    expect(
      (await autoStart(origin, JSON.stringify({ autoStartToken: TOKEN, pad: 'x'.repeat(400) }))).status,
    ).toBe(413);
    expect((await autoStart({ ...origin, 'content-type': 'text/plain' })).status).toBe(400);
    expect((await call({ path: '/autostart', headers: origin })).status).toBe(405);
    expect(autoStarts).toEqual([]);
  });

  it("passes on the server's refusal: 503 when not connected, 404 for an unknown token", async () => {
    autoStartAnswer = {
      ok: false,
      code: 'not_connected',
      message: 'the agent is not connected to the server',
    };
    const offline = await autoStart({ origin: MINA_SIDOR });
    expect(offline.status).toBe(503);
    expect(JSON.parse(offline.text)).toEqual({
      error: 'not_connected',
      message: 'the agent is not connected to the server',
    });
    autoStartAnswer = { ok: false, code: 'not_found', message: 'Inloggningen hittades inte.' };
    expect((await autoStart({ origin: MINA_SIDOR })).status).toBe(404);
    autoStartAnswer = { ok: false, code: 'card_busy', message: 'Kortet används redan.' };
    expect((await autoStart({ origin: MINA_SIDOR })).status).toBe(409);
  });
});

describe('the code policy for a new PIN, through the loopback page', () => {
  it('refuses a code that breaks the policy with its own Swedish text; none of them reaches the card', async () => {
    const card = await withSlotKey(
      { serial: '9752269885719985027', pin: '482913', triesLeft: 0, puk: '86420975' },
      '9e',
    );
    const kit = startJobKit(card);
    kit.server.secrets = { puk: '86420975' };
    const local = await startUiServer({
      view: kit.view,
      prompts: kit.prompts,
      port: 0,
      logger: pino({ level: 'silent' }),
      cancelJob: () => false,
    });
    try {
      const offer = kit.server.offer({ kind: 'unlock', cardSerial: card.serial });
      expect(await kit.runner.offer(offer)).toEqual({ accepted: true });
      const { promptId } = await kit.nextPrompt();
      expect(kit.view.current().prompt?.lines).toContain(
        'Koden får inte vara en och samma siffra (111111) eller en sifferföljd uppåt eller nedåt (123456, 876543).',
      );
      const post = (pin: string) =>
        fetch(new URL('/api/new-pin', local.url), {
          method: 'POST',
          headers: { 'x-agent-key': local.key, 'content-type': 'application/json' },
          body: JSON.stringify({ promptId, pin, repeat: pin }),
        });
      const refusals = {
        '111111': ['pin_all_same', 'Koden får inte vara en och samma siffra, som 111111. Välj en annan kod.'],
        '1234567': [
          'pin_sequence',
          'Koden får inte vara en sifferföljd uppåt eller nedåt, som 123456 eller 876543. Välj en annan kod.',
        ],
        '98765432': [
          'pin_sequence',
          'Koden får inte vara en sifferföljd uppåt eller nedåt, som 123456 eller 876543. Välj en annan kod.',
        ],
      };
      for (const [pin, [error, message]] of Object.entries(refusals)) {
        const refused = await post(pin);
        expect(refused.status).toBe(400);
        expect(await refused.json()).toEqual({ error, message });
        expect(kit.view.current().prompt).toMatchObject({ promptId, notice: message });
      }
      expect(kit.readers.operations).not.toContain('unblockPin');
      expect(card).toMatchObject({ pin: '482913', triesLeft: 0 });
      expect((await post('1357913')).status).toBe(204);
      expect(await kit.outcome(offer.jobId)).toMatchObject({ state: 'succeeded' });
      expect(card.pin).toBe('1357913');
    } finally {
      await local.close();
    }
  });
});

describe('the window returns to a clean "Klar att användas"', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const offerOf = (kind: JobOffer['kind'], jobId = JOB_ID): JobOffer => ({
    jobId,
    kind,
    lastSequence: 0,
    stepTimeoutMs: 1,
    userPromptTimeoutMs: 1,
  });
  const finish = (jobId: string, state: 'succeeded' | 'failed', error?: JobOutcome['error']) =>
    runner.emit('report', {
      event: 'job:finished',
      payload: { jobId, sequence: 9, state, at: Date.now(), ...(error ? { error } : {}) },
    });

  it("shows a job's result and support's messages for 8 s, then nothing but Klar att användas", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const fresh = new AgentViewModel(runner, prompts);
    runner.emit('job-started', offerOf('authenticate'), 'Reader');
    fresh.supportMessage({ text: 'Skriv in din säkerhetskod.', from: 'Support', at: Date.now() });
    finish(JOB_ID, 'succeeded');
    expect(fresh.current()).toMatchObject({ result: { ok: true, text: 'Du är legitimerad' } });
    expect(fresh.current().messages).toHaveLength(1);
    vi.advanceTimersByTime(7_900);
    expect(fresh.current().result?.text).toBe('Du är legitimerad');
    vi.advanceTimersByTime(200);
    expect(fresh.current()).toEqual({
      readers: [],
      messages: [],
      support: { offerHelp: true, lines: [] },
      notices: [],
    });

    runner.emit('job-started', offerOf('authenticate', '3f9c1b2e-8d4a-4c6f-9e1a-2b3c4d5e6f71'), 'Reader');
    finish('3f9c1b2e-8d4a-4c6f-9e1a-2b3c4d5e6f71', 'failed', {
      code: 'reserve_card_not_activated',
      message: 'not activated',
    });
    expect(fresh.current().result?.text).toMatch(/^Felkod 2004/);
    vi.advanceTimersByTime(8_000);
    expect(fresh.current().result).toBeUndefined();
  });

  it('clears a result at once when the card is removed or the next job starts', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const fresh = new AgentViewModel(runner, prompts, { resultMs: 60_000 });
    fresh.readersChanged([{ name: 'Reader', cardPresent: true }]);
    runner.emit('job-started', offerOf('card_check'), 'Reader');
    finish(JOB_ID, 'succeeded');
    expect(fresh.current().result?.text).toBe('Klart');
    fresh.readersChanged([{ name: 'Reader', cardPresent: false }]);
    expect(fresh.current().result).toBeUndefined();

    fresh.readersChanged([{ name: 'Reader', cardPresent: true }]);
    runner.emit('job-started', offerOf('card_check'), 'Reader');
    finish(JOB_ID, 'failed', { code: 'card_error', message: 'x' });
    expect(fresh.current().result?.ok).toBe(false);
    runner.emit('job-started', offerOf('card_check', '3f9c1b2e-8d4a-4c6f-9e1a-2b3c4d5e6f72'), 'Reader');
    expect(fresh.current().result).toBeUndefined();
  });
});

describe('"Få hjälp av support" on the page', () => {
  it('has the button, and the page groups the code and counts down', async () => {
    const page = await call({ path: `/?key=${encodeURIComponent(ui.key)}` });
    expect(page.text).toContain('<button type="button" id="support-help">Få hjälp av support</button>');
    expect(page.text).toContain('id="support-code"');
    expect(page.text).toContain('id="support-countdown"');
  });

  it('asks the server through POST /api/support-code and shows the answer in the view', async () => {
    const asks: number[] = [];
    const help = new SupportHelp(async () => {
      asks.push(Date.now());
      return { ok: true, supportCode: '123456', expiresAt: Date.now() + 300_000 };
    });
    const withHelp = new AgentViewModel(runner, prompts, { support: help });
    const local = await startUiServer({
      view: withHelp,
      prompts,
      port: 0,
      logger: pino({ level: 'silent' }),
      cancelJob: () => false,
      supportHelp: help,
    });
    try {
      const asked = await fetch(new URL('/api/support-code', local.url), {
        method: 'POST',
        headers: { 'x-agent-key': local.key, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(asked.status).toBe(202);
      await vi.waitFor(() => expect(withHelp.current().support.code).toBe('123 456'));
      expect(withHelp.current().support).toMatchObject({
        offerHelp: false,
        lines: ['Läs upp koden för supporten. Den gäller i 5 minuter.'],
      });
      expect(asks).toHaveLength(1);
      const noKey = await fetch(new URL('/api/support-code', local.url), { method: 'POST', body: '{}' });
      expect(noKey.status).toBe(403);
    } finally {
      await local.close();
    }
  });
});
