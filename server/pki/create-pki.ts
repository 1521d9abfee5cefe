import { createHash, createPublicKey } from 'node:crypto';
import { takeCrlNumber } from '../../db/certificate-authorities';
import type { AppDatabase } from '../../db/connection';
import { listRevokedEidsOfCa, normaliseCertificateSerial } from '../../db/eids';
import { derInteger } from './der';
import { type Hierarchy, type LoadedCa, loadOrCreateHierarchy } from './hierarchy';
import { oid } from './oids';
import {
  cardSubject,
  type ProfileInput,
  personSubject,
  profileExtensions,
  randomCertificateSerial,
} from './profiles';
import type { IssuedCertificate, IssuingCaId, Pki, PublicKeyInput } from './types';
import { validateCertificate } from './validation';
import { bufferSource, signingAlgorithm, x509 } from './x509';

export interface PkiOptions {
  db: AppDatabase;
  /** The server master key; the CA keys are stored encrypted under a key derived from it. */
  masterKey: Buffer;
  now?: () => Date;
  /** Where relying parties fetch CRLs (`<publicBaseUrl>/pki/<caId>.crl`); no distribution point without it. */
  publicBaseUrl?: string;
}

const validityYears = { card: 5, mobile: 2, transport: 3 } as const;
const crlLifetimeMs = 24 * 3600_000;

const wholeSeconds = (date: Date) => new Date(Math.floor(date.getTime() / 1000) * 1000);

function spkiOf(key: PublicKeyInput): Uint8Array<ArrayBuffer> {
  const keyObject = Buffer.isBuffer(key) ? createPublicKey({ key, format: 'der', type: 'spki' }) : key;
  return bufferSource(keyObject.export({ format: 'der', type: 'spki' }));
}

/** RFC 5280 reason codes for the revocation reasons staff choose (db/revocation-reasons.ts) and retirements. */
const crlReasons: Record<string, x509.X509CrlReason> = {
  lost: x509.X509CrlReason.keyCompromise,
  stolen: x509.X509CrlReason.keyCompromise,
  compromised: x509.X509CrlReason.keyCompromise,
  employment_ended: x509.X509CrlReason.affiliationChanged,
  replaced: x509.X509CrlReason.superseded,
  superseded: x509.X509CrlReason.superseded,
  withdrawn: x509.X509CrlReason.cessationOfOperation,
};

export function createPki(options: PkiOptions): Pki {
  const now = options.now ?? (() => new Date());
  let hierarchy: Promise<Hierarchy> | undefined;
  const loadHierarchy = () => {
    hierarchy ??= loadOrCreateHierarchy(options.db, options.masterKey, now()).catch((error: unknown) => {
      hierarchy = undefined;
      throw error;
    });
    return hierarchy;
  };
  const caOf = async (id: string): Promise<LoadedCa> => {
    const ca = (await loadHierarchy()).get(id as IssuingCaId);
    if (!ca) throw new Error(`no certificate authority ${id}`);
    return ca;
  };

  /**
   * A requested end only ever shortens the profile's lifetime: an eID never outlives what vouches for it (the
   * card it sits on, the card that enrolled a phone, the issuing CA).
   */
  function endOfValidity(ca: LoadedCa, notBefore: Date, input: { validTo: Date | undefined; years: number }) {
    const profileEnd = new Date(notBefore);
    profileEnd.setUTCFullYear(profileEnd.getUTCFullYear() + input.years);
    const requested = input.validTo?.getTime() ?? Number.POSITIVE_INFINITY;
    return wholeSeconds(
      new Date(Math.min(requested, profileEnd.getTime(), ca.certificate.notAfter.getTime())),
    );
  }

  const cardIssuingCa = (trustLevel: 2 | 3) => (trustLevel === 3 ? 'person-hsa-id-3' : 'person-hsa-id-2');

  async function issue(
    input: Omit<ProfileInput, 'authorityKeyId' | 'subjectPublicKey'> & {
      subject: x509.Name;
      publicKey: PublicKeyInput;
      validTo: Date | undefined;
      years: number;
    },
  ): Promise<IssuedCertificate> {
    const ca = await caOf(input.issuingCa);
    const subjectPublicKey = spkiOf(input.publicKey);
    const notBefore = wholeSeconds(now());
    const notAfter = endOfValidity(ca, notBefore, input);
    if (notAfter <= notBefore) throw new Error('the certificate would end before it starts');
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: randomCertificateSerial(),
      subject: input.subject,
      issuer: ca.certificate.subjectName,
      notBefore,
      notAfter,
      publicKey: subjectPublicKey,
      signingKey: ca.privateKey,
      signingAlgorithm,
      extensions: await profileExtensions({ ...input, authorityKeyId: ca.keyId, subjectPublicKey }),
    });
    return describeIssued(certificate, input.issuingCa);
  }

  const publicBaseUrl = options.publicBaseUrl ? { publicBaseUrl: options.publicBaseUrl } : {};

  return {
    async ensureHierarchy() {
      await loadHierarchy();
    },

    async cardEidValidTo({ validTo, trustLevel }) {
      const ca = await caOf(cardIssuingCa(trustLevel));
      return endOfValidity(ca, wholeSeconds(now()), { validTo, years: validityYears.card });
    },

    async issueCardCertificates({ holder, cardSerial, trustLevel, keys, validTo }) {
      const common = {
        issuingCa: cardIssuingCa(trustLevel),
        subject: personSubject(holder),
        holder,
        trustLevel,
        cardSerial,
        validTo,
        years: validityYears.card,
        ...publicBaseUrl,
      } as const;
      return {
        authentication: await issue({ ...common, profile: 'authentication', publicKey: keys.authentication }),
        signature: await issue({ ...common, profile: 'signature', publicKey: keys.signature }),
        cardAuthentication: await issue({
          ...common,
          profile: 'card_authentication',
          publicKey: keys.cardAuthentication,
        }),
      };
    },

    issuedCardCertificatesOf(issued, trustLevel) {
      const of = (base64: string) =>
        describeIssued(new x509.X509Certificate(Buffer.from(base64, 'base64')), cardIssuingCa(trustLevel));
      return {
        authentication: of(issued.authentication),
        signature: of(issued.signature),
        cardAuthentication: of(issued.cardAuthentication),
      };
    },

    issueTransportCertificate({ cardSerial, publicKey, validTo }) {
      return issue({
        profile: 'transport',
        issuingCa: 'card-transport',
        subject: cardSubject(cardSerial),
        cardSerial,
        publicKey,
        validTo,
        years: validityYears.transport,
        ...publicBaseUrl,
      });
    },

    issueMobileCertificate({ holder, deviceId, deviceName, trustLevel, publicKey, validTo }) {
      return issue({
        profile: 'mobile',
        issuingCa: 'person-id-mobile',
        subject: personSubject(holder),
        holder,
        trustLevel,
        device: { id: deviceId, name: deviceName },
        publicKey,
        validTo,
        years: validityYears.mobile,
        ...publicBaseUrl,
      });
    },

    async validate(certificate, validateOptions) {
      return validateCertificate(
        options.db,
        await loadHierarchy(),
        certificate,
        validateOptions?.at ?? now(),
      );
    },

    async caCertificate(id) {
      const ca = await caOf(id);
      return { der: ca.der, pem: ca.pem };
    },

    async crl(id) {
      const ca = await caOf(id);
      const thisUpdate = wholeSeconds(now());
      const crl = await x509.X509CrlGenerator.create({
        issuer: ca.certificate.subjectName,
        thisUpdate,
        nextUpdate: new Date(thisUpdate.getTime() + crlLifetimeMs),
        entries: (await listRevokedEidsOfCa(options.db, id)).map((eid) => ({
          serialNumber: eid.certificateSerial,
          revocationDate: wholeSeconds(eid.revokedAt),
          ...(crlReasons[eid.revocationReason] ? { reason: crlReasons[eid.revocationReason] } : {}),
        })),
        extensions: [
          new x509.AuthorityKeyIdentifierExtension(ca.keyId),
          new x509.Extension(
            oid.crlNumber,
            false,
            bufferSource(derInteger(await takeCrlNumber(options.db, id))),
          ),
        ],
        signingKey: ca.privateKey,
        signingAlgorithm,
      });
      return Buffer.from(crl.rawData);
    },
  };
}

/** What the server keeps of a certificate it issued, from the certificate itself. */
function describeIssued(certificate: x509.X509Certificate, issuingCa: IssuingCaId): IssuedCertificate {
  const der = Buffer.from(certificate.rawData);
  return {
    der,
    pem: `${certificate.toString('pem')}\n`,
    serialNumber: normaliseCertificateSerial(certificate.serialNumber),
    issuingCa,
    validFrom: certificate.notBefore,
    validTo: certificate.notAfter,
    fingerprint: createHash('sha256').update(der).digest('hex'),
  };
}
