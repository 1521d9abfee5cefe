import { X509Certificate as NodeCertificate } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { readPrintableString, readUtf8StringSequence } from './der';
import { oid } from './oids';
import {
  cardKeys,
  holderWithEmail,
  holderWithoutEmail,
  newKey,
  pkiFixture as openPkiFixture,
} from './test-fixtures';
import type { IssuedCertificate } from './types';
import { x509 } from './x509';

const now = new Date('2026-02-01T10:00:00.750Z');
const cardSerial = '9752269885719985027';
/** Later than the profile's five years, so the profile decides unless a test says otherwise. */
const cardValidTo = new Date('2035-01-01T00:00:00Z');

const parse = (issued: IssuedCertificate) => new x509.X509Certificate(issued.pem);
const keyUsage = (certificate: x509.X509Certificate) =>
  certificate.getExtension(x509.KeyUsagesExtension)!.usages;
const extendedKeyUsages = (certificate: x509.X509Certificate) =>
  certificate.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [];
const alternativeNames = (certificate: x509.X509Certificate) =>
  certificate.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON() ?? [];
const policies = (certificate: x509.X509Certificate) =>
  certificate.getExtension(x509.CertificatePolicyExtension)!.policies;
const cardSerialOf = (certificate: x509.X509Certificate) => {
  const extension = certificate.getExtension(oid.cardSerial);
  return extension ? readPrintableString(extension.value) : undefined;
};
const addYears = (date: Date, years: number) => {
  const result = new Date(Math.floor(date.getTime() / 1000) * 1000);
  result.setUTCFullYear(result.getUTCFullYear() + years);
  return result;
};

async function pkiFixture(options: Parameters<typeof openPkiFixture>[0]) {
  const fixture = await openPkiFixture(options);
  onTestFinished(() => fixture.db.close());
  return fixture;
}

async function issueCard(trustLevel: 2 | 3 = 3, holder = holderWithEmail, options = {}) {
  const { pki } = await pkiFixture({ now: () => now, ...options });
  return {
    pki,
    certificates: await pki.issueCardCertificates({
      holder,
      cardSerial,
      trustLevel,
      keys: cardKeys(),
      validTo: cardValidTo,
    }),
  };
}

describe('card certificate profile', () => {
  it('names the holder as SITHS does: HSA-id as serialNumber, name, organisation, country', async () => {
    const { certificates } = await issueCard();
    for (const issued of Object.values(certificates)) {
      const subject = parse(issued).subjectName;
      expect(subject.getField(oid.subjectSerialNumber)).toEqual([holderWithEmail.hsaId]);
      expect(subject.getField('CN')).toEqual(['Åsa Öberg']);
      expect(subject.getField('G')).toEqual(['Åsa']);
      expect(subject.getField('SN')).toEqual(['Öberg']);
      expect(subject.getField('O')).toEqual(['Västra Götalandsregionen']);
      expect(subject.getField('C')).toEqual(['SE']);
    }
  });

  it('gives each key its usage: authentication and card authentication sign, the signature key is for non-repudiation', async () => {
    const { certificates } = await issueCard();
    const { digitalSignature, nonRepudiation } = x509.KeyUsageFlags;
    expect(keyUsage(parse(certificates.authentication))).toBe(digitalSignature);
    expect(keyUsage(parse(certificates.cardAuthentication))).toBe(digitalSignature);
    expect(keyUsage(parse(certificates.signature))).toBe(nonRepudiation);
    expect(parse(certificates.authentication).getExtension(x509.KeyUsagesExtension)!.critical).toBe(true);
    expect(extendedKeyUsages(parse(certificates.authentication))).toEqual([
      oid.clientAuth,
      oid.smartcardLogon,
    ]);
    expect(extendedKeyUsages(parse(certificates.cardAuthentication))).toEqual([oid.pivCardAuth]);
    expect(extendedKeyUsages(parse(certificates.signature))).toEqual([]);
  });

  it('carries the email as UPN and as rfc822Name', async () => {
    const { certificates } = await issueCard();
    expect(alternativeNames(parse(certificates.authentication))).toEqual([
      { type: 'upn', value: 'asa.oberg@vgregion.se' },
      { type: 'email', value: 'asa.oberg@vgregion.se' },
    ]);
    expect(new NodeCertificate(certificates.authentication.der).subjectAltName).toContain(
      'othername:UPN:asa.oberg@vgregion.se',
    );
  });

  it('derives the UPN from the HSA-id, and has no email name, for a person without email', async () => {
    const { certificates } = await issueCard(3, holderWithoutEmail);
    expect(alternativeNames(parse(certificates.authentication))).toEqual([
      { type: 'upn', value: 'se2321000131-p000000000002@siths.test' },
    ]);
  });

  it('carries the card serial in the private extension on all three certificates', async () => {
    const { certificates } = await issueCard();
    for (const issued of Object.values(certificates)) expect(cardSerialOf(parse(issued))).toBe(cardSerial);
  });

  it('is issued by the CA and under the policy of the trust level', async () => {
    const level3 = await issueCard(3);
    const level2 = await issueCard(2);
    expect(level3.certificates.signature.issuingCa).toBe('person-hsa-id-3');
    expect(parse(level3.certificates.signature).issuer).toContain('SITHS e-id Person HSA-id 3 CA v1 TEST');
    expect(policies(parse(level3.certificates.signature))).toEqual([oid.policyTrustLevel3]);
    expect(level2.certificates.authentication.issuingCa).toBe('person-hsa-id-2');
    expect(parse(level2.certificates.authentication).issuer).toContain(
      'SITHS e-id Person HSA-id 2 CA v1 TEST',
    );
    expect(policies(parse(level2.certificates.authentication))).toEqual([oid.policyTrustLevel2]);
  });

  it('names its issuer key, has a key identifier and a random positive 16-byte serial', async () => {
    const { pki, certificates } = await issueCard();
    const ca = new x509.X509Certificate((await pki.caCertificate('person-hsa-id-3')).pem);
    const certificate = parse(certificates.authentication);
    expect(certificate.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId).toBe(
      ca.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId,
    );
    expect(certificate.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId).toMatch(/^[0-9a-f]{40}$/);
    expect(certificates.authentication.serialNumber).toMatch(/^[4-7][0-9a-f]{31}$/);
    expect(certificates.authentication.serialNumber).toBe(certificate.serialNumber);
    expect(certificates.signature.serialNumber).not.toBe(certificates.authentication.serialNumber);
  });

  it('is valid five years from now at most, and ends with the card when the card ends sooner', async () => {
    const { pki, certificates } = await issueCard();
    const validFrom = new Date(Math.floor(now.getTime() / 1000) * 1000);
    expect(certificates.authentication.validFrom).toEqual(validFrom);
    expect(certificates.authentication.validTo).toEqual(addYears(now, 5));
    expect(parse(certificates.authentication).notAfter).toEqual(addYears(now, 5));
    const validTo = new Date('2028-06-30T00:00:00Z');
    const shorter = await pki.issueCardCertificates({
      holder: holderWithEmail,
      cardSerial,
      trustLevel: 3,
      keys: cardKeys(),
      validTo,
    });
    expect(shorter.signature.validTo).toEqual(validTo);
  });

  it('never outlives its CA', async () => {
    let at = now;
    const { pki } = await pkiFixture({ now: () => at });
    const ca = new x509.X509Certificate((await pki.caCertificate('person-hsa-id-3')).pem);
    at = addYears(now, 12);
    const issued = await pki.issueCardCertificates({
      holder: holderWithEmail,
      cardSerial,
      trustLevel: 3,
      keys: cardKeys(),
      validTo: new Date('2099-01-01T00:00:00Z'),
    });
    expect(issued.authentication.validTo).toEqual(ca.notAfter);
  });

  it('points at the CA CRL when the server knows its public address', async () => {
    const without = await issueCard();
    expect(
      parse(without.certificates.authentication).getExtension(x509.CRLDistributionPointsExtension),
    ).toBeNull();
    const withUrl = await issueCard(3, holderWithEmail, { publicBaseUrl: 'https://siths.example/' });
    const points = parse(withUrl.certificates.authentication).getExtension(
      x509.CRLDistributionPointsExtension,
    )!;
    expect(points.distributionPoints[0]!.distributionPoint!.fullName![0]!.uniformResourceIdentifier).toBe(
      'https://siths.example/pki/person-hsa-id-3.crl',
    );
  });

  it('reports DER, PEM and SHA-256 fingerprint of the same certificate, which OpenSSL chains to the root', async () => {
    const { pki, certificates } = await issueCard();
    const issued = certificates.authentication;
    const node = new NodeCertificate(issued.pem);
    expect(node.raw.equals(issued.der)).toBe(true);
    expect(node.fingerprint256.replaceAll(':', '').toLowerCase()).toBe(issued.fingerprint);
    const ca = new NodeCertificate((await pki.caCertificate('person-hsa-id-3')).pem);
    const root = new NodeCertificate((await pki.caCertificate('root')).pem);
    expect(node.checkIssued(ca) && node.verify(ca.publicKey)).toBe(true);
    expect(ca.checkIssued(root) && ca.verify(root.publicKey) && ca.ca && root.ca).toBe(true);
  });
});

describe('transport certificate profile', () => {
  it('names the card, not a person, and is issued by the transport CA for three years', async () => {
    const { pki } = await pkiFixture({ now: () => now });
    const issued = await pki.issueTransportCertificate({ cardSerial, publicKey: newKey() });
    const certificate = parse(issued);
    expect(issued.issuingCa).toBe('card-transport');
    expect(certificate.subjectName.getField('CN')).toEqual([cardSerial]);
    expect(certificate.subjectName.getField(oid.subjectSerialNumber)).toEqual([]);
    expect(alternativeNames(certificate)).toEqual([]);
    expect(cardSerialOf(certificate)).toBe(cardSerial);
    expect(policies(certificate)).toEqual([oid.policyCardTransport]);
    expect(issued.validTo).toEqual(addYears(now, 3));
  });
});

describe('Mobile SITHS certificate profile', () => {
  it('names the holder and the device, is issued by the mobile CA for two years', async () => {
    const { pki } = await pkiFixture({ now: () => now });
    const issued = await pki.issueMobileCertificate({
      holder: holderWithEmail,
      deviceId: 'device-1',
      deviceName: 'iPhone 15',
      trustLevel: 3,
      publicKey: newKey().export({ format: 'der', type: 'spki' }),
    });
    const certificate = parse(issued);
    expect(issued.issuingCa).toBe('person-id-mobile');
    expect(certificate.subjectName.getField(oid.subjectSerialNumber)).toEqual([holderWithEmail.hsaId]);
    expect(readUtf8StringSequence(certificate.getExtension(oid.mobileDevice)!.value)).toEqual([
      'device-1',
      'iPhone 15',
    ]);
    expect(cardSerialOf(certificate)).toBeUndefined();
    expect(policies(certificate)).toEqual([oid.policyTrustLevel3]);
    expect(issued.validTo).toEqual(addYears(now, 2));
  });
});
