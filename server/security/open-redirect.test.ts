import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoLogins } from '../../db/demo-fixtures';
import { type RemixTestServer, startRemixTestServer } from './remix-test-server';

/** Finding 3: after login and after a language change the browser follows our Location, never off the site. */
let server: RemixTestServer;
beforeAll(async () => {
  server = await startRemixTestServer({ env: { LOGIN_RATE_LIMIT_PER_MINUTE: '1000' } });
});
afterAll(() => server.stop());

const chef = demoLogins.find((login) => login.username === 'chef')!;

/** Tricks that leave a naive "starts with one slash" check, as the form field's decoded value. */
const offSite = [
  '/\\evil.example',
  '/\t/evil.example',
  '/\n/evil.example',
  '/\\\\evil.example',
  '//evil.example',
  '/.//evil.example',
  '/a/..//evil.example',
  'https://evil.example/',
  ' //evil.example',
];

async function post(path: string, form: Record<string, string>) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: server.url, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
}

/** Where a browser goes with this answer's Location, resolved as browsers resolve it. */
function destination(response: Response): URL {
  expect(response.status).toBe(302);
  return new URL(response.headers.get('Location')!, `${server.url}/logga-in`);
}

describe('open redirect', () => {
  it.each(offSite)('login redirectTo %j stays on the site', async (redirectTo) => {
    const response = await post('/logga-in', {
      username: chef.username,
      password: chef.password,
      redirectTo,
    });
    const target = destination(response);
    expect(target.origin).toBe(server.url);
    expect(target.pathname).toBe('/admin');
  });

  it.each(offSite)('language change returnTo %j stays on the site', async (returnTo) => {
    const response = await post('/sprak', { locale: 'en', returnTo });
    const target = destination(response);
    expect(target.origin).toBe(server.url);
    expect(target.pathname).toBe('/admin');
  });

  it('a path on the site is kept, query included', async () => {
    const response = await post('/sprak', { locale: 'sv', returnTo: '/admin/personer?q=Carina' });
    expect(destination(response).href).toBe(`${server.url}/admin/personer?q=Carina`);
  });
});
