import { createPrivateKey } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { certificateAuthorities } from '../../db/schema';
import { CaKeyDecryptionError, decryptCaKey } from './ca-key-store';
import { createPki } from './create-pki';
import { pkiFixture as openPkiFixture, testMasterKey } from './test-fixtures';
import { certificateAuthorityIds } from './types';

async function pkiFixture() {
  const fixture = await openPkiFixture();
  onTestFinished(() => fixture.db.close());
  return fixture;
}

describe('CA hierarchy and keys at rest', () => {
  it('creates the root and the four issuing CAs once, however often and by however many it is asked', async () => {
    const { db, pki } = await pkiFixture();
    const second = createPki({ db, masterKey: testMasterKey });
    await Promise.all([pki.ensureHierarchy(), second.ensureHierarchy(), pki.ensureHierarchy()]);
    const rows = await db.select().from(certificateAuthorities);
    expect(rows.map((row) => row.id).sort()).toEqual([...certificateAuthorityIds].sort());
    expect(rows.find((row) => row.id === 'person-hsa-id-3')).toMatchObject({
      parentId: 'root',
      name: 'SITHS e-id Person HSA-id 3 CA v1 TEST',
    });
    expect(rows.find((row) => row.id === 'root')?.name).toBe('SITHS e-id Root CA v2 TEST');
    expect((await second.caCertificate('root')).pem).toBe((await pki.caCertificate('root')).pem);
  });

  it('stores each CA key encrypted: neither the PKCS#8 nor the private scalar is in the stored value', async () => {
    const { db, pki } = await pkiFixture();
    await pki.ensureHierarchy();
    for (const row of await db.select().from(certificateAuthorities)) {
      const pkcs8 = decryptCaKey(testMasterKey, row.id, row.encryptedPrivateKey);
      const scalar = Buffer.from(
        createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' }).d!,
        'base64url',
      );
      const stored = Buffer.from(row.encryptedPrivateKey, 'base64');
      expect(row.encryptedPrivateKey).not.toContain('PRIVATE KEY');
      expect(stored.includes(pkcs8)).toBe(false);
      expect(stored.includes(scalar)).toBe(false);
      expect(row.encryptedPrivateKey).not.toContain(pkcs8.toString('base64').slice(8, 40));
    }
  });

  it('refuses to use the CAs under another master key', async () => {
    const { db, pki } = await pkiFixture();
    await pki.ensureHierarchy();
    const other = createPki({ db, masterKey: Buffer.alloc(32, 0x17) });
    await expect(other.ensureHierarchy()).rejects.toBeInstanceOf(CaKeyDecryptionError);
    await expect(other.caCertificate('root')).rejects.toThrow('cannot be decrypted');
  });

  it("refuses one CA's key moved into another CA's row", async () => {
    const { db, pki } = await pkiFixture();
    await pki.ensureHierarchy();
    const root = (await db.select().from(certificateAuthorities)).find((row) => row.id === 'root')!;
    expect(() => decryptCaKey(testMasterKey, 'card-transport', root.encryptedPrivateKey)).toThrow(
      CaKeyDecryptionError,
    );
  });
});
