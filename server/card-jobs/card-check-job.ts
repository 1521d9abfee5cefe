import { type JobRow, recordProvenCardSerial } from '../../db/jobs';
import type { CardExchange, CardExchangeAnswer } from '../../protocol/card-exchange';
import { refusals } from './refusals';
import { type CardJobContext, type CardJobKind, refuse, signedJobChallenge } from './shared';

/**
 * A login or card check found the PIN blocked: the card names itself with its card-authentication key
 * (9E signs without the PIN), so the job's end may lock that card. Only that key counts; the answer
 * carries nothing, the card gets no secret for a blocked PIN.
 */
export async function proveBlockedCard(
  ctx: CardJobContext,
  job: JobRow,
  request: Extract<CardExchange, { type: 'prove_card' }>,
): Promise<CardExchangeAnswer> {
  const certificate = await signedJobChallenge(ctx, job, request);
  if ('ok' in certificate) return certificate;
  if (certificate.purpose !== 'card_authentication' || !certificate.cardSerial)
    return refuse('certificate_rejected', refusals.certificate);
  await recordProvenCardSerial(ctx.deps.db, job.id, certificate.cardSerial);
  return { ok: true as const };
}

/** A card check asks the server for nothing but the proof of a card whose PIN it found blocked. */
export function cardCheckJob(ctx: CardJobContext): CardJobKind {
  return {
    exchange: async (job, request) =>
      request.type === 'prove_card'
        ? proveBlockedCard(ctx, job, request)
        : refuse('agent_protocol_error', refusals.wrongRequest),
  };
}
