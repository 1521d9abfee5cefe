import { createCipheriv, createDecipheriv } from 'node:crypto';
import { MANAGEMENT_KEY_ALGORITHM_ID, type ManagementKeyAlgorithm } from './piv-constants.js';

/** The card management key (slot 9B). Its bytes are a secret: never log or print them. */
export interface ManagementKey {
  algorithm: ManagementKeyAlgorithm;
  key: Buffer;
}

const SPEC: Record<ManagementKeyAlgorithm, { cipher: string; keyLength: number; blockSize: number }> = {
  '3DES': { cipher: 'des-ede3', keyLength: 24, blockSize: 8 },
  AES128: { cipher: 'aes-128-ecb', keyLength: 16, blockSize: 16 },
};

export function managementKeyBlockSize(algorithm: ManagementKeyAlgorithm): number {
  return SPEC[algorithm].blockSize;
}

export function managementKeyAlgorithmId(algorithm: ManagementKeyAlgorithm): number {
  return MANAGEMENT_KEY_ALGORITHM_ID[algorithm];
}

export function assertManagementKey({ algorithm, key }: ManagementKey): void {
  const spec = SPEC[algorithm];
  if (!spec) throw new RangeError(`unsupported management key algorithm ${algorithm}`);
  if (key.length !== spec.keyLength)
    throw new RangeError(`${algorithm} management key must be ${spec.keyLength} bytes`);
}

/** One ECB block operation, as the mutual authentication of SP 800-73-4 Part 2 appendix A uses. */
export function encryptBlock({ algorithm, key }: ManagementKey, block: Uint8Array): Buffer {
  const cipher = createCipheriv(SPEC[algorithm].cipher, key, null).setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]);
}

export function decryptBlock({ algorithm, key }: ManagementKey, block: Uint8Array): Buffer {
  const decipher = createDecipheriv(SPEC[algorithm].cipher, key, null).setAutoPadding(false);
  return Buffer.concat([decipher.update(block), decipher.final()]);
}
