import { createHash, type KeyObject, X509Certificate } from 'node:crypto';
import { type CardKeyRole, cardKeyRoles } from '../../protocol/card-exchange';
import type { ManagementKey } from '../piv/management-key';
import type { PivSlot } from '../piv/piv-constants';
import type { CardSession } from './card-access';
import { openCard, verifyPinWithUser } from './card-check';
import { proveWithSlot, requireCertificate, requireChallenge } from './card-proof';
import { JobFailure } from './job-errors';
import type { JobContext } from './job-plans';

/** Where each key the server certifies lives on the card. The transport key (9D) is never touched. */
export const slotOfRole: Record<CardKeyRole, PivSlot> = {
  authentication: '9a',
  signature: '9c',
  cardAuthentication: '9e',
};

type PerRole<T> = Record<CardKeyRole, T>;

const perRole = <T>(make: (role: CardKeyRole) => T): PerRole<T> =>
  Object.fromEntries(cardKeyRoles.map((role) => [role, make(role)])) as PerRole<T>;

async function forEachRole<T>(make: (role: CardKeyRole, slot: PivSlot) => Promise<T>): Promise<PerRole<T>> {
  const result: Partial<PerRole<T>> = {};
  for (const role of cardKeyRoles) result[role] = await make(role, slotOfRole[role]);
  return result as PerRole<T>;
}

/**
 * "Aktivera ditt reservkort": the envelope PIN, the transport key (9D) proves the card, the server hands
 * over the management key, new keys are generated in 9A, 9C and 9E, the server's certificates for them
 * are written to the card, read back and confirmed. Stopped anywhere, a new job starts over from the top.
 */
export async function runActivate(job: JobContext): Promise<void> {
  const { execution, exchange } = job;
  const { jobId } = execution.offer;
  requireChallenge(execution.offer);
  const session = await openCard(job);
  try {
    await verifyPinWithUser(job, session, { kind: 'activation' });
    const managementKey = await proveTransportKey(job, session);
    try {
      await execution.step('management_key_authenticated', () =>
        session.authenticateManagementKey(managementKey),
      );
    } finally {
      managementKey.key.fill(0);
    }
    const publicKeys = await execution.step('keys_generated', () =>
      forEachRole((_role, slot) => session.generateKey(slot, 'ECCP256')),
    );
    const issued = await execution.step('certificates_issued', async () => {
      const keys = perRole((role) =>
        publicKeys[role].export({ type: 'spki', format: 'der' }).toString('base64'),
      );
      const answer = await exchange({ type: 'request_certificates', jobId, keys });
      if (!answer.certificates) throw new JobFailure('internal', 'the server issued no certificates');
      const certificates = answer.certificates;
      return perRole((role) => checkedCertificate(certificates[role], publicKeys[role], slotOfRole[role]));
    });
    await execution.step('certificates_written', () =>
      forEachRole((role, slot) => session.putCertificate(slot, issued[role])),
    );
    await execution.step('certificates_verified', async () => {
      const fingerprints = await forEachRole(async (role, slot) => {
        const onCard = await session.readCertificate(slot);
        if (!onCard?.equals(issued[role]))
          throw new JobFailure('card_error', `slot ${slot} does not hold the certificate written to it`);
        return createHash('sha256').update(onCard).digest('hex');
      });
      await exchange({ type: 'confirm_certificates', jobId, fingerprints });
    });
  } finally {
    await session.close().catch(() => {});
  }
}

/** card_proven: 9D signs the challenge; the answer is the card's management key. */
async function proveTransportKey(job: JobContext, session: CardSession): Promise<ManagementKey> {
  const { execution, exchange } = job;
  return execution.step('card_proven', async () => {
    const certificate = await requireCertificate(session, '9d');
    const proof = await proveWithSlot(session, execution.offer, 'prove_card', '9d', certificate);
    const answer = await exchange({ type: 'prove_card', jobId: execution.offer.jobId, ...proof });
    if (!answer.managementKey)
      throw new JobFailure('internal', 'the server answered the card proof without a management key');
    const { algorithm, key } = answer.managementKey;
    return { algorithm, key: Buffer.from(key, 'hex') };
  });
}

/** A certificate the server issued, refused unless it certifies the key the card generated for it. */
function checkedCertificate(base64: string, publicKey: KeyObject, slot: PivSlot): Buffer {
  const der = Buffer.from(base64, 'base64');
  let certified: KeyObject;
  try {
    certified = new X509Certificate(der).publicKey;
  } catch {
    throw new JobFailure('certificate_rejected', `the certificate issued for slot ${slot} cannot be read`);
  }
  if (!certified.equals(publicKey))
    throw new JobFailure(
      'certificate_rejected',
      `the certificate issued for slot ${slot} is for another key`,
    );
  return der;
}
