import type { KeyObject } from 'node:crypto';
import type { IssuedCardCertificates } from '../../db/schema';

/** The CAs of the test hierarchy, modelled on SITHS; the id is what `eids.issuing_ca` holds. */
export const certificateAuthorityIds = [
  'root',
  'person-hsa-id-3',
  'person-hsa-id-2',
  'person-id-mobile',
  'card-transport',
] as const;
export type CertificateAuthorityId = (typeof certificateAuthorityIds)[number];
export type IssuingCaId = Exclude<CertificateAuthorityId, 'root'>;

/** Who a personal certificate is for, as the HSA catalogue has them. */
export interface CertificateHolder {
  hsaId: string;
  givenName: string;
  surname: string;
  personalIdentityNumber: string | null;
  email: string | null;
  organisation: string;
}

export interface IssuedCertificate {
  der: Buffer;
  pem: string;
  /** Lower-case hex without leading zeros, as `eids.certificate_serial` stores it. */
  serialNumber: string;
  issuingCa: IssuingCaId;
  validFrom: Date;
  validTo: Date;
  /** SHA-256 of the DER, lower-case hex. */
  fingerprint: string;
}

export interface CardCertificates {
  authentication: IssuedCertificate;
  signature: IssuedCertificate;
  cardAuthentication: IssuedCertificate;
}

/** A public key as SubjectPublicKeyInfo DER or a node KeyObject. */
export type PublicKeyInput = Buffer | KeyObject;

export type CertificateRejection =
  | 'malformed'
  | 'unknown_issuer'
  | 'bad_signature'
  | 'not_yet_valid'
  | 'expired'
  | 'revoked'
  /** Signed by our CA but not registered as an eID (for example issued by an activation that never finished). */
  | 'unknown_certificate';

export interface ValidCertificate {
  issuingCa: IssuingCaId;
  serialNumber: string;
  publicKey: KeyObject;
  /** From the certificate: subject serialNumber (HSA-id) and the card serial extension, when present. */
  hsaId: string | null;
  cardSerial: string | null;
  trustLevel: 2 | 3 | null;
  /** The registered eID row's id and holder. */
  eidId: string;
  personId: string | null;
  cardId: string | null;
  mobileDeviceId: string | null;
  purpose: 'authentication' | 'signature' | 'card_authentication' | 'transport';
}

export type CertificateValidation =
  | { ok: true; certificate: ValidCertificate }
  | {
      ok: false;
      reason: CertificateRejection;
      message: string;
      /** For a certificate of ours that no eID is registered for: the card it names, if any. */
      cardSerial?: string | null;
    };

/**
 * The server's certificate authorities. Keys live encrypted in the database under the master key; the
 * hierarchy is made on first start. Issuing does not register an eID: the caller records it (db/eids.ts)
 * when the certificate is in place, so a certificate from an unfinished job never validates.
 */
export interface Pki {
  ensureHierarchy(): Promise<void>;
  issueCardCertificates(input: {
    holder: CertificateHolder;
    cardSerial: string;
    trustLevel: 2 | 3;
    keys: { authentication: PublicKeyInput; signature: PublicKeyInput; cardAuthentication: PublicKeyInput };
    /** The card's own end of validity: the eIDs on it end no later (nor later than five years, nor the CA). */
    validTo: Date;
  }): Promise<CardCertificates>;
  /** Card certificates issued earlier (kept as base64 DER with their job), as issueCardCertificates gave them. */
  issuedCardCertificatesOf(issued: IssuedCardCertificates, trustLevel: 2 | 3): CardCertificates;
  /** When the eIDs issued now on a card valid until `validTo` would end: what a page may promise. */
  cardEidValidTo(input: { validTo: Date; trustLevel: 2 | 3 }): Promise<Date>;
  issueTransportCertificate(input: {
    cardSerial: string;
    publicKey: PublicKeyInput;
    validTo?: Date;
  }): Promise<IssuedCertificate>;
  issueMobileCertificate(input: {
    holder: CertificateHolder;
    deviceId: string;
    deviceName: string;
    trustLevel: 2 | 3;
    publicKey: PublicKeyInput;
    /** The end of the card that enrolled the phone: the Mobile SITHS eID ends no later. */
    validTo?: Date;
  }): Promise<IssuedCertificate>;
  /** Chain to our root, validity at `at`, and the registered eID's state in the database. */
  validate(certificate: Uint8Array, options?: { at?: Date }): Promise<CertificateValidation>;
  caCertificate(id: CertificateAuthorityId): Promise<{ der: Buffer; pem: string }>;
  /** A fresh CRL (DER) of the CA's revoked eIDs. */
  crl(id: IssuingCaId): Promise<Buffer>;
}
