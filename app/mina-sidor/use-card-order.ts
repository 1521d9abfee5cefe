import { useCallback, useEffect, useRef, useState } from 'react';
import type { CardOrderStatus } from './card-order.server';
import { usePolledStatus } from './use-polled-status';

export interface CardOrderHandle {
  orderId: string;
  autoStartToken: string;
  agentLocalUrl: string;
}

export type AgentStartProblem = 'unreachable' | 'refused' | null;

const pollEveryMs = 700;
const cardOrderEnded = (status: CardOrderStatus) =>
  status.phase === 'completed' || status.phase === 'failed' || status.phase === 'expired';

/**
 * Hands the start token to the SITHS eID-app on this computer (its loopback address), then follows the
 * order until it completes or fails. The token goes only to the local app; the server never shows it again.
 */
export function useCardOrder(handle: CardOrderHandle | undefined) {
  const status = usePolledStatus<CardOrderStatus>(
    handle ? `/mina-sidor/kortorder/${handle.orderId}` : undefined,
    cardOrderEnded,
    pollEveryMs,
  );
  const [problem, setProblem] = useState<AgentStartProblem>(null);
  const [problemMessage, setProblemMessage] = useState<string | null>(null);
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

  return { status, problem, problemMessage, retryStart: startAgent };
}
