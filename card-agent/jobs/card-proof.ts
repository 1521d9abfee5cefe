import { createHash, X509Certificate } from 'node:crypto';
import { type CardExchangeType, signedChallenge } from '../../protocol/card-exchange';
import type { JobOffer } from '../../protocol/jobs';
import type { PivSlot } from '../piv/piv-constants';
import { keyAlgorithmOf } from '../piv/public-key';
import type { CardSession } from './card-access';
import { JobFailure } from './job-errors';
import type { JobContext } from './job-plans';

/** The certificate and signature that prove a slot's key to the server, base64 as the exchange carries them. */
export interface CardProof {
  certificate: string;
  signature: string;
}

/** The offer's challenge; a job that must sign one cannot run without it. */
export function requireChallenge(offer: JobOffer): string {
  if (!offer.challenge) throw new JobFailure('internal', `the ${offer.kind} offer carries no challenge`);
  return offer.challenge;
}

/** The slot's certificate, or a failure that says which slot was empty. */
export async function requireCertificate(session: CardSession, slot: PivSlot): Promise<Buffer> {
  const certificate = await session.readCertificate(slot);
  if (!certificate) throw new JobFailure('card_not_authentic', `the card has no certificate in slot ${slot}`);
  return certificate;
}

/** Signs SHA-256 of signedChallenge(type, job, challenge) with the slot that holds `certificate`. */
export async function proveWithSlot(
  session: CardSession,
  offer: JobOffer,
  type: CardExchangeType,
  slot: PivSlot,
  certificate: Buffer,
): Promise<CardProof> {
  const digest = createHash('sha256')
    .update(signedChallenge(type, offer.jobId, requireChallenge(offer)))
    .digest();
  // The algorithm comes from the certificate just read: left to the session, it would read it again.
  const algorithm = keyAlgorithmOf(new X509Certificate(certificate).publicKey);
  const signature = await session.sign(slot, digest, algorithm);
  return { certificate: certificate.toString('base64'), signature: signature.toString('base64') };
}

/**
 * The PIN is blocked: before the job fails, the card names itself to the server with its card-authentication
 * key (9E signs without the PIN), since the server locks only a card that proved itself in the job. A card
 * without that certificate (a reserve card not activated), a refusal or a card error only mean no card is
 * locked: the job fails pin_blocked all the same.
 */
export async function proveBlockedCard(job: JobContext, session: CardSession): Promise<void> {
  const { offer } = job.execution;
  // A card the server assigned to the job (unlock, activation) is locked without a proof.
  if (!offer.challenge || offer.cardSerial) return;
  try {
    const certificate = await session.readCertificate('9e');
    if (!certificate) return;
    const proof = await proveWithSlot(session, offer, 'prove_card', '9e', certificate);
    await job.exchange({ type: 'prove_card', jobId: offer.jobId, ...proof });
  } catch {
    // Nothing to add to the job's failure: the server audits a refused proof.
  }
}
