import { createPublicKey } from 'node:crypto';
import type { AppDatabase } from '../../db/connection';
import { findEidByCertificate } from '../../db/eids';
import { readPrintableString } from './der';
import type { Hierarchy } from './hierarchy';
import { oid, trustLevelOfPolicies } from './oids';
import type { CertificateRejection, CertificateValidation, IssuingCaId } from './types';
import { x509 } from './x509';

const reject = (
  reason: CertificateRejection,
  message: string,
  cardSerial?: string | null,
): CertificateValidation => ({ ok: false, reason, message, ...(cardSerial ? { cardSerial } : {}) });

function parse(der: Uint8Array) {
  try {
    const certificate = new x509.X509Certificate(Buffer.from(der));
    const policies = certificate.getExtension(x509.CertificatePolicyExtension)?.policies ?? [];
    const cardSerial = certificate.getExtension(oid.cardSerial);
    return {
      certificate,
      hsaId: certificate.subjectName.getField(oid.subjectSerialNumber)[0] ?? null,
      cardSerial: cardSerial ? readPrintableString(cardSerial.value) : null,
      trustLevel: trustLevelOfPolicies(policies),
      publicKey: createPublicKey({
        key: Buffer.from(certificate.publicKey.rawData),
        format: 'der',
        type: 'spki',
      }),
    };
  } catch {
    return undefined;
  }
}

async function signedBy(certificate: x509.X509Certificate, issuer: x509.X509Certificate): Promise<boolean> {
  try {
    return await certificate.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}

/**
 * Our own chain first (issuer, signature, dates of every certificate on the path), then the registered
 * eID: a certificate that chains is still refused until the eID is recorded, and once it is revoked.
 */
export async function validateCertificate(
  db: AppDatabase,
  hierarchy: Hierarchy,
  der: Uint8Array,
  at: Date,
): Promise<CertificateValidation> {
  const parsed = parse(der);
  if (!parsed) return reject('malformed', 'not an X.509 certificate');
  const { certificate } = parsed;
  const issuer = [...hierarchy.values()].find(
    (ca) => ca.id !== 'root' && ca.certificate.subject === certificate.issuer,
  );
  if (!issuer) return reject('unknown_issuer', `not issued by one of our CAs: ${certificate.issuer}`);
  if (!(await signedBy(certificate, issuer.certificate))) {
    return reject('bad_signature', `the signature is not ${issuer.id}'s`);
  }
  const root = hierarchy.get('root')!;
  for (const onPath of [certificate, issuer.certificate, root.certificate]) {
    if (at < onPath.notBefore)
      return reject(
        'not_yet_valid',
        `${onPath.subject} is not valid until ${onPath.notBefore.toISOString()}`,
      );
    if (at > onPath.notAfter)
      return reject('expired', `${onPath.subject} expired ${onPath.notAfter.toISOString()}`);
  }
  const eid = await findEidByCertificate(db, issuer.id, certificate.serialNumber);
  if (!eid)
    return reject(
      'unknown_certificate',
      'no SITHS eID is registered for this certificate',
      parsed.cardSerial,
    );
  if (eid.state === 'revoked')
    return reject('revoked', `the SITHS eID was revoked ${eid.revokedAt?.toISOString()}`);
  if (eid.state === 'expired') return reject('expired', 'the SITHS eID has expired');
  return {
    ok: true,
    certificate: {
      issuingCa: issuer.id as IssuingCaId,
      serialNumber: eid.certificateSerial,
      publicKey: parsed.publicKey,
      hsaId: parsed.hsaId,
      cardSerial: parsed.cardSerial,
      trustLevel: parsed.trustLevel,
      eidId: eid.id,
      personId: eid.personId,
      cardId: eid.cardId,
      mobileDeviceId: eid.mobileDeviceId,
      purpose: eid.purpose,
    },
  };
}
