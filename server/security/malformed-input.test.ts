import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema';
import { type RemixTestServer, startRemixTestServer } from './remix-test-server';

/** Finding 6: a body an action cannot read is the sender's error (400/415), never a 500. */
let server: RemixTestServer;
let adminCookie: string;
beforeAll(async () => {
  server = await startRemixTestServer({ env: { LOGIN_RATE_LIMIT_PER_MINUTE: '1000' } });
  adminCookie = await server.sessionOf('admin');
});
afterAll(() => server.stop());

const unsupportedMessage = 'Begäran skickades i ett format som inte stöds. Skicka formuläret från sidan.';
const malformedMessage = 'Formuläret kunde inte läsas. Ladda om sidan och försök igen.';

/** Every route with an action (ids need not exist: the body is refused before the route looks). */
const actionPaths = [
  '/logga-in',
  '/logga-ut',
  '/sprak',
  '/admin/administration',
  '/admin/administration/enhet/x',
  '/admin/administration/roll/x/ta-bort',
  '/admin/bestallningar/x',
  '/admin/bestallningar/ny',
  '/admin/personer/x/sparra',
  '/admin/reservkort',
  '/admin/reservkort/aktivera',
  '/admin/reservkort/enhet/x',
  '/admin/reservkort/kort/x/dra-tillbaka',
  '/mina-sidor/aktivera',
  '/mina-sidor/hamta-mobilt-siths',
  '/mina-sidor/logga-in/annan-enhet',
  '/mina-sidor/logga-in/denna-enhet',
  '/mina-sidor/las-upp/x',
  '/mina-sidor/logga-ut',
];

const boundary = '----siths-desk-test';
const badBodies: Array<[string, Record<string, string>, string | undefined, number]> = [
  ['JSON', { 'Content-Type': 'application/json' }, '{"username":"chef"}', 415],
  ['text/plain', { 'Content-Type': 'text/plain' }, 'username=chef', 415],
  ['no Content-Type and no body', {}, undefined, 415],
  [
    'a compressed form',
    { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Encoding': 'gzip' },
    'x',
    415,
  ],
  ['multipart without a boundary', { 'Content-Type': 'multipart/form-data' }, 'username=chef', 400],
  [
    'multipart that does not parse',
    { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
    `--${boundary}\r\nContent-Disposition: form-data; name="username"\r\n\r\nchef`,
    400,
  ],
];

function post(path: string, headers: Record<string, string>, body: string | undefined) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Cookie: adminCookie, Origin: server.url, ...headers },
    ...(body === undefined ? {} : { body }),
  });
}

describe('malformed input', () => {
  it.each(badBodies)(
    '%s is refused on every action with its 4xx, never a 5xx',
    async (_, headers, body, status) => {
      for (const path of actionPaths) {
        const response = await post(path, headers, body);
        expect({ path, status: response.status }).toEqual({ path, status });
      }
    },
  );

  it('the refusal says why in Swedish, as JSON to a Remix data request', async () => {
    const json = await post(
      '/logga-in?_data=routes%2Flogga-in',
      { 'Content-Type': 'application/json' },
      '{}',
    );
    expect(json.status).toBe(415);
    expect(await json.json()).toEqual({
      ok: false,
      refusal: 'unsupported_media_type',
      message: unsupportedMessage,
    });
    const broken = await post('/sprak', badBodies[5]![1], badBodies[5]![2]);
    expect(broken.status).toBe(400);
    expect(await broken.text()).toBe(malformedMessage);
  });

  it('a urlencoded body with broken percent escapes is read, not a 500', async () => {
    const response = await post(
      '/logga-in',
      { 'Content-Type': 'application/x-www-form-urlencoded' },
      'username=%E0%A4%A&password=%ZZ&redirectTo=%',
    );
    expect(response.status).toBeLessThan(500);
  });

  it('well-formed multipart and urlencoded forms still work', async () => {
    const multipart = new FormData();
    multipart.set('locale', 'en');
    multipart.set('returnTo', '/mina-sidor');
    const response = await fetch(`${server.url}/sprak`, {
      method: 'POST',
      redirect: 'manual',
      body: multipart,
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('Location')).toBe('/mina-sidor');
  });

  it('the phone APIs take JSON, and refuse a form with 415', async () => {
    const json = await post(
      '/mobilt-siths/api/skanna',
      { 'Content-Type': 'application/json' },
      '{"qrContent":1}',
    );
    expect(json.status).toBe(400);
    const form = await post(
      '/mobilt-siths/api/skanna',
      { 'Content-Type': 'application/x-www-form-urlencoded' },
      'qrContent=x',
    );
    expect(form.status).toBe(415);
  });

  it.each(['/admin/%', '/mina-sidor/%E0%A4%A', '/pki/%zz.crl'])(
    'an address that does not decode (%s) is 400 in Swedish, with no stack trace or server path',
    async (path) => {
      const response = await fetch(`${server.url}${path}`, { headers: { Cookie: adminCookie } });
      expect(response.status).toBe(400);
      const text = await response.text();
      expect(text).toBe('Adressen kunde inte läsas. Kontrollera länken och försök igen.');
      expect(text).not.toMatch(/at |node_modules|\/work\//);
    },
  );

  // Found by the fuzz on PostgreSQL, which refuses a NUL in any text it compares: these were 500s there.
  it.each([
    ['GET', '/admin/personer/a%00b'],
    ['GET', '/admin/bestallningar?q=Ann%00a'],
    ['POST', '/mina-sidor/las-upp/%00?_data=routes%2Fmina-sidor.las-upp.%24cardId'],
    ['POST', '/admin/administration/enhet/a%0Ab'],
  ])(
    '%s %s, whose address decodes to a control character, is 400 in Swedish and audited',
    async (method, path) => {
      const response = await fetch(`${server.url}${path}`, {
        method,
        redirect: 'manual',
        headers: {
          Cookie: adminCookie,
          Origin: server.url,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        ...(method === 'POST' ? { body: 'intent=x' } : {}),
      });
      expect(response.status).toBe(400);
      const body = await response.text();
      expect(body).toContain('Adressen kunde inte läsas. Kontrollera länken och försök igen.');
      const audited = await server.db
        .select({ detail: auditEvents.detail })
        .from(auditEvents)
        .where(and(eq(auditEvents.action, 'http_request_refused'), eq(auditEvents.outcome, 'refused')));
      expect(audited.map((row) => (row.detail as { reason?: string }).reason)).toContain(
        'unreadable_address',
      );
    },
  );
});
