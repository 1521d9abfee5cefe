import { assistedUnlockOfJob } from '../../db/assisted-unlocks';
import {
  type AuthOrderRow,
  attachJobToAuthOrder,
  completeAuthOrder,
  failAuthOrder,
  findAuthOrder,
  findAuthOrderByAutoStartToken,
  isAuthOrderOpen,
  markAuthOrderScanned,
} from '../../db/auth-orders';
import { findActivationOrder, findCardById } from '../../db/card-lifecycle';
import { hasUnfinishedJobForCard, type JobRow } from '../../db/jobs';
import { ensureUserForPerson } from '../../db/users';
import type { AutoStartAck } from '../../protocol/card-exchange';
import type { JobKind, JobOffer } from '../../protocol/jobs';
import type { CardJobHooks } from '../jobs/job-engine';
import { refusals } from './refusals';
import type { CardJobContext } from './shared';
import { unlockProven } from './unlock-job';

/**
 * The Mina sidor order behind a card job: its start token starts the job, it tells the agent what the job is
 * for, and the job's end completes or fails it.
 */

/** The browser on the agent's computer handed it a start token: start the order's job on that agent. */
export async function claimAutoStart(
  ctx: CardJobContext,
  agent: { agentId: string; agentSessionId: string },
  token: string,
): Promise<AutoStartAck> {
  const { db } = ctx.deps;
  const now = ctx.now();
  const order = await findAuthOrderByAutoStartToken(db, token);
  if (order?.method !== 'card') return { ok: false, code: 'not_found', message: refusals.unknownStart };
  if (order.state !== 'pending' || !isAuthOrderOpen(order, now)) {
    return { ok: false, code: 'conflict', message: refusals.usedStart };
  }
  const card = order.cardId ? await findCardById(db, order.cardId) : undefined;
  const kind: JobKind =
    order.purpose === 'unlock' ? 'unlock' : order.purpose === 'activate' ? 'activate' : 'authenticate';
  if ((kind === 'unlock' || kind === 'activate') && !card) {
    return { ok: false, code: 'not_found', message: refusals.unknownCard };
  }
  if (card && (await hasUnfinishedJobForCard(db, kind, card.serial))) {
    await failAuthOrder(db, order.id, { code: 'card_busy', message: refusals.cardBusy }, now);
    return { ok: false, code: 'card_busy', message: refusals.cardBusy };
  }
  if (!(await markAuthOrderScanned(db, order.id, { agentId: agent.agentId }))) {
    return { ok: false, code: 'conflict', message: refusals.usedStart };
  }
  const personId = order.expectedPersonId;
  const result = await ctx.deps.jobs.startJob({
    kind,
    agentId: agent.agentId,
    agentSessionId: agent.agentSessionId,
    readerName: null,
    cardSerial: card?.serial ?? null,
    personId,
    createdByUserId: personId ? ((await ensureUserForPerson(db, personId))?.id ?? null) : null,
    createdBySessionId: order.sessionId,
    authOrderId: order.id,
    eidOrderId: kind === 'activate' && card ? ((await findActivationOrder(db, card.id))?.id ?? null) : null,
    challenge: order.challenge,
  });
  if (!result.ok) return { ok: false, code: result.code, message: result.message };
  await attachJobToAuthOrder(db, order.id, result.jobId);
  return { ok: true, jobId: result.jobId };
}

export async function offerDetails(
  ctx: CardJobContext,
  job: JobRow,
): ReturnType<CardJobHooks['offerDetails']> {
  const order = job.authOrderId ? await findAuthOrder(ctx.deps.db, job.authOrderId) : undefined;
  const purpose = job.kind === 'authenticate' && order ? authenticatePurpose(order) : undefined;
  const assisted = job.kind === 'unlock' ? await assistedUnlockOfJob(ctx.deps.db, job) : undefined;
  return {
    ...(job.challenge ? { challenge: job.challenge } : {}),
    relyingParty: ctx.deps.relyingParty,
    ...(purpose ? { purpose } : {}),
    // The text the user reads and signs: the order's own, as the server verifies the signature against it.
    ...(purpose === 'sign_decision' && order?.statement ? { statement: order.statement } : {}),
    ...(assisted ? { assistedBy: assisted.staffName } : {}),
  };
}

/** What an authenticate job tells the agent it is for; every other purpose is a login. */
function authenticatePurpose(order: AuthOrderRow): NonNullable<JobOffer['purpose']> {
  if (order.purpose === 'reserve_registration' || order.purpose === 'sign_decision') return order.purpose;
  return 'login';
}

/** The ended job's order: done by a proven unlock, failed by a failed job or an unlock the card never proved. */
export async function settleAuthOrder(ctx: CardJobContext, job: JobRow, now: Date): Promise<void> {
  const { db } = ctx.deps;
  if (!job.authOrderId) return;
  if (unlockProven(job) && job.personId && job.cardSerial) {
    await completeAuthOrder(db, job.authOrderId, { personId: job.personId, cardSerial: job.cardSerial }, now);
  } else if (job.state !== 'succeeded') {
    await failAuthOrder(
      db,
      job.authOrderId,
      { code: job.errorCode ?? 'internal', message: job.errorMessage ?? refusals.jobFailed },
      now,
    );
  } else if (job.kind === 'unlock') {
    await failAuthOrder(
      db,
      job.authOrderId,
      { code: 'card_not_authentic', message: refusals.notProven },
      now,
    );
  }
}
