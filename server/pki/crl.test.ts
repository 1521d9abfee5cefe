import { describe, expect, it, onTestFinished } from 'vitest';
import { registerCardEids, retireEid } from '../../db/eids';
import { cardKeys, holderWithEmail, pkiFixture as openPkiFixture } from './test-fixtures';
import { bufferSource, x509 } from './x509';

const now = new Date('2026-02-01T10:00:00Z');
const crlNumberOf = (crl: x509.X509Crl) => Buffer.from(crl.getExtension('2.5.29.20')!.value).readUInt8(2);

async function pkiFixture(options: Parameters<typeof openPkiFixture>[0]) {
  const fixture = await openPkiFixture(options);
  onTestFinished(() => fixture.db.close());
  return fixture;
}

describe('pki.crl', () => {
  it("lists the CA's revoked eIDs with date and reason, signed by the CA, valid for a day", async () => {
    const fixture = await pkiFixture({ now: () => now });
    const certificates = await fixture.pki.issueCardCertificates({
      holder: holderWithEmail,
      cardSerial: fixture.cardSerial,
      trustLevel: 3,
      keys: cardKeys(),
      validTo: new Date('2031-01-01T00:00:00Z'),
    });
    const ids = await registerCardEids(fixture.db, {
      personId: fixture.personId,
      cardId: fixture.cardId,
      trustLevel: 3,
      certificates,
    });
    const revokedAt = new Date('2026-02-02T08:30:00Z');
    await retireEid(fixture.db, ids.authentication, 'stolen', revokedAt);
    await retireEid(fixture.db, ids.signature, 'incorrect_data', revokedAt);

    const crl = new x509.X509Crl(bufferSource(await fixture.pki.crl('person-hsa-id-3')));
    const ca = new x509.X509Certificate((await fixture.pki.caCertificate('person-hsa-id-3')).pem);

    expect(await crl.verify({ publicKey: ca })).toBe(true);
    expect(crl.issuer).toBe(ca.subject);
    expect(crl.thisUpdate).toEqual(now);
    expect(crl.nextUpdate).toEqual(new Date(now.getTime() + 24 * 3600_000));
    const stolen = crl.findRevoked(certificates.authentication.serialNumber);
    expect(stolen?.revocationDate).toEqual(revokedAt);
    expect(stolen?.reason).toBe(x509.X509CrlReason.keyCompromise);
    expect(crl.findRevoked(certificates.signature.serialNumber)?.reason).toBeUndefined();
    expect(crl.findRevoked(certificates.cardAuthentication.serialNumber)).toBeNull();
    expect(crl.entries).toHaveLength(2);
  });

  it('is not verified by another CA, and counts its CRL number up', async () => {
    const fixture = await pkiFixture({ now: () => now });
    const first = new x509.X509Crl(bufferSource(await fixture.pki.crl('person-hsa-id-2')));
    const second = new x509.X509Crl(bufferSource(await fixture.pki.crl('person-hsa-id-2')));
    const other = new x509.X509Certificate((await fixture.pki.caCertificate('person-hsa-id-3')).pem);
    expect(await first.verify({ publicKey: other })).toBe(false);
    expect([crlNumberOf(first), crlNumberOf(second)]).toEqual([1, 2]);
    expect(first.entries).toHaveLength(0);
  });
});
