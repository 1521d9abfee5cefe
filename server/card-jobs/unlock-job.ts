import { assistedUnlockOfJob, settleAssistedUnlock } from '../../db/assisted-unlocks';
import { recordAudit } from '../../db/audit';
import { markCardUnlocked } from '../../db/card-lifecycle';
import { findCardForCertificates } from '../../db/eids';
import type { JobRow } from '../../db/jobs';
import { findPersonById } from '../../db/persons';
import type { CardExchange, CardExchangeAnswer } from '../../protocol/card-exchange';
import { deriveCardSecrets } from '../secrets/card-secrets';
import { refusals } from './refusals';
import { type CardJobContext, type CardJobKind, provenCertificate, refuse } from './shared';

/** An unlock counts as done only when the agent says so and the assigned card proved itself in the job. */
export function unlockProven(job: JobRow): boolean {
  return (
    job.kind === 'unlock' &&
    job.state === 'succeeded' &&
    job.cardSerial !== null &&
    job.provenCardSerial === job.cardSerial
  );
}

/** The unlock job: the assigned card proves itself and gets its PUK; every attempt is audited and mailed. */
export function unlockJob(ctx: CardJobContext): CardJobKind {
  async function proveForUnlock(
    job: JobRow,
    request: Extract<CardExchange, { type: 'prove_card' }>,
  ): Promise<CardExchangeAnswer> {
    const proven = await provenCertificate(ctx, job, request);
    if ('ok' in proven) return proven;
    if (proven.purpose !== 'card_authentication') return refuse('certificate_rejected', refusals.certificate);
    if (!job.cardSerial || proven.cardSerial !== job.cardSerial)
      return refuse('wrong_card', refusals.wrongCard);
    if (job.personId && proven.personId !== job.personId) return refuse('wrong_card', refusals.wrongCard);
    const { puk } = deriveCardSecrets(ctx.deps.masterKey, job.cardSerial);
    return { ok: true as const, puk };
  }

  async function unlockEnded(job: JobRow, now: Date): Promise<void> {
    const { db } = ctx.deps;
    if (!job.cardSerial || !job.personId) return;
    const card = await findCardForCertificates(db, job.cardSerial);
    const succeeded = unlockProven(job);
    if (job.state === 'succeeded' && !succeeded)
      ctx.deps.logger.warn({ jobId: job.id }, 'unlock reported done without the card proving itself');
    if (succeeded && card) await markCardUnlocked(db, card.id, now);
    const person = await findPersonById(db, job.personId);
    const assisted = await assistedUnlockOfJob(db, job);
    if (assisted) await settleAssistedUnlock(db, assisted.id, succeeded ? 'succeeded' : 'failed');
    await recordAudit(db, {
      actorUserId: job.createdByUserId,
      // An assisted unlock is the staff member's act; a self-service one the card holder's.
      actorLabel: assisted
        ? assisted.staffName
        : person
          ? `${person.givenName} ${person.surname}`
          : job.personId,
      action: assisted ? 'card_unlock_assisted' : 'card_unlock',
      objectType: 'card',
      objectId: card?.id ?? null,
      outcome: succeeded ? 'success' : 'failed',
      detail: {
        cardSerial: job.cardSerial,
        jobId: job.id,
        ...(job.errorCode ? { errorCode: job.errorCode } : {}),
        ...(assisted
          ? {
              assistedUnlockId: assisted.id,
              personId: job.personId,
              identityCheck: assisted.identityCheckMethod,
              ...(assisted.documentType ? { documentType: assisted.documentType } : {}),
              ...(assisted.documentNumberEnd ? { documentNumberEnd: assisted.documentNumberEnd } : {}),
            }
          : {}),
      },
    });
    await ctx.deps.onUnlockAttempt({
      personId: job.personId,
      cardSerial: job.cardSerial,
      outcome: succeeded ? 'succeeded' : 'failed',
      at: now,
    });
  }

  return {
    exchange: async (job, request) =>
      request.type === 'prove_card'
        ? proveForUnlock(job, request)
        : refuse('agent_protocol_error', refusals.wrongRequest),
    ended: unlockEnded,
  };
}
