import type { AppLoadContext } from '@remix-run/node';
import { type AuthOrderRow, createAuthOrder } from '../../db/auth-orders';
import { findLatestJobOfAuthOrder } from '../../db/jobs';
import type { AuthOrderPurpose } from '../../db/schema';
import { type TooManyStarts, takeAnonymousStart } from './anonymous-starts.server';
import { authOrderCookieHeader } from './end-user.server';

/** How long the user has to let the SITHS eID-app take over, and for the whole job to finish. */
const cardOrderTtlMs: Record<Exclude<AuthOrderPurpose, 'unlock_reauth'>, number> = {
  login: 5 * 60_000,
  reserve_registration: 10 * 60_000,
  unlock: 10 * 60_000,
  activate: 15 * 60_000,
  sign_decision: 5 * 60_000,
};

export interface StartedCardOrder {
  orderId: string;
  /** Handed to the SITHS eID-app on this computer by the page; shown to nobody. */
  autoStartToken: string;
  cookie: string;
}

/** An order the SITHS eID-app on this computer claims with the start token, bound to this browser. */
export async function startCardOrder(
  context: AppLoadContext,
  input: {
    purpose: Exclude<AuthOrderPurpose, 'unlock_reauth'>;
    expectedPersonId?: string;
    cardId?: string;
    sessionId?: string;
    /** For purpose sign_decision: the statement the card is to sign, naming the order (see createAuthOrder). */
    statementFor?: (orderId: string, createdAt: Date) => string;
  },
): Promise<StartedCardOrder> {
  const started = await createAuthOrder(
    context.db,
    {
      purpose: input.purpose,
      method: 'card',
      expectedPersonId: input.expectedPersonId ?? null,
      cardId: input.cardId ?? null,
      sessionId: input.sessionId ?? null,
      remoteAddress: context.clientAddress,
      ...(input.statementFor ? { statementFor: input.statementFor } : {}),
      ttlMs: cardOrderTtlMs[input.purpose],
    },
    new Date(),
  );
  return {
    orderId: started.orderId,
    autoStartToken: started.autoStartToken!,
    cookie: await authOrderCookieHeader(started.orderId, started.collectSecret),
  };
}

/** A card order for someone not logged in (card login, reserve-card registration): within the address's start limit. */
export async function startAnonymousCardOrder(
  context: AppLoadContext,
  purpose: 'login' | 'reserve_registration',
): Promise<({ ok: true } & StartedCardOrder) | TooManyStarts> {
  const allowed = await takeAnonymousStart(
    context,
    purpose === 'login' ? 'card_login' : 'reserve_registration',
  );
  if (!allowed.ok) return allowed;
  return { ok: true, ...(await startCardOrder(context, { purpose })) };
}

export type CardOrderPhase = 'waiting' | 'running' | 'completed' | 'failed' | 'expired';

/** What the page polling an order shows: never a secret, only the phase, the job's progress and an error code. */
export interface CardOrderStatus {
  phase: CardOrderPhase;
  progress: number;
  step: string | null;
  errorCode: string | null;
}

export async function cardOrderStatus(
  context: AppLoadContext,
  order: AuthOrderRow,
  now = new Date(),
): Promise<CardOrderStatus> {
  const job = await findLatestJobOfAuthOrder(context.db, order.id);
  const base = { progress: job?.progress ?? 0, step: job?.currentStep ?? null, errorCode: null };
  switch (order.state) {
    case 'completed':
    case 'collected':
      return { ...base, phase: 'completed', progress: 100 };
    case 'failed':
    case 'cancelled':
      return { ...base, phase: 'failed', errorCode: order.errorCode ?? job?.errorCode ?? 'internal' };
    case 'expired':
      return { ...base, phase: 'expired' };
    default:
      if (order.expiresAt <= now) return { ...base, phase: 'expired' };
      return { ...base, phase: order.state === 'scanned' ? 'running' : 'waiting' };
  }
}
