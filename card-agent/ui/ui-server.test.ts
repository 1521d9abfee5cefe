import { EventEmitter } from 'node:events';
import { request as httpRequest } from 'node:http';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobRunnerEvents } from '../jobs/job-runner';
import { PinPrompts } from '../jobs/pin-prompts';
import { AgentViewModel } from './agent-view';
import { startUiServer, type UiServer } from './ui-server';

let ui: UiServer;
let prompts: PinPrompts;
let cancels = 0;

beforeEach(async () => {
  prompts = new PinPrompts();
  const view = new AgentViewModel(new EventEmitter<JobRunnerEvents>(), prompts);
  cancels = 0;
  ui = await startUiServer({
    view,
    prompts,
    port: 0,
    logger: pino({ level: 'silent' }),
    cancelJob: () => ++cancels > 0,
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
function call({ method = 'GET', path, headers = {}, body }: Call): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: ui.port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
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
    expect(first).toMatch(/^event: view\ndata: \{"readers":\[\],"messages":\[\]\}/);
    openPrompt();
    const next = new TextDecoder().decode((await reader.read()).value);
    expect(next).toContain('"cardSerial":"9752269885719985027"');
    await reader.cancel();
  });
});
