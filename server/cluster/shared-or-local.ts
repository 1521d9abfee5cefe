import type { Logger } from '../logger';
import type { RedisLink } from './redis-link';

/** How long a shared count may take before the process counts alone: a login must not hang on Redis. */
export const sharedCountTimeoutMs = 1_000;

/**
 * A limit counted in the Redis the processes share while it answers, and in this process's memory while it
 * does not: an outage makes the limit per process again, as it was before Redis, until Redis answers.
 *
 * Rejected: failing open (rate-limit-redis's `passOnStoreError`), which lifts the password and QR limits for
 * anyone who can make Redis slow; failing closed (429 for everyone), which turns a Redis outage into a
 * login outage for the whole region.
 */
export class SharedOrLocal {
  readonly #link: RedisLink;
  readonly #log: Logger;
  readonly #timeoutMs: number;
  #countingAlone = false;

  constructor(link: RedisLink, log: Logger, timeoutMs: number = sharedCountTimeoutMs) {
    this.#link = link;
    this.#log = log;
    this.#timeoutMs = timeoutMs;
  }

  get client() {
    return this.#link.client;
  }

  /** `shared()` while Redis is connected and answers in time; `local()` otherwise. */
  async run<T>(shared: () => Promise<T>, local: () => T | Promise<T>): Promise<T> {
    // Not connected: the process knows already, no need to wait for a timeout on every request.
    if (this.#link.client.isReady) {
      try {
        const result = await within(this.#timeoutMs, shared());
        if (this.#countingAlone) this.#log.info('Redis answers again: the limit is shared again');
        this.#countingAlone = false;
        return result;
      } catch (error) {
        this.#startCountingAlone(error);
      }
    } else this.#startCountingAlone(new Error('Redis is not connected'));
    return await local();
  }

  #startCountingAlone(error: unknown) {
    if (!this.#countingAlone)
      this.#log.error({ err: error }, 'Redis does not answer: this process counts the limit alone');
    this.#countingAlone = true;
  }
}

/**
 * `work`, or a timeout error after `ms`. node-redis's own command timeout ends only at the write: a command
 * sent to a Redis that hangs with its connection open would wait for as long as it hangs.
 */
async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
