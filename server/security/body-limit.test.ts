import { request as httpRequest, type IncomingMessage } from 'node:http';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema';
import { type RemixTestServer, startRemixTestServer } from './remix-test-server';

/** Finding 5: a body is capped before Remix reads it (forms are a few kB; the cap is 64 kB). */
let server: RemixTestServer;
beforeAll(async () => {
  server = await startRemixTestServer();
});
afterAll(() => server.stop());

const tooLargeMessage = 'Begäran är för stor. Ett formulär får vara högst 64 kB.';
const twentyMegabytes = 20 * 1024 * 1024;

interface RawOutcome {
  status: number | undefined;
  /** Bytes of the body the client had handed to the connection when the answer came. */
  sent: number;
}

/**
 * Sends up to `total` bytes of form body in 16 kB pieces, declared (Content-Length) or chunked, and stops
 * as soon as the server answers: a server that reads the whole body first never answers in time.
 */
function sendLargeForm(options: { declared: boolean; total: number }): Promise<RawOutcome> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let settled = false;
    const finish = (status: number | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve({ status, sent });
    };
    const timer = setTimeout(() => finish(undefined), 10_000);
    const request = httpRequest(`${server.url}/logga-in`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        ...(options.declared ? { 'Content-Length': String(options.total) } : {}),
      },
    });
    request.on('response', (response: IncomingMessage) => {
      response.resume();
      finish(response.statusCode);
    });
    request.on('error', (error) => (settled ? undefined : sent > 0 ? finish(undefined) : reject(error)));
    const piece = Buffer.alloc(16 * 1024, 'a');
    const pump = () => {
      while (!settled && sent < options.total) {
        sent += piece.length;
        if (!request.write(piece)) return void request.once('drain', pump);
      }
      if (!settled) request.end();
    };
    pump();
  });
}

describe('body size limit', () => {
  it('a declared 20 MB form is refused 413 before its body is read', async () => {
    const outcome = await sendLargeForm({ declared: true, total: twentyMegabytes });
    expect(outcome.status).toBe(413);
    // Answered while the client was still sending: what it had sent sat in socket buffers, unread.
    expect(outcome.sent).toBeLessThan(twentyMegabytes);
  });

  it('a chunked 20 MB form is refused 413 once it passes the limit, not after reading it all', async () => {
    const outcome = await sendLargeForm({ declared: false, total: twentyMegabytes });
    expect(outcome.status).toBe(413);
    // Answered while the client was still sending: what it had sent sat in socket buffers, unread.
    expect(outcome.sent).toBeLessThan(twentyMegabytes);
  });

  it('the refusal is Swedish, JSON for a Remix data request, and audited', async () => {
    const big = new URLSearchParams({ username: 'chef', password: 'x'.repeat(100 * 1024) });
    const plain = await fetch(`${server.url}/logga-in`, { method: 'POST', body: big });
    expect(plain.status).toBe(413);
    expect(await plain.text()).toBe(tooLargeMessage);
    const data = await fetch(`${server.url}/logga-in?_data=routes%2Flogga-in`, { method: 'POST', body: big });
    expect(data.status).toBe(413);
    expect(await data.json()).toEqual({ ok: false, refusal: 'body_too_large', message: tooLargeMessage });
    const audited = (
      await server.db.select().from(auditEvents).where(eq(auditEvents.action, 'http_request_refused'))
    ).filter((event) => event.detail?.reason === 'body_too_large');
    expect(audited.length).toBeGreaterThanOrEqual(1);
    expect(audited[0]!.detail).toMatchObject({ method: 'POST', path: '/logga-in' });
  });

  it('a form under the limit still goes through', async () => {
    const response = await fetch(`${server.url}/sprak`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ locale: 'sv', returnTo: '/', padding: 'x'.repeat(60 * 1024) }),
    });
    expect(response.status).toBe(302);
  });
});
