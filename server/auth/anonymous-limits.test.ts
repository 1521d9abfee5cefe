import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test-support/processes';
import { type RedisServer, startRedisServer } from '../../test-support/redis-server';
import { connectRedis, type RedisClient, type RedisLink } from '../cluster/redis-link';
import { SharedOrLocal } from '../cluster/shared-or-local';
import { createLogger } from '../logger';
import {
  AnonymousLimits,
  anonymousLimitsFor,
  anonymousStartKeyPrefix,
  anonymousStartLimit,
  SharedAnonymousLimits,
} from './anonymous-limits';

let redisServer: RedisServer;
let control: RedisClient;
const links: RedisLink[] = [];

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
  for (const link of links.splice(0)) await link.close();
});

/** One server process's limit on the shared Redis, over its own connection; `logLines` is what it logged. */
async function processLimit() {
  const logLines: string[] = [];
  const logger = createLogger('info', { write: (line: string) => logLines.push(line) });
  const link = await connectRedis(redisServer.url, createLogger('silent'));
  links.push(link);
  return { limits: new SharedAnonymousLimits(new SharedOrLocal(link, logger)), link, logLines };
}

const { perWindow, windowMs } = anonymousStartLimit;

describe('anonymous auth-order starts shared through Redis', () => {
  it('gives an address ten starts a minute in all processes together: the 11th is refused on either', async () => {
    const [first, second] = [(await processLimit()).limits, (await processLimit()).limits];
    for (let index = 0; index < perWindow; index++)
      expect(await (index % 2 === 0 ? first : second).takeStart('10.0.0.1', 1_000 + index)).toEqual({
        ok: true,
      });
    expect(await first.takeStart('10.0.0.1', 2_000)).toEqual({ ok: false, retryAfterSeconds: 59 });
    expect(await second.takeStart('10.0.0.1', 2_000)).toEqual({ ok: false, retryAfterSeconds: 59 });
    expect(await second.takeStart('10.0.0.2', 2_000)).toEqual({ ok: true });
  });

  it('frees a start a minute after the oldest one, not before', async () => {
    const [first, second] = [(await processLimit()).limits, (await processLimit()).limits];
    for (let index = 0; index < perWindow; index++) await first.takeStart('10.0.0.1', 1_000 + index);
    expect(await second.takeStart('10.0.0.1', 1_000 + windowMs - 1)).toEqual({
      ok: false,
      retryAfterSeconds: 1,
    });
    expect(await second.takeStart('10.0.0.1', 1_000 + windowMs)).toEqual({ ok: true });
    expect(await first.takeStart('10.0.0.1', 1_000 + windowMs)).toEqual({ ok: false, retryAfterSeconds: 1 });
  });

  it('lets no two processes take the same last start when they ask at once', async () => {
    const [first, second] = [(await processLimit()).limits, (await processLimit()).limits];
    const now = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 4 * perWindow }, (_, index) =>
        (index % 2 === 0 ? first : second).takeStart('10.0.0.1', now),
      ),
    );
    expect(answers.filter((answer) => answer.ok)).toHaveLength(perWindow);
  });

  it('keeps an address in Redis for one window after its latest start, no longer', async () => {
    const { limits } = await processLimit();
    await limits.takeStart('10.0.0.1');
    const key = `${anonymousStartKeyPrefix}10.0.0.1`;
    expect(await control.keys(`${anonymousStartKeyPrefix}*`)).toEqual([key]);
    const ttl = await control.pTTL(key);
    expect(ttl).toBeGreaterThan(windowMs - 5_000);
    expect(ttl).toBeLessThanOrEqual(windowMs);
  });

  it('counts in each process alone while Redis is down, and together again once it is back', async () => {
    const first = await processLimit();
    const second = await processLimit();
    await redisServer.stopServer();

    for (let index = 0; index < perWindow; index++)
      expect((await first.limits.takeStart('10.0.0.1')).ok).toBe(true);
    expect((await first.limits.takeStart('10.0.0.1')).ok).toBe(false);
    expect((await second.limits.takeStart('10.0.0.1')).ok).toBe(true);
    expect(first.logLines.join('')).toContain('Redis does not answer: this process counts the limit alone');

    await redisServer.startServer();
    for (const link of links)
      await waitFor(
        async () => link.client.isReady && (await link.answers()),
        15_000,
        'Redis to answer again',
      );
    for (let index = 0; index < perWindow; index++)
      expect((await (index % 2 === 0 ? second : first).limits.takeStart('10.0.0.2')).ok).toBe(true);
    expect((await first.limits.takeStart('10.0.0.2')).ok).toBe(false);
    expect((await second.limits.takeStart('10.0.0.2')).ok).toBe(false);
    expect(first.logLines.join('')).toContain('Redis answers again: the limit is shared again');
  });
});

describe('anonymous auth-order starts without Redis', () => {
  it('counts in each process alone', async () => {
    const [first, second] = [new AnonymousLimits(), new AnonymousLimits()];
    for (let index = 0; index < perWindow; index++)
      expect((await first.takeStart('10.0.0.1', 1_000)).ok).toBe(true);
    expect((await first.takeStart('10.0.0.1', 1_000)).ok).toBe(false);
    expect((await second.takeStart('10.0.0.1', 1_000)).ok).toBe(true);
  });

  it('is what an installation without REDIS_URL gets; with it, the shared count', async () => {
    const logger = createLogger('silent');
    expect(anonymousLimitsFor(undefined, logger)).toBeInstanceOf(AnonymousLimits);
    expect(anonymousLimitsFor((await processLimit()).link, logger)).toBeInstanceOf(SharedAnonymousLimits);
  });

  it('takes its number of starts a minute from the installation (ANONYMOUS_STARTS_PER_MINUTE)', async () => {
    const limits = anonymousLimitsFor(undefined, createLogger('silent'), 3);
    for (let index = 0; index < 3; index++) expect((await limits.takeStart('10.0.0.2', 1_000)).ok).toBe(true);
    expect(await limits.takeStart('10.0.0.2', 1_000)).toEqual({ ok: false, retryAfterSeconds: 60 });
  });
});
