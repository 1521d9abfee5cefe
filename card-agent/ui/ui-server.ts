import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AutoStartAck, autoStartSchema } from '../../protocol/card-exchange';
import type { PinPrompts } from '../jobs/pin-prompts';
import type { Logger } from '../pcsc/logger';
import type { AgentViewModel } from './agent-view';
import type { SupportHelp } from './support-help';
import { newPinProblems, sv } from './sv';

export interface UiServerOptions {
  view: AgentViewModel;
  prompts: PinPrompts;
  /** The user pressed Avbryt: cancels the running job, if any. */
  cancelJob(): boolean;
  logger: Logger;
  /** 0 picks a free port. */
  port?: number;
  /** Required on every request but /autostart; random per start when not given. */
  key?: string;
  /** The origin of the server the agent works for (SITHS_SERVER_URL): its Mina sidor page may call /autostart. */
  serverOrigin?: string;
  /** Hands a start token from the user's browser to the server. */
  autoStart?(autoStartToken: string): Promise<AutoStartAck>;
  /** "Få hjälp av support": asks the server for a one-time code; the view shows the answer. */
  supportHelp?: SupportHelp;
  /** The enrolment form: enrols the computer with the typed code; false when no enrolment is awaited. */
  enrol?(code: string): boolean;
}

export interface UiServer {
  url: string;
  port: number;
  key: string;
  close(): Promise<void>;
}

export const KEY_HEADER = 'x-agent-key';
const MAX_BODY = 1_024;
const AUTOSTART_MAX_BODY = 256;
const page = Object.entries(sv).reduce(
  (html, [name, text]) => (typeof text === 'string' ? html.replaceAll(`{{${name}}}`, text) : html),
  readFileSync(new URL('./page.html', import.meta.url), 'utf8'),
);

/**
 * The "SITHS eID-app" window: a page on loopback only. Every request needs the access key; the
 * Host header must name loopback (no DNS rebinding) and a POST must come from this page's origin.
 * A code posted here goes to the waiting prompt and nowhere else; request bodies are never logged.
 * The one exception is /autostart, called by the server's Mina sidor page through CORS: no key, but
 * only from that exact origin, and all it can do is hand the server a start token it issued.
 */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const key = options.key ?? randomBytes(24).toString('base64url');
  const log = options.logger.child({ component: 'ui-server' });
  let port = 0;
  const server = createServer((request, response) => {
    handle(request, response, { ...options, key, port, log }).catch(() => {
      log.warn({ path: request.url?.split('?')[0] }, 'local UI request failed');
      if (!response.headersSent) send(response, 500, { error: 'internal' });
      else response.end();
    });
  });
  await listen(server, options.port ?? 8790);
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/?key=${encodeURIComponent(key)}`;
  return { url, port, key, close: () => closeServer(server) };
}

type Context = UiServerOptions & { key: string; port: number; log: Logger };

async function handle(request: IncomingMessage, response: ServerResponse, context: Context) {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  if (!hostAllowed(request.headers.host, context.port)) return send(response, 403, { error: 'host' });
  if (url.pathname === '/autostart') return autoStart(request, response, context);
  // A POST must carry the key in a header, which a page of another origin cannot add without CORS.
  const key = request.headers[KEY_HEADER] ?? (request.method === 'GET' ? url.searchParams.get('key') : null);
  if (!keyMatches(key, context.key)) return send(response, 403, { error: 'key' });
  const route = `${request.method} ${url.pathname}`;
  if (route === 'GET /') return sendPage(response);
  if (route === 'GET /events') return streamView(request, response, context.view);
  if (route === 'GET /api/state') return send(response, 200, context.view.current());
  if (request.method !== 'POST') return send(response, 404, { error: 'not_found' });
  if (!originAllowed(request.headers.origin, context.port)) return send(response, 403, { error: 'origin' });
  if (route === 'POST /api/pin') return submitPin(request, response, context.prompts);
  if (route === 'POST /api/new-pin') return submitNewPin(request, response, context.prompts);
  if (route === 'POST /api/cancel') return send(response, context.cancelJob() ? 204 : 409, null);
  if (route === 'POST /api/dismiss') return send(response, context.view.dismissResult() ? 204 : 409, null);
  if (route === 'POST /api/enrol' && context.enrol)
    return submitEnrolmentCode(request, response, context.enrol);
  if (route === 'POST /api/support-code' && context.supportHelp)
    return send(response, context.supportHelp.request() ? 202 : 409, null);
  return send(response, 404, { error: 'not_found' });
}

/** The Mina sidor page hands over a start token; the preflight and the POST both need the server's origin. */
async function autoStart(request: IncomingMessage, response: ServerResponse, context: Context) {
  const { serverOrigin, autoStart: forward, log } = context;
  if (!serverOrigin || !forward) return send(response, 404, { error: 'not_found' });
  const origin = request.headers.origin;
  if (origin !== serverOrigin)
    return send(response, 403, { error: 'origin', message: 'this origin may not start jobs' });
  const cors = { 'access-control-allow-origin': serverOrigin, vary: 'Origin' };
  if (request.method === 'OPTIONS') {
    const privateNetwork = request.headers['access-control-request-private-network'] === 'true';
    response.writeHead(204, {
      ...securityHeaders,
      ...cors,
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type',
      'access-control-max-age': '600',
      ...(privateNetwork ? { 'access-control-allow-private-network': 'true' } : {}),
    });
    return response.end();
  }
  if (request.method !== 'POST')
    return send(response, 405, { error: 'method', message: 'use POST' }, { ...cors, allow: 'POST, OPTIONS' });
  if (Number(request.headers['content-length'] ?? 0) > AUTOSTART_MAX_BODY)
    return send(response, 413, { error: 'too_large', message: 'the request is too large' }, cors);
  const body = autoStartSchema.safeParse(await readJson(request, AUTOSTART_MAX_BODY));
  if (!body.success)
    return send(response, 400, { error: 'invalid_request', message: 'an autoStartToken is needed' }, cors);
  const ack = await forward(body.data.autoStartToken);
  log.info(ack.ok ? { jobId: ack.jobId } : { code: ack.code }, 'autostart from the browser');
  if (ack.ok) return send(response, 202, { jobId: ack.jobId }, cors);
  return send(response, autoStartStatus[ack.code] ?? 409, { error: ack.code, message: ack.message }, cors);
}

const autoStartStatus: Record<string, number> = {
  not_connected: 503,
  server_timeout: 504,
  internal: 502,
  invalid_message: 400,
  unauthorized: 403,
  forbidden: 403,
  not_found: 404,
};

/** The code typed in the enrolment form; the view says how it went. Never logged. */
async function submitEnrolmentCode(
  request: IncomingMessage,
  response: ServerResponse,
  enrol: (code: string) => boolean,
) {
  const body = (await readJson(request)) as { code?: unknown } | undefined;
  const code = typeof body?.code === 'string' ? body.code.trim() : '';
  if (code.length < 1 || code.length > 40) return send(response, 400, { error: 'invalid_request' });
  return send(response, enrol(code) ? 202 : 409, null);
}

async function submitNewPin(request: IncomingMessage, response: ServerResponse, prompts: PinPrompts) {
  const body = await readJson(request);
  if (!body) return send(response, 400, { error: 'invalid_request' });
  const { promptId, pin, repeat } = body as { promptId?: unknown; pin?: unknown; repeat?: unknown };
  if (typeof promptId !== 'string') return send(response, 400, { error: 'invalid_request' });
  const result = prompts.submitNewPin(promptId, pin, repeat);
  if (result === 'accepted') return send(response, 204, null);
  if (result === 'no_prompt') return send(response, 409, { error: result });
  return send(response, 400, { error: result, message: newPinProblems[result] });
}

async function submitPin(request: IncomingMessage, response: ServerResponse, prompts: PinPrompts) {
  const body = await readJson(request);
  if (!body) return send(response, 400, { error: 'invalid_request' });
  const { promptId, pin } = body as { promptId?: unknown; pin?: unknown };
  if (typeof promptId !== 'string') return send(response, 400, { error: 'invalid_request' });
  const result = prompts.submit(promptId, pin);
  if (result === 'accepted') return send(response, 204, null);
  return send(response, result === 'invalid_pin' ? 400 : 409, { error: result });
}

function streamView(request: IncomingMessage, response: ServerResponse, view: AgentViewModel) {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  const push = (state: unknown) => response.write(`event: view\ndata: ${JSON.stringify(state)}\n\n`);
  push(view.current());
  view.on('changed', push);
  const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), 15_000);
  request.on('close', () => {
    clearInterval(keepAlive);
    view.off('changed', push);
  });
}

function sendPage(response: ServerResponse) {
  const nonce = randomBytes(16).toString('base64');
  response.writeHead(200, {
    ...securityHeaders,
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src 'nonce-${nonce}'`,
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
  });
  response.end(page.replaceAll('{{nonce}}', nonce));
}

const securityHeaders = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { ...securityHeaders, ...headers, 'content-type': 'application/json' });
  response.end(body === null ? undefined : JSON.stringify(body));
}

function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/** Browsers always send Origin on a POST; other local programs need the key header anyway. */
function originAllowed(origin: string | undefined, port: number): boolean {
  return (
    origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`
  );
}

function keyMatches(given: string | string[] | null | undefined, key: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The parsed JSON body, or undefined; parse errors are dropped unread (they quote the input). */
async function readJson(request: IncomingMessage, maxBytes = MAX_BODY): Promise<unknown> {
  if (!request.headers['content-type']?.startsWith('application/json')) return undefined;
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
