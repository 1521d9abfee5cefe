import {
  constants,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  privateDecrypt,
} from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import type { KeyAlgorithm } from '../piv/piv-constants.js';
import type { StoredKey } from './card-state.js';

const RSA_BYTES = 256;

/** Generates a key pair inside the card; only the public half is ever handed out. */
export function generateCardKey(algorithm: KeyAlgorithm): { stored: StoredKey; publicKey: KeyObject } {
  const { privateKey, publicKey } =
    algorithm === 'ECCP256'
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      : generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65_537 });
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return { stored: { algorithm, privateKey: der.toString('base64') }, publicKey };
}

/**
 * The card's private operation: ECDSA over a 32-byte digest (Node's crypto only signs messages it
 * hashes itself, hence @noble/curves), or raw RSA over a host-padded block. Undefined for input
 * of the wrong size.
 */
export function privateOperation(stored: StoredKey, input: Buffer): Buffer | undefined {
  const privateKey = privateKeyOf(stored);
  if (stored.algorithm === 'ECCP256') {
    if (input.length !== 32) return undefined;
    const d = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
    return Buffer.from(p256.sign(input, d, { prehash: false, format: 'der' }));
  }
  if (input.length !== RSA_BYTES) return undefined;
  try {
    return privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, input);
  } catch {
    return undefined;
  }
}

function privateKeyOf(stored: StoredKey): KeyObject {
  return createPrivateKey({ key: Buffer.from(stored.privateKey, 'base64'), format: 'der', type: 'pkcs8' });
}
