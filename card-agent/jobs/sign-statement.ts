import { createHash, X509Certificate } from 'node:crypto';
import type { JobOffer } from '../../protocol/jobs';
import { ecdsaDerToP1363 } from '../piv/ecdsa-signature';
import type { KeyAlgorithm } from '../piv/piv-constants';
import { keyAlgorithmOf } from '../piv/public-key';
import type { CardSession } from './card-access';
import { openCardReading, verifyPinWithUser } from './card-check';
import { JobFailure } from './job-errors';
import type { JobContext } from './job-plans';

/**
 * A decision signed with the card ("Underteckna"): the signature certificate (9C) is read with the card, the
 * user reads the statement and gives the PIN, and the signature key signs the statement's own UTF-8 bytes.
 * The PIN's VERIFY comes right before the signature: 9C is PIN Always.
 */
export async function runSignStatement(job: JobContext): Promise<void> {
  const statement = requireStatement(job.execution.offer);
  const { session, read: certificate } = await openCardReading(job, signatureCertificate);
  try {
    await verifyPinWithUser(job, session, { kind: 'signature', statement });
    await signStatement(job, session, statement, certificate);
  } finally {
    await session.close().catch(() => {});
  }
}

function requireStatement(offer: JobOffer): string {
  if (!offer.statement) throw new JobFailure('internal', 'the sign_decision offer carries no statement');
  return offer.statement;
}

interface SignatureCertificate {
  der: Buffer;
  algorithm: KeyAlgorithm;
}

/** 9C's certificate and its key's algorithm, so the signature needs no other APDU after the PIN. */
async function signatureCertificate(session: CardSession): Promise<SignatureCertificate> {
  const der = await session.readCertificate('9c');
  if (!der) throw new JobFailure('card_not_active', 'the card holds no signature certificate');
  let algorithm: KeyAlgorithm | undefined;
  try {
    algorithm = keyAlgorithmOf(new X509Certificate(der).publicKey);
  } catch {
    throw new JobFailure('card_error', 'the signature certificate cannot be read');
  }
  if (!algorithm) throw new JobFailure('card_error', 'the signature key is neither RSA 2048 nor P-256');
  return { der, algorithm };
}

/** statement_signed: SHA-256 of the statement signed with 9C, then sign_statement to the server. */
async function signStatement(
  job: JobContext,
  session: CardSession,
  statement: string,
  certificate: SignatureCertificate,
): Promise<void> {
  const { execution, exchange } = job;
  await execution.step('statement_signed', async () => {
    const digest = createHash('sha256').update(statement, 'utf8').digest();
    const signed = await session.sign('9c', digest, certificate.algorithm);
    const signature = certificate.algorithm === 'ECCP256' ? p1363(signed) : signed;
    execution.updateCard({ pinTriesLeft: await session.pinTriesLeft() });
    await exchange({
      type: 'sign_statement',
      jobId: execution.offer.jobId,
      certificate: certificate.der.toString('base64'),
      signature: signature.toString('base64'),
    });
  });
}

/** The wire form of an ECDSA signature (see sign_statement in card-exchange.ts). */
function p1363(der: Buffer): Buffer {
  try {
    return ecdsaDerToP1363(der);
  } catch {
    throw new JobFailure('card_error', 'the card answered no ECDSA signature');
  }
}
