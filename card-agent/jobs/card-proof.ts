import { createHash } from 'node:crypto';
import { type CardExchangeType, signedChallenge } from '../../protocol/card-exchange';
import type { JobOffer } from '../../protocol/jobs';
import type { PivSlot } from '../piv/piv-constants';
import type { CardSession } from './card-access';
import { JobFailure } from './job-errors';

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
  const signature = await session.sign(slot, digest);
  return { certificate: certificate.toString('base64'), signature: signature.toString('base64') };
}
