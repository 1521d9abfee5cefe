import { useEffect, useState } from 'react';

/**
 * Fetches `url` (JSON) now and every `everyMs` until `hasEnded` says the answer is final. A failed fetch
 * is simply tried again at the next tick; the thing polled has its own time-out. No url: no polling.
 */
export function usePolledStatus<Status>(
  url: string | undefined,
  hasEnded: (status: Status) => boolean,
  everyMs = 1000,
): Status | null {
  const [status, setStatus] = useState<Status | null>(null);
  const ended = status !== null && hasEnded(status);
  useEffect(() => {
    if (!url || ended) return;
    let stopped = false;
    const poll = async () => {
      try {
        const response = await fetch(url, { cache: 'no-store', headers: { Accept: 'application/json' } });
        if (response.ok && !stopped) setStatus((await response.json()) as Status);
      } catch {
        // Tried again at the next tick.
      }
    };
    void poll();
    const timer = setInterval(poll, everyMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [url, ended, everyMs]);
  return status;
}
