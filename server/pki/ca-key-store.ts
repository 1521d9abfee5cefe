import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const info = 'siths-desk/pki/ca-key/v1';
const ivBytes = 12;
const tagBytes = 16;

export class CaKeyDecryptionError extends Error {
  constructor(caId: string) {
    super(`the private key of CA ${caId} cannot be decrypted: is this the master key it was created with?`);
    this.name = 'CaKeyDecryptionError';
  }
}

function keyEncryptionKey(masterKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), info, 32));
}

/**
 * AES-256-GCM under a key derived from the master key; the CA id is authenticated too, so one CA's key
 * copied into another CA's row does not decrypt. Stored as base64 of iv | tag | ciphertext.
 */
export function encryptCaKey(masterKey: Buffer, caId: string, pkcs8: Uint8Array): string {
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv('aes-256-gcm', keyEncryptionKey(masterKey), iv);
  cipher.setAAD(Buffer.from(caId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
}

export function decryptCaKey(masterKey: Buffer, caId: string, stored: string): Buffer {
  const bytes = Buffer.from(stored, 'base64');
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyEncryptionKey(masterKey), bytes.subarray(0, ivBytes));
    decipher.setAAD(Buffer.from(caId, 'utf8'));
    decipher.setAuthTag(bytes.subarray(ivBytes, ivBytes + tagBytes));
    return Buffer.concat([decipher.update(bytes.subarray(ivBytes + tagBytes)), decipher.final()]);
  } catch {
    throw new CaKeyDecryptionError(caId);
  }
}
