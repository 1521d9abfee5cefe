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

const orderUrl = (orderId: string) => `/mina-sidor/kortorder/${orderId}`;

/**
 * Hands the start token to the SITHS eID-app on this computer (its loopback address), then follows the
 * order until it completes or fails. The token goes only to the local app; the server never shows it again.
 * `cancel` ends the order and its job (AVBRYT); `cancelOnLeave` does the same from a page being left.
 */
export function useCardOrder(handle: CardOrderHandle | undefined) {
  const polled = usePolledStatus<CardOrderStatus>(
    handle ? orderUrl(handle.orderId) : undefined,
    cardOrderEnded,
    pollEveryMs,
  );
  const [cancelled, setCancelled] = useState<CardOrderStatus | null>(null);
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

  const cancel = useCallback(async () => {
    if (!handle) return;
    const response = await fetch(orderUrl(handle.orderId), {
      method: 'POST',
      headers: { Accept: 'application/json' },
      body: new URLSearchParams({ intent: 'cancel' }),
    }).catch(() => null);
    if (response && (response.ok || response.status === 409)) {
      setCancelled((await response.json()) as CardOrderStatus);
    }
  }, [handle]);

  const cancelOnLeave = useCallback(() => {
    if (handle) navigator.sendBeacon(orderUrl(handle.orderId), new URLSearchParams({ intent: 'cancel' }));
  }, [handle]);

  const status = cancelled && cardOrderEnded(cancelled) ? cancelled : polled;
  return { status, problem, problemMessage, retryStart: startAgent, cancel, cancelOnLeave };
}
