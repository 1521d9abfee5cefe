import { completeAuthOrder, findAuthOrder, isAuthOrderOpen } from '../../db/auth-orders';
import { findCardForCertificates } from '../../db/eids';
import { type JobRow, recordProvenCardSerial } from '../../db/jobs';
import type { CardExchange, CardExchangeAnswer } from '../../protocol/card-exchange';
import { type StatementRefusal, verifyStatementSignature } from '../pki/signed-statement';
import { refusals } from './refusals';
import { type CardJobContext, type Refusal, refuse } from './shared';

/**
 * An authenticate job for a sign_decision order: the decider's card signs the order's statement with its
 * signature key (9C). Only the statement the server stored is verified, never a text the agent sends; the
 * signature and certificate are kept on the order for whoever records the decision.
 */
export async function signStatement(
  ctx: CardJobContext,
  job: JobRow,
  request: Extract<CardExchange, { type: 'sign_statement' }>,
): Promise<CardExchangeAnswer> {
  const { db } = ctx.deps;
  const order = job.authOrderId ? await findAuthOrder(db, job.authOrderId) : undefined;
  if (order?.purpose !== 'sign_decision' || !order.statement || !order.expectedPersonId)
    return refuse('agent_protocol_error', refusals.wrongRequest);
  if (!isAuthOrderOpen(order, ctx.now())) return refuse('job_not_active', refusals.signingClosed);
  const verified = await verifyStatementSignature(ctx.deps.pki, {
    statement: order.statement,
    signature: Buffer.from(request.signature, 'base64'),
    certificateDer: Buffer.from(request.certificate, 'base64'),
    at: ctx.now(),
    expectedPersonId: order.expectedPersonId,
    method: 'card',
  });
  if (!verified.ok) return statementRefusals[verified.reason];
  const { certificate } = verified;
  if (!certificate.cardId || !certificate.cardSerial)
    return refuse('certificate_rejected', refusals.notSignatureKey);
  // The card's own key signed a text that names this job's order: the card proved itself in the job.
  await recordProvenCardSerial(db, job.id, certificate.cardSerial);
  const card = await findCardForCertificates(db, certificate.cardSerial);
  if (card?.id !== certificate.cardId) return refuse('certificate_rejected', refusals.certificate);
  if (card.state !== 'active') return refuse('card_not_active', refusals.cardNotActiveForSigning);
  const statementSignature = {
    signature: Buffer.from(request.signature, 'base64').toString('base64'),
    certificate: Buffer.from(request.certificate, 'base64').toString('base64'),
  };
  const completed = await completeAuthOrder(
    db,
    order.id,
    { personId: order.expectedPersonId, cardSerial: card.serial, statementSignature },
    ctx.now(),
  );
  return completed ? { ok: true } : refuse('job_not_active', refusals.signingClosed);
}

/** The shared verifier's reasons as the agent and Mina sidor show them. */
const statementRefusals: Record<StatementRefusal, Refusal> = {
  malformed_statement: refuse('internal', refusals.jobFailed),
  certificate_rejected: refuse('certificate_rejected', refusals.certificate),
  revoked: refuse('card_not_active', refusals.revoked),
  expired: refuse('card_not_active', refusals.expired),
  other_person: refuse('wrong_card', refusals.otherSigner),
  wrong_key: refuse('certificate_rejected', refusals.notSignatureKey),
  bad_signature: refuse('card_not_authentic', refusals.statementNotSigned),
};
