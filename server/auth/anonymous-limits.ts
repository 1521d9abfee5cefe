/**
 * How many auth orders (Mobile SITHS login, card login "denna enhet", reserve-card registration) one client
 * address may start without being logged in: each start writes a row, so without a limit any client could
 * grow the database as fast as it can send GETs. Ten a minute is far above what people behind one
 * hospital address start together (a browser reuses its open order), and the wait is at most a minute.
 *
 * Kept in this process's memory, bounded to `maxAddresses` (the least recently seen are forgotten first).
 * Behind a balancer each process keeps its own count, so the limit there is per process; a shared store
 * (Redis) would make it one.
 */
export const anonymousStartLimit = { perWindow: 10, windowMs: 60_000, maxAddresses: 10_000 } as const;

export type StartAllowance = { ok: true } | { ok: false; retryAfterSeconds: number };

export class AnonymousLimits {
  /** Start times within the window per address, in least-recently-seen order. */
  readonly #starts = new Map<string, number[]>();

  constructor(
    private readonly rule: {
      perWindow: number;
      windowMs: number;
      maxAddresses: number;
    } = anonymousStartLimit,
  ) {}

  /** Takes one start for `address` when it has one left in the window; otherwise how long to wait. */
  takeStart(address: string, now: number = Date.now()): StartAllowance {
    const since = now - this.rule.windowMs;
    const recent = (this.#starts.get(address) ?? []).filter((at) => at > since);
    this.#starts.delete(address);
    if (recent.length >= this.rule.perWindow) {
      this.#starts.set(address, recent);
      const freedAt = (recent[0] ?? now) + this.rule.windowMs;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((freedAt - now) / 1000)) };
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
