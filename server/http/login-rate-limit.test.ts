import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test-support/processes';
import { type RedisServer, startRedisServer } from '../../test-support/redis-server';
import { connectRedis, type RedisClient, type RedisLink } from '../cluster/redis-link';
import { createLogger } from '../logger';
import { startTestServer, type TestServer } from '../testing/test-server';
import { loginRateLimit } from './login-rate-limit';

let testServer: TestServer | undefined;
afterEach(async () => {
  await testServer?.stop();
  testServer = undefined;
});

const attempt = (url: string, path = '/logga-in') =>
  fetch(`${url}${path}`, {
    method: 'POST',
    body: new URLSearchParams({ username: 'chef', password: 'fel' }),
  });

describe('password login rate limit', () => {
  it('refuses the attempt after the limit from one address, in Swedish, as the login form shows it', async () => {
    testServer = await startTestServer({ env: { LOGIN_RATE_LIMIT_PER_MINUTE: '3' } });
    const { url } = testServer;
    for (let index = 0; index < 3; index++) expect((await attempt(url)).status).not.toBe(429);

    const fromForm = await attempt(url, '/logga-in?_data=routes%2Flogga-in');
    expect(fromForm.status).toBe(429);
    expect(fromForm.headers.get('X-Remix-Response')).toBe('yes');
    expect(await fromForm.json()).toEqual({ errors: { form: 'login.error.tooMany' } });
    const plain = await attempt(url);
    expect(plain.status).toBe(429);
    expect(await plain.text()).toBe('För många inloggningsförsök. Vänta en minut och försök igen.');
  });
});

/** One server process's login route as create-server mounts it; the wrong password answers 400. */
interface LoginProcess {
  url: string;
  /** What the process logged, one JSON line each. */
  logLines: string[];
  stop(): Promise<void>;
}

const perMinute = 10;
let redisServer: RedisServer;
let control: RedisClient;
const running: LoginProcess[] = [];
const links: RedisLink[] = [];

async function startLoginProcess(redis?: RedisLink): Promise<LoginProcess> {
  const logLines: string[] = [];
  const logger = createLogger('info', { write: (line: string) => logLines.push(line) });
  const app = express();
  app.post('/logga-in', loginRateLimit({ perMinute, logger, redis }), (_req, res) => {
    res.status(400).send('Fel användarnamn eller lösenord.');
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const process: LoginProcess = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    logLines,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  running.push(process);
  return process;
}

async function sharedLink(): Promise<RedisLink> {
  const link = await connectRedis(redisServer.url, createLogger('silent'));
  links.push(link);
  return link;
}

/** Two processes on one Redis, each with its own connection, as two server processes have. */
async function twoSharingProcesses(): Promise<[LoginProcess, LoginProcess]> {
  return [await startLoginProcess(await sharedLink()), await startLoginProcess(await sharedLink())];
}

const statusOf = async (process: LoginProcess) => (await attempt(process.url)).status;

async function waitUntilConnected(link: RedisLink) {
  await waitFor(async () => link.client.isReady && (await link.answers()), 15_000, 'Redis to answer again');
}

describe('password login rate limit across processes', () => {
  beforeAll(async () => {
    redisServer = await startRedisServer();
    control = createClient({ url: redisServer.url });
    // It reconnects by itself after a test stops the server.
    control.on('error', () => undefined);
    await control.connect();
  });
  afterAll(async () => {
    await control?.close();
    await redisServer?.stop();
  });
  beforeEach(async () => {
    await control.flushAll();
  });
  afterEach(async () => {
    // Up again for the next test, should a test have stopped it and failed before starting it.
    await redisServer.startServer();
    for (const process of running.splice(0)) await process.stop();
    for (const link of links.splice(0)) await link.close();
  });

  it('gives one address ten tries a minute in all processes together: the 11th is refused on either', async () => {
    const [first, second] = await twoSharingProcesses();
    for (let index = 0; index < perMinute; index++)
      expect(await statusOf(index % 2 === 0 ? first : second)).toBe(400);
    expect(await statusOf(first)).toBe(429);
    expect(await statusOf(second)).toBe(429);
    expect(await control.keys('siths-desk:login-limit:*')).toEqual(['siths-desk:login-limit:127.0.0.1']);
  });

  it('counts in each process alone without Redis', async () => {
    const first = await startLoginProcess();
    const second = await startLoginProcess();
    for (let index = 0; index < perMinute; index++) expect(await statusOf(first)).toBe(400);
    expect(await statusOf(first)).toBe(429);
    expect(await statusOf(second)).toBe(400);
    expect(await control.keys('*')).toEqual([]);
  });

  it('counts in each process alone while Redis is down, answering at once, and shares again once it is back', async () => {
    const [first, second] = await twoSharingProcesses();
    expect(await statusOf(first)).toBe(400);
    await redisServer.stopServer();

    const outageStarted = Date.now();
    for (let index = 0; index < perMinute; index++) expect(await statusOf(first)).toBe(400);
    expect(await statusOf(first)).toBe(429);
    expect(await statusOf(second)).toBe(400);
    // At most one command timeout, not one per attempt.
    expect(Date.now() - outageStarted).toBeLessThan(5_000);
    expect(first.logLines.join('')).toContain('Redis does not answer: this process counts the limit alone');

    // Back, empty (nothing is saved) and without rate-limit-redis's scripts: loaded again on first use.
    await redisServer.startServer();
    for (const link of links) await waitUntilConnected(link);
    for (let index = 0; index < perMinute; index++)
      expect(await statusOf(index % 2 === 0 ? second : first)).toBe(400);
    expect(await statusOf(second)).toBe(429);
    expect(await statusOf(first)).toBe(429);
    expect(first.logLines.join('')).toContain('Redis answers again: the limit is shared again');
  });

  it('does not wait on a Redis that hangs, and shares the count once it answers again', async () => {
    const [first, second] = await twoSharingProcesses();
    // Redis keeps the connections open but answers no command for three seconds.
    await control.sendCommand(['CLIENT', 'PAUSE', '3000', 'ALL']);
    const hangStarted = Date.now();
    expect(await statusOf(first)).toBe(400);
    expect(Date.now() - hangStarted).toBeLessThan(2_500);

    await waitFor(() => links[0]!.answers(), 10_000, 'the pause to end');
    // The attempt made while it hung reached Redis and counts there too, once Redis runs it.
    for (let index = 1; index < perMinute; index++)
      expect(await statusOf(index % 2 === 0 ? first : second)).toBe(400);
    expect(await statusOf(second)).toBe(429);
    expect(await statusOf(first)).toBe(429);
  });
});
