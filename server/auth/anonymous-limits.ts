import { randomUUID } from 'node:crypto';
import type { RedisLink } from '../cluster/redis-link';
import { SharedOrLocal } from '../cluster/shared-or-local';
import type { Logger } from '../logger';

/**
 * How many auth orders (Mobile SITHS login, card login "denna enhet", reserve-card registration) one client
 * address may start without being logged in: each start writes a row, so without a limit any client could
 * grow the database as fast as it can send GETs. Ten a minute is far above what people behind one
 * hospital address start together (a browser reuses its open order), and the wait is at most a minute.
 *
 * With Redis (`REDIS_URL`) the processes count together, so ten processes behind a balancer still give an
 * address ten starts a minute (`SharedAnonymousLimits`); without it, or while Redis does not answer, the
 * process counts alone in memory (`AnonymousLimits`).
 */
export const anonymousStartLimit = { perWindow: 10, windowMs: 60_000, maxAddresses: 10_000 } as const;

export type StartAllowance = { ok: true } | { ok: false; retryAfterSeconds: number };

export type AnonymousStartRule = { perWindow: number; windowMs: number; maxAddresses: number };

export interface AnonymousStartLimits {
  /** Takes one start for `address` when it has one left in the window; otherwise how long to wait. */
  takeStart(address: string, now?: number): Promise<StartAllowance>;
}

/**
 * The limit for this installation (`perWindow` starts a minute, ANONYMOUS_STARTS_PER_MINUTE): shared through
 * `redis` when the processes have one.
 */
export function anonymousLimitsFor(
  redis: RedisLink | undefined,
  logger: Logger,
  perWindow: number = anonymousStartLimit.perWindow,
): AnonymousStartLimits {
  const rule = { ...anonymousStartLimit, perWindow };
  if (!redis) return new AnonymousLimits(rule);
  return new SharedAnonymousLimits(
    new SharedOrLocal(redis, logger.child({ component: 'anonymous-limits' })),
    rule,
  );
}

/** Counted in this process's memory, bounded to `maxAddresses` (the least recently seen are forgotten first). */
export class AnonymousLimits implements AnonymousStartLimits {
  /** Start times within the window per address, in least-recently-seen order. */
  readonly #starts = new Map<string, number[]>();

  constructor(private readonly rule: AnonymousStartRule = anonymousStartLimit) {}

  async takeStart(address: string, now: number = Date.now()): Promise<StartAllowance> {
    const since = now - this.rule.windowMs;
    const recent = (this.#starts.get(address) ?? []).filter((at) => at > since);
    this.#starts.delete(address);
    if (recent.length >= this.rule.perWindow) {
      this.#starts.set(address, recent);
      return refused(recent[0] ?? now, now, this.rule);
    }
    recent.push(now);
    this.#starts.set(address, recent);
    for (const oldest of this.#starts.keys()) {
      if (this.#starts.size <= this.rule.maxAddresses) break;
      this.#starts.delete(oldest);
    }
    return { ok: true };
  }
}

/** Where the processes keep each address's start times in Redis. */
export const anonymousStartKeyPrefix = 'siths-desk:anonymous-starts:';

/**
 * One sorted set per address, start times as scores: drop those out of the window, refuse when `perWindow`
 * remain (answering the oldest), else add this one. One script, so two processes cannot both take the last
 * start. The key expires a window after the latest start, so Redis needs no address bound.
 */
const takeStartScript = `
local now = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - windowMs)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return { 0, tonumber(oldest[2]) }
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], windowMs)
return { 1 }
`;

/**
 * Counted in the Redis the processes share, by each process's clock (NTP keeps them well within the
 * second-granular answer); while Redis does not answer, in this process's memory (SharedOrLocal says why).
 */
export class SharedAnonymousLimits implements AnonymousStartLimits {
  readonly #local: AnonymousLimits;

  constructor(
    private readonly sharing: SharedOrLocal,
    private readonly rule: AnonymousStartRule = anonymousStartLimit,
  ) {
    this.#local = new AnonymousLimits(rule);
  }

  takeStart(address: string, now: number = Date.now()): Promise<StartAllowance> {
    return this.sharing.run(
      () => this.#takeShared(address, now),
      () => this.#local.takeStart(address, now),
    );
  }

  async #takeShared(address: string, now: number): Promise<StartAllowance> {
    const reply = (await this.sharing.client.eval(takeStartScript, {
      keys: [`${anonymousStartKeyPrefix}${address}`],
      // Unique even for two starts in one millisecond: a sorted set keeps a member once.
      arguments: [
        String(now),
        String(this.rule.windowMs),
        String(this.rule.perWindow),
        `${now}:${randomUUID()}`,
      ],
    })) as [number, number?];
    if (reply[0] === 1) return { ok: true };
    return refused(reply[1] ?? now, now, this.rule);
  }
}

function refused(oldestStart: number, now: number, rule: AnonymousStartRule): StartAllowance {
  const freedAt = oldestStart + rule.windowMs;
  return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((freedAt - now) / 1000)) };
}
