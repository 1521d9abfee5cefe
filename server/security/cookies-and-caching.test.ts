import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoLogins } from '../../db/demo-fixtures';
import { type RemixTestServer, startRemixTestServer } from './remix-test-server';

/** Finding 10: production cookies are Secure whatever the proxy setting; pages with personal data are not cached. */
const chef = demoLogins.find((login) => login.username === 'chef')!;

function form(fields: Record<string, string>) {
  return { method: 'POST', redirect: 'manual' as const, body: new URLSearchParams(fields) };
}

/** The Set-Cookie headers of every cookie the app sets: session, language, Mobile SITHS browser binding. */
async function cookiesSetBy(server: RemixTestServer): Promise<Record<string, string>> {
  const login = await fetch(
    `${server.url}/logga-in`,
    form({ username: chef.username, password: chef.password }),
  );
  const language = await fetch(`${server.url}/sprak`, form({ locale: 'en', returnTo: '/' }));
  const mobileLogin = await fetch(
    `${server.url}/mina-sidor/logga-in/annan-enhet?_data=routes%2Fmina-sidor.logga-in.annan-enhet`,
  );
  const all = [login, language, mobileLogin].flatMap((response) => response.headers.getSetCookie());
  return Object.fromEntries(all.map((cookie) => [cookie.split('=')[0]!, cookie]));
}

describe('the Secure cookie attribute', () => {
  it('is on every cookie in production without a proxy (TRUST_PROXY=false)', async () => {
    const server = await startRemixTestServer({
      env: {
        NODE_ENV: 'production',
        DEMO_PASSWORD_LOGINS: 'true',
        TRUST_PROXY: 'false',
        LOGIN_RATE_LIMIT_PER_MINUTE: '100',
      },
    });
    try {
      const cookies = await cookiesSetBy(server);
      expect(Object.keys(cookies).sort()).toEqual(['siths_auth_order', 'siths_lang', 'siths_session']);
      for (const cookie of Object.values(cookies)) expect(cookie).toMatch(/;\s*Secure(;|$)/i);
    } finally {
      await server.stop();
    }
  });

  it('is left off on a development server over plain http', async () => {
    const server = await startRemixTestServer({ env: { LOGIN_RATE_LIMIT_PER_MINUTE: '100' } });
    try {
      for (const cookie of Object.values(await cookiesSetBy(server))) expect(cookie).not.toMatch(/Secure/i);
    } finally {
      await server.stop();
    }
  });
});

describe('caching', () => {
  let server: RemixTestServer;
  let chefCookie: string;
  beforeAll(async () => {
    server = await startRemixTestServer();
    chefCookie = await server.sessionOf('chef');
  });
  afterAll(() => server.stop());

  const cacheControl = async (path: string, headers: Record<string, string> = {}) =>
    (await fetch(`${server.url}${path}`, { headers, redirect: 'manual' })).headers.get('Cache-Control');

  it.each([
    '/admin',
    '/admin/personer?q=Carina',
    '/admin/personer?q=Carina&_data=routes%2Fadmin.personer',
    '/admin/bestallningar/export',
    '/mina-sidor',
  ])('a logged-in %s is no-store', async (path) => {
    expect(await cacheControl(path, { Cookie: chefCookie })).toBe('no-store');
  });

  it.each(['/logga-in', '/mina-sidor/logga-in', '/healthz', '/readyz'])(
    'an anonymous %s is no-store too',
    async (path) => {
      expect(await cacheControl(path)).toBe('no-store');
    },
  );

  it('the fingerprinted build and the PKI files keep their own caching', async () => {
    const page = await (await fetch(`${server.url}/logga-in`)).text();
    const asset = /href="(\/build\/[^"]+\.js)"/.exec(page)?.[1];
    expect(asset).toBeDefined();
    expect(await cacheControl(asset!)).toMatch(/max-age=31536000/);
    expect(await cacheControl('/pki/root.crt')).toBe('public, max-age=3600');
  });
});
