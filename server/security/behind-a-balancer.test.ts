import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema';
import { type RemixTestServer, startRemixTestServer } from './remix-test-server';

/**
 * Found while running siths-desk behind HAProxy (issue 13): with TRUST_PROXY=true the server trusted every
 * address in X-Forwarded-For, so a client that sent its own header got a fresh login count with each try;
 * and a login form posted with our public origin to a process whose Host header names another host was a
 * 500 from Remix's own origin check instead of a refusal.
 */
let server: RemixTestServer;
beforeAll(async () => {
  server = await startRemixTestServer({
    env: { PUBLIC_URL: 'https://siths.example', TRUST_PROXY: 'true', LOGIN_RATE_LIMIT_PER_MINUTE: '2' },
  });
});
afterAll(() => server.stop());

const login = (headers: Record<string, string>) =>
  fetch(`${server.url}/logga-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ username: 'nobody', password: 'wrong-password' }),
  });

describe('behind a balancer (TRUST_PROXY=true)', () => {
  it('counts logins by the address the balancer saw, whatever the client put before it', async () => {
    const statuses: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const response = await login({
        Origin: 'https://siths.example',
        'X-Forwarded-Host': 'siths.example',
        'X-Forwarded-Proto': 'https',
        // The client's own header first, then what the balancer appended: the client's real address.
        'X-Forwarded-For': `198.51.100.${attempt}, 203.0.113.7`,
      });
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    expect(statuses.slice(0, 2)).not.toContain(429);
    expect(statuses[2]).toBe(429);
  });

  it('refuses a form posted with our origin to a Host that is not ours: 403 in Swedish, audited, not a 500', async () => {
    const response = await login({ Origin: 'https://siths.example', 'X-Forwarded-For': '203.0.113.8' });
    expect(response.status).toBe(403);
    expect(await response.text()).toMatch(/avvisades/);
    const refusals = await server.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'http_request_refused'));
    expect(refusals.some((event) => event.detail?.reason === 'cross_origin')).toBe(true);
  });
});
