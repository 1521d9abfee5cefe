import type { AppLoadContext } from '@remix-run/node';
import { type AuthOrderRow, cancelAuthOrder, createAuthOrder } from '../../db/auth-orders';
import { findLatestJobOfAuthOrder, type JobRow, listJobSteps } from '../../db/jobs';
import type { AuthOrderPurpose } from '../../db/schema';
import type { JobKind } from '../../protocol/jobs';
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

/**
 * Where the order's job is, as the page tells the user: the app not yet reached, the app reached but the job
 * not started on the card, the app asking for the user's code, a step on the card, or the end.
 */
export type CardOrderStage =
  | 'starting'
  | 'waiting_for_app'
  | 'waiting_for_code'
  | 'working'
  | 'done'
  | 'failed'
  | 'expired';

/** What the page polling an order shows: never a secret, only where the job is, its progress and an error code. */
export interface CardOrderStatus {
  phase: CardOrderPhase;
  stage: CardOrderStage;
  kind: JobKind | null;
  progress: number;
  /** The job's latest step; with stage working, the one the card is at. */
  step: string | null;
  errorCode: string | null;
}

export async function cardOrderStatus(
  context: AppLoadContext,
  order: AuthOrderRow,
  now = new Date(),
): Promise<CardOrderStatus> {
  const job = await findLatestJobOfAuthOrder(context.db, order.id);
  const base = {
    kind: (job?.kind as JobKind | undefined) ?? null,
    progress: job?.progress ?? 0,
    step: job?.currentStep ?? null,
    errorCode: null,
  };
  switch (order.state) {
    case 'completed':
    case 'collected':
      return { ...base, phase: 'completed', stage: 'done', progress: 100 };
    case 'failed':
      return {
        ...base,
        phase: 'failed',
        stage: 'failed',
        errorCode: order.errorCode ?? job?.errorCode ?? 'internal',
      };
    case 'cancelled':
      // Cancelled on Mina sidor (AVBRYT, or the page left): the user's own doing, whatever the job was told.
      return { ...base, phase: 'failed', stage: 'failed', errorCode: order.errorCode ?? 'user_cancelled' };
    case 'expired':
      return { ...base, phase: 'expired', stage: 'expired' };
    default:
      if (order.expiresAt <= now) return { ...base, phase: 'expired', stage: 'expired' };
      if (order.state !== 'scanned') return { ...base, phase: 'waiting', stage: 'starting' };
      return { ...base, phase: 'running', stage: job ? await runningStage(context, job) : 'waiting_for_app' };
  }
}

/** A job not yet on the card waits for the app; the app asks for the code while waiting_for_user is started. */
async function runningStage(context: AppLoadContext, job: JobRow): Promise<CardOrderStage> {
  if (job.state === 'queued' || !job.currentStep) return 'waiting_for_app';
  if (job.currentStep !== 'waiting_for_user') return 'working';
  const last = (await listJobSteps(context.db, job.id)).at(-1);
  return last?.step === 'waiting_for_user' && last.status === 'started' ? 'waiting_for_code' : 'working';
}

export type CancelledCardOrder = { ok: true } | { ok: false; reason: 'not_open' };

/**
 * AVBRYT on Mina sidor, or the page left mid-job: the order is cancelled, so the app can no longer take
 * it, and its job, if one runs, is ended on the server and in the app.
 */
export async function cancelCardOrder(
  context: AppLoadContext,
  order: AuthOrderRow,
  now = new Date(),
): Promise<CancelledCardOrder> {
  if (!(await cancelAuthOrder(context.db, order.id, now))) return { ok: false, reason: 'not_open' };
  const job = await findLatestJobOfAuthOrder(context.db, order.id);
  if (job && (job.state === 'queued' || job.state === 'running')) await context.jobs.cancel(job.id, 'user');
  return { ok: true };
}
