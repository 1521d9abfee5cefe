import type { RequestHandler } from 'express';
import { type IncrementResponse, MemoryStore, type Options, rateLimit, type Store } from 'express-rate-limit';
import { type RedisReply, RedisStore } from 'rate-limit-redis';
import type { RedisLink } from '../cluster/redis-link';
import { SharedOrLocal } from '../cluster/shared-or-local';
import type { Logger } from '../logger';

const tooManyLoginsMessage = 'För många inloggningsförsök. Vänta en minut och försök igen.';

/** Where the processes keep their shared counts in Redis: one key per client address. */
export const loginLimitKeyPrefix = 'siths-desk:login-limit:';

/**
 * The password login's limit: `perMinute` attempts (POSTs to /logga-in) per client address a minute, then
 * 429 until the minute is over. With `redis` every process counts in the same place, so ten processes behind
 * a balancer still give one address `perMinute` tries; without it the process counts alone.
 */
export function loginRateLimit(options: {
  perMinute: number;
  logger: Logger;
  redis?: RedisLink | undefined;
}): RequestHandler {
  const log = options.logger.child({ component: 'login-limit' });
  return rateLimit({
    windowMs: 60_000,
    limit: options.perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    ...(options.redis ? { store: new SharedLoginCounts(new SharedOrLocal(options.redis, log)) } : {}),
    logger: {
      error: (error, message) => log.error({ err: error }, message ?? 'login limit error'),
      warn: (error, message) => log.warn({ err: error }, message ?? 'login limit warning'),
    },
    handler: (req, res) => {
      options.logger.warn({ address: req.ip }, 'login rate limit reached');
      // A Remix form submission fetches `?_data=`: answer as the action would, so the page shows it
      // (X-Remix-Response tells the Remix client this is the action's answer, not a failed fetch).
      if ('_data' in req.query)
        res
          .status(429)
          .set('X-Remix-Response', 'yes')
          .json({ errors: { form: 'login.error.tooMany' } });
      else res.status(429).type('text/plain; charset=utf-8').send(tooManyLoginsMessage);
    },
  });
}

/**
 * rate-limit-redis's store while Redis answers, this process's memory while it does not (SharedOrLocal says
 * why). Its Lua scripts are loaded on first use and again after any failure: rate-limit-redis keeps a failed
 * load's promise, which would otherwise refuse every later count once Redis is back.
 */
class SharedLoginCounts implements Store {
  readonly localKeys = false;
  readonly prefix = loginLimitKeyPrefix;
  readonly #sharing: SharedOrLocal;
  readonly #shared: RedisStore;
  readonly #local = new MemoryStore();
  #options: Options | undefined;
  #scriptsLoaded: Promise<void> | undefined;

  constructor(sharing: SharedOrLocal) {
    this.#sharing = sharing;
    this.#shared = new RedisStore({
      prefix: loginLimitKeyPrefix,
      sendCommand: (...command: string[]) => sharing.client.sendCommand<RedisReply>(command),
    });
  }

  init(options: Options): void {
    this.#options = options;
    this.#local.init(options);
  }

  increment(key: string): Promise<IncrementResponse> {
    return this.#sharing.run(
      () => this.#inRedis(() => this.#shared.increment(key)),
      () => this.#local.increment(key),
    );
  }

  decrement(key: string): Promise<void> {
    return this.#sharing.run(
      () => this.#inRedis(() => this.#shared.decrement(key)),
      () => this.#local.decrement(key),
    );
  }

  resetKey(key: string): Promise<void> {
    return this.#sharing.run(
      () => this.#inRedis(() => this.#shared.resetKey(key)),
      () => this.#local.resetKey(key),
    );
  }

  shutdown(): void {
    this.#local.shutdown();
  }

  async #inRedis<T>(command: () => Promise<T>): Promise<T> {
    const options = this.#options;
    if (!options) throw new Error('the login limit store was used before express-rate-limit initialised it');
    try {
      this.#scriptsLoaded ??= this.#shared.init(options);
      await this.#scriptsLoaded;
      return await command();
    } catch (error) {
      this.#scriptsLoaded = undefined;
      throw error;
    }
  }
}
