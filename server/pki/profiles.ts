import { randomBytes } from 'node:crypto';
import { derPrintableString, derSequence, derUtf8String } from './der';
import { oid, trustLevelPolicies } from './oids';
import type { CertificateHolder, IssuingCaId } from './types';
import { bufferSource, x509 } from './x509';

/**
 * Certificate profiles modelled on SITHS e-id: the HSA-id in the subject's serialNumber, the UPN that Windows
 * smart card logon maps to an account, the card serial in a private extension, and a policy per trust level.
 */

export type Profile = 'authentication' | 'signature' | 'card_authentication' | 'transport' | 'mobile';

/** A positive 16-byte serial: the top bit clear for a positive INTEGER, the next set so it keeps 16 bytes. */
export function randomCertificateSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString('hex');
}

const value = (text: string) =>
  x509.Name.isPrintableString(text) ? { printableString: text } : { utf8String: text };

export function personSubject(holder: CertificateHolder): x509.Name {
  return new x509.Name([
    { C: [{ printableString: 'SE' }] },
    { O: [value(holder.organisation)] },
    { CN: [value(`${holder.givenName} ${holder.surname}`)] },
    { G: [value(holder.givenName)] },
    { SN: [value(holder.surname)] },
    { [oid.subjectSerialNumber]: [{ printableString: holder.hsaId }] },
  ]);
}

/** A transport certificate names the card, not a person: nobody holds the card yet. */
export function cardSubject(cardSerial: string): x509.Name {
  return new x509.Name([
    { C: [{ printableString: 'SE' }] },
    { O: [{ printableString: 'siths-desk TEST' }] },
    { CN: [{ printableString: cardSerial }] },
  ]);
}

/** The UPN is the person's email, or a name derived from the HSA-id for people without one. */
export function userPrincipalName(holder: CertificateHolder): string {
  return holder.email ?? `${holder.hsaId.toLowerCase()}@siths.test`;
}

const keyUsages: Record<Profile, x509.KeyUsageFlags> = {
  authentication: x509.KeyUsageFlags.digitalSignature,
  signature: x509.KeyUsageFlags.nonRepudiation,
  card_authentication: x509.KeyUsageFlags.digitalSignature,
  transport: x509.KeyUsageFlags.digitalSignature,
  mobile: x509.KeyUsageFlags.digitalSignature,
};

const extendedKeyUsages: Record<Profile, string[]> = {
  authentication: [oid.clientAuth, oid.smartcardLogon],
  signature: [],
  card_authentication: [oid.pivCardAuth],
  transport: [oid.clientAuth],
  mobile: [oid.clientAuth],
};

export interface ProfileInput {
  profile: Profile;
  issuingCa: IssuingCaId;
  /** The issuing CA's subject key identifier, hex. */
  authorityKeyId: string;
  subjectPublicKey: Uint8Array<ArrayBuffer>;
  holder?: CertificateHolder;
  trustLevel?: 2 | 3;
  cardSerial?: string;
  device?: { id: string; name: string };
  publicBaseUrl?: string;
}

export async function profileExtensions(input: ProfileInput): Promise<x509.Extension[]> {
  const extensions: x509.Extension[] = [
    new x509.KeyUsagesExtension(keyUsages[input.profile], true),
    await x509.SubjectKeyIdentifierExtension.create(input.subjectPublicKey),
    new x509.AuthorityKeyIdentifierExtension(input.authorityKeyId),
    new x509.CertificatePolicyExtension([
      input.trustLevel ? trustLevelPolicies[input.trustLevel] : oid.policyCardTransport,
    ]),
  ];
  const usages = extendedKeyUsages[input.profile];
  if (usages.length) extensions.push(new x509.ExtendedKeyUsageExtension(usages));
  if (input.holder) {
    const names: x509.JsonGeneralNames = [{ type: 'upn', value: userPrincipalName(input.holder) }];
    if (input.holder.email) names.push({ type: 'email', value: input.holder.email });
    extensions.push(new x509.SubjectAlternativeNameExtension(names));
  }
  if (input.cardSerial) {
    extensions.push(
      new x509.Extension(oid.cardSerial, false, bufferSource(derPrintableString(input.cardSerial))),
    );
  }
  if (input.device) {
    const device = derSequence(derUtf8String(input.device.id), derUtf8String(input.device.name));
    extensions.push(new x509.Extension(oid.mobileDevice, false, bufferSource(device)));
  }
  if (input.publicBaseUrl) {
    const url = `${input.publicBaseUrl.replace(/\/+$/, '')}/pki/${input.issuingCa}.crl`;
    extensions.push(new x509.CRLDistributionPointsExtension([url]));
  }
  return extensions;
}
