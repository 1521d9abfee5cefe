import { verify } from 'node:crypto';
import { recordAudit } from '../../db/audit';
import type { AppDatabase } from '../../db/connection';
import { findCardForCertificates } from '../../db/eids';
import { type JobRow, recordProvenCardSerial } from '../../db/jobs';
import { type CardExchange, type CardExchangeAnswer, signedChallenge } from '../../protocol/card-exchange';
import type { JobErrorCode } from '../../protocol/jobs';
import type { JobEngine } from '../jobs/job-engine';
import type { Logger } from '../logger';
import type { Pki, ValidCertificate } from '../pki/types';
import { refusals } from './refusals';

export interface UnlockAttempt {
  personId: string;
  cardSerial: string;
  outcome: 'succeeded' | 'failed';
  at: Date;
}

export interface CardJobServiceDeps {
  db: AppDatabase;
  logger: Logger;
  pki: Pki;
  masterKey: Buffer;
  jobs: JobEngine;
  /** This server's address as the agent shows it: "Jag legitimerar mig hos ...". */
  relyingParty: string;
  /** Every unlock attempt, successful or not, is mailed to the card holder. */
  onUnlockAttempt(attempt: UnlockAttempt): Promise<void>;
  now?: () => Date;
}

/** What every job kind's module works with: the service's dependencies and its clock. */
export interface CardJobContext {
  deps: CardJobServiceDeps;
  now(): Date;
}

/** One job kind's part of the engine's hooks; the service hands each job to its kind's module. */
export interface CardJobKind {
  /** Only requests the kind accepts reach it (the service checks the request against the job's kind). */
  exchange(job: JobRow, request: CardExchange): Promise<CardExchangeAnswer>;
  /** The kind's own effects of a job's end, after a blocked PIN locked the card, before the order settles. */
  ended?(job: JobRow, now: Date): Promise<void>;
  isSettled?(job: JobRow): Promise<boolean>;
}

export type Refusal = Extract<CardExchangeAnswer, { ok: false }>;
export const refuse = (code: JobErrorCode, message: string): Refusal => ({ ok: false, code, message });

/** A validated certificate that signed this job's challenge for this kind of request, or a refusal. */
export async function provenCertificate(
  ctx: CardJobContext,
  job: JobRow,
  request: Extract<CardExchange, { certificate: string }>,
): Promise<ValidCertificate | Refusal> {
  const certificate = await signedJobChallenge(ctx, job, request);
  if ('ok' in certificate) return certificate;
  // The card signed this job's challenge with its own key: only now may the job act on this serial.
  if (certificate.cardSerial) await recordProvenCardSerial(ctx.deps.db, job.id, certificate.cardSerial);
  return certificate;
}

/** The certificate whose key signed this job's challenge, checked against our PKI; records nothing. */
export async function signedJobChallenge(
  ctx: CardJobContext,
  job: JobRow,
  request: Extract<CardExchange, { certificate: string }>,
): Promise<ValidCertificate | Refusal> {
  const certificate = await validatedCertificate(ctx, request);
  if ('ok' in certificate) return certificate;
  const signedBytes = signedChallenge(request.type, job.id, job.challenge!);
  const signature = Buffer.from(request.signature, 'base64');
  let signatureValid = false;
  try {
    signatureValid = verify('sha256', signedBytes, certificate.publicKey, signature);
  } catch {
    signatureValid = false;
  }
  if (!signatureValid) return refuse('card_not_authentic', refusals.notAuthentic);
  return certificate;
}

/** The request's certificate, checked against our PKI and the eIDs registered; says nothing of its key yet. */
async function validatedCertificate(
  ctx: CardJobContext,
  request: Extract<CardExchange, { certificate: string }>,
): Promise<ValidCertificate | Refusal> {
  const validation = await ctx.deps.pki.validate(Buffer.from(request.certificate, 'base64'), {
    at: ctx.now(),
  });
  if (validation.ok) return validation.certificate;
  if (validation.reason === 'revoked') return refuse('card_not_active', refusals.revoked);
  if (validation.reason === 'expired') return refuse('card_not_active', refusals.expired);
  if (request.type === 'sign_in' && (await isReserveCardToActivate(ctx, validation.cardSerial)))
    return refuse('reserve_card_not_activated', refusals.notActivated);
  return refuse('certificate_rejected', refusals.certificate);
}

/**
 * An activation cut short leaves keys and certificates on a reserve card that were never registered; a
 * login with that card is still Felkod 2004, not a rejected certificate.
 */
async function isReserveCardToActivate(
  ctx: CardJobContext,
  cardSerial: string | null | undefined,
): Promise<boolean> {
  const card = cardSerial ? await findCardForCertificates(ctx.deps.db, cardSerial) : undefined;
  return card?.kind === 'reserve' && card.state !== 'active';
}

export async function auditRefusal(
  ctx: CardJobContext,
  job: JobRow,
  type: CardExchange['type'],
  refusal: Refusal,
): Promise<void> {
  ctx.deps.logger.warn({ jobId: job.id, type, code: refusal.code }, 'card exchange refused');
  await recordAudit(ctx.deps.db, {
    actorUserId: job.createdByUserId,
    actorLabel: 'SITHS eID-app',
    action: `card_${type}`,
    objectType: 'job',
    objectId: job.id,
    outcome: 'refused',
    detail: { reason: refusal.code, cardSerial: job.cardSerial, kind: job.kind },
  });
}
