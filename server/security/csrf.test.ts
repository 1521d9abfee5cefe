import { eq } from 'drizzle-orm';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { first } from '../../db/engine';
import { auditEvents, units } from '../../db/schema';
import { type RemixTestServer, startRemixTestServer } from './remix-test-server';

/** Finding 4 (and the 500 of finding 6): a write from another origin is refused before any route runs. */
let server: RemixTestServer;
let adminCookie: string;
let unitId: string;
beforeAll(async () => {
  server = await startRemixTestServer();
  adminCookie = await server.sessionOf('admin');
  unitId = first(await server.db.select().from(units).limit(1))!.id;
});
afterAll(() => server.stop());

const crossOriginMessage = 'Begäran kom inte från siths-desk och avvisades. Ladda om sidan och försök igen.';

/** A rename of a unit by the logged-in system admin, as the rename page's form would send it. */
function rename(name: string, headers: Record<string, string>, options: { data?: boolean } = {}) {
  const path = `/admin/administration/enhet/${unitId}`;
  const query = options.data
    ? `?_data=${encodeURIComponent('routes/admin.administration_.enhet.$unitId')}`
    : '';
  return fetch(`${server.url}${path}${query}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Cookie: adminCookie, 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ name }),
  });
}

const unitName = async () =>
  first(await server.db.select().from(units).where(eq(units.id, unitId)).limit(1))!.name;
const refusals = async () =>
  (await server.db.select().from(auditEvents).where(eq(auditEvents.action, 'http_request_refused'))).filter(
    (event) => event.detail?.reason === 'cross_origin',
  );

describe('writes from another origin', () => {
  it.each([
    ['another site', { Origin: 'https://evil.example' }],
    ['an opaque origin (Origin: null)', { Origin: 'null' }],
    ['the agent loopback page (same site, another port)', { Origin: 'http://127.0.0.1:8790' }],
    ['a sibling host, told by Sec-Fetch-Site alone', { 'Sec-Fetch-Site': 'same-site' }],
    ['another site, told by Sec-Fetch-Site alone', { 'Sec-Fetch-Site': 'cross-site' }],
  ])('a Remix data request from %s is refused 403 in Swedish and changes nothing', async (_, headers) => {
    const before = await unitName();
    const response = await rename('Förfalskad enhet', headers, { data: true });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      ok: false,
      refusal: 'cross_origin',
      message: crossOriginMessage,
    });
    expect(await unitName()).toBe(before);
  });

  it('a full-page POST from another site is a 403 with a Swedish text, not the 500 of Remix', async () => {
    const response = await rename('Förfalskad enhet', { Origin: 'https://evil.example' });
    expect(response.status).toBe(403);
    expect(response.headers.get('Content-Type')).toMatch(/^text\/plain/);
    expect(await response.text()).toBe(crossOriginMessage);
  });

  it('the phone APIs are refused from another site too', async () => {
    const response = await fetch(`${server.url}/mobilt-siths/api/skanna`, {
      method: 'POST',
      headers: {
        Origin: 'https://evil.example',
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      body: JSON.stringify({ qrContent: 'x' }),
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { refusal: string }).refusal).toBe('cross_origin');
  });

  it('refusals are audited, folded to one row per address and reason in a minute, path without query', async () => {
    const before = (await refusals()).length;
    for (let index = 0; index < 5; index++)
      await rename('x', { Origin: 'https://evil.example' }, { data: true });
    const rows = await refusals();
    expect(rows.length - before).toBeLessThanOrEqual(1);
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.at(-1)).toMatchObject({
      actorUserId: null,
      outcome: 'refused',
      objectType: 'client_address',
      detail: { reason: 'cross_origin', method: 'POST', path: `/admin/administration/enhet/${unitId}` },
    });
  });
});

describe('writes from this site and from programs', () => {
  it('a data request from our own origin goes through', async () => {
    const response = await rename(
      'Akutmottagningen Ny',
      { Origin: server.url, 'Sec-Fetch-Site': 'same-origin' },
      {
        data: true,
      },
    );
    expect(response.status).toBe(204);
    expect(await unitName()).toBe('Akutmottagningen Ny');
  });

  it('a request with neither Origin nor Sec-Fetch-Site (curl, a phone, a test) goes through', async () => {
    const response = await rename('Akutmottagningen Igen', {});
    expect(response.status).toBe(302);
    expect(await unitName()).toBe('Akutmottagningen Igen');
  });

  it('the phone simulator page calls its APIs from the same origin', async () => {
    const response = await fetch(`${server.url}/mobilt-siths/api/skanna`, {
      method: 'POST',
      headers: { Origin: server.url, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ qrContent: 'inte en QR-kod' }),
    });
    expect(((await response.json()) as { refusal?: string }).refusal).not.toBe('cross_origin');
  });
});

describe('our own origin behind a proxy', () => {
  it('is PUBLIC_URL, or the forwarded host and scheme only when TRUST_PROXY=true', async () => {
    const behindProxy = await startRemixTestServer({
      env: { PUBLIC_URL: 'https://siths.example', TRUST_PROXY: 'true' },
    });
    const untrusted = await startRemixTestServer();
    try {
      const post = (target: RemixTestServer, headers: Record<string, string>) =>
        fetch(`${target.url}/sprak`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
          body: new URLSearchParams({ locale: 'sv', returnTo: '/' }),
        });
      // The balancer says which host was asked for (without the scheme: PUBLIC_URL says https).
      const publicHost = { 'X-Forwarded-Host': 'siths.example' };
      expect((await post(behindProxy, { Origin: 'https://siths.example', ...publicHost })).status).toBe(302);
      const forwarded = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'portal.example' };
      expect((await post(behindProxy, { Origin: 'https://portal.example', ...forwarded })).status).toBe(302);
      expect((await post(untrusted, { Origin: 'https://portal.example', ...forwarded })).status).toBe(403);
    } finally {
      await behindProxy.stop();
      await untrusted.stop();
    }
  });
});

describe('sockets from another origin', () => {
  /** Whether a /support socket opens with the support user's session cookie and these handshake headers. */
  async function supportSocketOpens(headers: Record<string, string>): Promise<boolean> {
    const cookie = await server.sessionOf('support');
    const socket = io(`${server.url}/support`, {
      transports: ['websocket'],
      reconnection: false,
      extraHeaders: { Cookie: cookie, ...headers },
    });
    try {
      return await new Promise<boolean>((resolve) => {
        socket.once('connect', () => resolve(true));
        socket.once('connect_error', () => resolve(false));
      });
    } finally {
      socket.close();
    }
  }

  it('a page of another site or the same site cannot open one with the session cookie', async () => {
    expect(await supportSocketOpens({ Origin: 'https://evil.example' })).toBe(false);
    expect(await supportSocketOpens({ Origin: 'http://127.0.0.1:8790' })).toBe(false);
    expect(await supportSocketOpens({ Origin: server.url, 'Sec-Fetch-Site': 'same-site' })).toBe(false);
  });

  it('our own page and the card-agent (no Origin) can', async () => {
    expect(await supportSocketOpens({ Origin: server.url })).toBe(true);
    expect(await supportSocketOpens({})).toBe(true);
  });
});
