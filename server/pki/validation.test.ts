import { webcrypto } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findEidByCertificate, registerCardEids, retireEid } from '../../db/eids';
import { eids } from '../../db/schema';
import { cardKeys, holderWithEmail, newKey, type PkiFixture, pkiFixture } from './test-fixtures';
import type { CardCertificates } from './types';
import { x509 } from './x509';

const issuedAt = new Date('2026-02-01T10:00:00Z');
let fixture: PkiFixture;
let certificates: CardCertificates;

beforeEach(async () => {
  fixture = await pkiFixture({ now: () => issuedAt });
  certificates = await fixture.pki.issueCardCertificates({
    holder: holderWithEmail,
    cardSerial: fixture.cardSerial,
    trustLevel: 3,
    keys: cardKeys(),
    validTo: new Date('2031-01-01T00:00:00Z'),
  });
});

afterEach(() => fixture.db.close());

const register = async () =>
  await registerCardEids(fixture.db, {
    personId: fixture.personId,
    cardId: fixture.cardId,
    trustLevel: 3,
    certificates,
  });

const at = new Date('2026-03-01T00:00:00Z');

/** A CA of someone else's: self-signed, optionally with our issuing CA's name. */
async function foreignCertificate(issuerName: string): Promise<Buffer> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const ca = (await webcrypto.subtle.generateKey(algorithm, false, ['sign', 'verify'])) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: '0102030405060708',
    subject: 'CN=Åsa Öberg',
    issuer: issuerName,
    notBefore: issuedAt,
    notAfter: new Date('2030-01-01T00:00:00Z'),
    publicKey: newKey().export({ format: 'der', type: 'spki' }),
    signingKey: ca.privateKey,
    signingAlgorithm: algorithm,
  });
  return Buffer.from(certificate.rawData);
}

describe('pki.validate', () => {
  it('accepts a registered certificate and tells whose eID it is', async () => {
    const ids = await register();
    const result = await fixture.pki.validate(certificates.authentication.der, { at });
    expect(result).toMatchObject({
      ok: true,
      certificate: {
        issuingCa: 'person-hsa-id-3',
        serialNumber: certificates.authentication.serialNumber,
        hsaId: holderWithEmail.hsaId,
        cardSerial: fixture.cardSerial,
        trustLevel: 3,
        eidId: ids.authentication,
        personId: fixture.personId,
        cardId: fixture.cardId,
        mobileDeviceId: null,
        purpose: 'authentication',
      },
    });
    const publicKey = result.ok ? result.certificate.publicKey : undefined;
    expect(publicKey?.asymmetricKeyType).toBe('ec');
    expect(publicKey?.export({ format: 'der', type: 'spki' })).toEqual(
      Buffer.from(new x509.X509Certificate(certificates.authentication.pem).publicKey.rawData),
    );
  });

  it('refuses a certificate our CA signed that was never registered as an eID', async () => {
    expect(await fixture.pki.validate(certificates.authentication.der, { at })).toMatchObject({
      ok: false,
      reason: 'unknown_certificate',
    });
  });

  it('refuses a certificate from a foreign CA', async () => {
    const foreign = await foreignCertificate('CN=Some Other CA');
    expect(await fixture.pki.validate(foreign, { at })).toMatchObject({
      ok: false,
      reason: 'unknown_issuer',
    });
  });

  it("refuses a certificate that claims our issuing CA's name but is not signed by it", async () => {
    const issuer = new x509.X509Certificate(certificates.authentication.pem).issuer;
    const forged = await foreignCertificate(issuer);
    expect(await fixture.pki.validate(forged, { at })).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a tampered certificate', async () => {
    await register();
    const tampered = Buffer.from(certificates.authentication.der);
    const name = tampered.indexOf(Buffer.from(holderWithEmail.hsaId, 'ascii'));
    expect(name).toBeGreaterThan(0);
    tampered[name + holderWithEmail.hsaId.length - 1] = '9'.charCodeAt(0);
    expect(await fixture.pki.validate(tampered, { at })).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('refuses bytes that are not a certificate', async () => {
    expect(await fixture.pki.validate(Buffer.from('not a certificate'))).toMatchObject({
      ok: false,
      reason: 'malformed',
    });
  });

  it('refuses a certificate before its validity and after it', async () => {
    await register();
    const { validFrom, validTo } = certificates.authentication;
    const before = new Date(validFrom.getTime() - 1000);
    const after = new Date(validTo.getTime() + 1000);
    expect(await fixture.pki.validate(certificates.authentication.der, { at: before })).toMatchObject({
      ok: false,
      reason: 'not_yet_valid',
    });
    expect(await fixture.pki.validate(certificates.authentication.der, { at: after })).toMatchObject({
      ok: false,
      reason: 'expired',
    });
    expect((await fixture.pki.validate(certificates.authentication.der, { at: validTo })).ok).toBe(true);
  });

  it('refuses a revoked eID and an eID the register marks expired', async () => {
    const ids = await register();
    expect(await retireEid(fixture.db, ids.authentication, 'lost', at)).toBe(true);
    expect(await fixture.pki.validate(certificates.authentication.der, { at })).toMatchObject({
      ok: false,
      reason: 'revoked',
    });
    await fixture.db.update(eids).set({ state: 'expired' }).where(eq(eids.id, ids.signature));
    const signature = await findEidByCertificate(
      fixture.db,
      'person-hsa-id-3',
      certificates.signature.serialNumber,
    );
    expect(signature?.state).toBe('expired');
    expect(await fixture.pki.validate(certificates.signature.der, { at })).toMatchObject({
      ok: false,
      reason: 'expired',
    });
  });

  it('uses the clock it was given when no time is asked for', async () => {
    await register();
    expect((await fixture.pki.validate(certificates.cardAuthentication.der)).ok).toBe(true);
  });
});
