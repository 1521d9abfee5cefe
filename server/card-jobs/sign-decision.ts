import { constants, type KeyObject, verify } from 'node:crypto';
import { completeAuthOrder, findAuthOrder, isAuthOrderOpen } from '../../db/auth-orders';
import { findCardForCertificates } from '../../db/eids';
import { type JobRow, recordProvenCardSerial } from '../../db/jobs';
import type { CardExchange, CardExchangeAnswer } from '../../protocol/card-exchange';
import { refusals } from './refusals';
import { type CardJobContext, refuse, validatedCertificate } from './shared';

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
  const certificate = await validatedCertificate(ctx, request);
  if ('ok' in certificate) return certificate;
  if (certificate.purpose !== 'signature' || !certificate.cardId || !certificate.cardSerial)
    return refuse('certificate_rejected', refusals.notSignatureKey);
  if (certificate.personId !== order.expectedPersonId) return refuse('wrong_card', refusals.otherSigner);
  const signature = Buffer.from(request.signature, 'base64');
  if (!signsStatement(certificate.publicKey, order.statement, signature))
    return refuse('card_not_authentic', refusals.statementNotSigned);
  // The card's own key signed a text that names this job's order: the card proved itself in the job.
  await recordProvenCardSerial(db, job.id, certificate.cardSerial);
  const card = await findCardForCertificates(db, certificate.cardSerial);
  if (card?.id !== certificate.cardId) return refuse('certificate_rejected', refusals.certificate);
  if (card.state !== 'active') return refuse('card_not_active', refusals.cardNotActiveForSigning);
  const statementSignature = {
    signature: signature.toString('base64'),
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

/**
 * SHA-256 over the statement's UTF-8 bytes as they are: RSASSA-PKCS1-v1_5 for an RSA key, ECDSA r || s
 * (IEEE P1363) for an EC key, the scheme taken from the certificate's key and never from the request.
 */
function signsStatement(publicKey: KeyObject, statement: string, signature: Buffer): boolean {
  const key =
    publicKey.asymmetricKeyType === 'rsa'
      ? { key: publicKey, padding: constants.RSA_PKCS1_PADDING }
      : publicKey.asymmetricKeyType === 'ec'
        ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const }
        : undefined;
  if (!key) return false;
  try {
    return verify('sha256', Buffer.from(statement, 'utf8'), key, signature);
  } catch {
    return false;
  }
}
