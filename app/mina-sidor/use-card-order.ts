import { useCallback, useEffect, useRef, useState } from 'react';
import type { CardOrderStatus } from './card-order.server';

export interface CardOrderHandle {
  orderId: string;
  autoStartToken: string;
  agentLocalUrl: string;
}

export type AgentStartProblem = 'unreachable' | 'refused' | null;

const pollEveryMs = 700;

/**
 * Hands the start token to the SITHS eID-app on this computer (its loopback address), then follows the
 * order until it completes or fails. The token goes only to the local app; the server never shows it again.
 */
export function useCardOrder(handle: CardOrderHandle | undefined) {
  const [status, setStatus] = useState<CardOrderStatus | null>(null);
  const [problem, setProblem] = useState<AgentStartProblem>(null);
  const [problemMessage, setProblemMessage] = useState<string | null>(null);
  const finished = status?.phase === 'completed' || status?.phase === 'failed' || status?.phase === 'expired';
  const started = useRef<string | null>(null);

  const startAgent = useCallback(async () => {
    if (!handle) return;
    setProblem(null);
    setProblemMessage(null);
    try {
      const response = await fetch(new URL('/autostart', handle.agentLocalUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ autoStartToken: handle.autoStartToken }),
      });
      if (!response.ok) {
        const body = (await response.json().catch(() => ({}))) as { message?: string };
        setProblem('refused');
        setProblemMessage(typeof body.message === 'string' ? body.message : null);
      }
    } catch {
      setProblem('unreachable');
    }
  }, [handle]);

  useEffect(() => {
    if (!handle || started.current === handle.orderId) return;
    started.current = handle.orderId;
    void startAgent();
  }, [handle, startAgent]);

  useEffect(() => {
    if (!handle || finished) return;
    let stopped = false;
    const poll = async () => {
      try {
        const response = await fetch(`/mina-sidor/kortorder/${handle.orderId}`, { cache: 'no-store' });
        if (response.ok && !stopped) setStatus((await response.json()) as CardOrderStatus);
      } catch {
        // The next poll tries again; a server that is gone shows as no progress.
      }
    };
    void poll();
    const timer = setInterval(poll, pollEveryMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [handle, finished]);

  return { status, problem, problemMessage, retryStart: startAgent };
}
