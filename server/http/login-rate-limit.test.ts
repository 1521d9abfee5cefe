import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/test-server';

let testServer: TestServer;
afterEach(() => testServer.stop());

const attempt = (path = '/logga-in') =>
  fetch(`${testServer.url}${path}`, {
    method: 'POST',
    body: new URLSearchParams({ username: 'chef', password: 'fel' }),
  });

describe('password login rate limit', () => {
  it('refuses the attempt after the limit from one address, in Swedish, as the login form shows it', async () => {
    testServer = await startTestServer({ env: { LOGIN_RATE_LIMIT_PER_MINUTE: '3' } });
    for (let index = 0; index < 3; index++) expect((await attempt()).status).not.toBe(429);

    const fromForm = await attempt('/logga-in?_data=routes%2Flogga-in');
    expect(fromForm.status).toBe(429);
    expect(fromForm.headers.get('X-Remix-Response')).toBe('yes');
    expect(await fromForm.json()).toEqual({ errors: { form: 'login.error.tooMany' } });
    const plain = await attempt();
    expect(plain.status).toBe(429);
    expect(await plain.text()).toBe('För många inloggningsförsök. Vänta en minut och försök igen.');
  });
});
