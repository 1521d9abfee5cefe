import { createPublicKey, type KeyObject } from 'node:crypto';
import type { KeyAlgorithm } from './piv-constants.js';
import { TAG } from './piv-constants.js';
import { encodeTlv, encodeTlvs, requireTlv } from './tlv.js';

const P256_POINT_LENGTH = 65;

/** Reads the public key template (tag 7F49) GENERATE ASYMMETRIC KEY PAIR answers with. */
export function decodePublicKeyTemplate(response: Uint8Array, algorithm: KeyAlgorithm): KeyObject {
  const template = requireTlv(response, TAG.PUBLIC_KEY, 'public key template');
  if (algorithm === 'ECCP256') {
    const point = requireTlv(template, TAG.EC_POINT, 'EC point');
    if (point.length !== P256_POINT_LENGTH || point[0] !== 0x04)
      throw new RangeError('not an uncompressed P-256 point');
    const jwk = { kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) };
    return createPublicKey({ key: jwk, format: 'jwk' });
  }
  const n = requireTlv(template, TAG.RSA_MODULUS, 'RSA modulus');
  const e = requireTlv(template, TAG.RSA_EXPONENT, 'RSA exponent');
  return createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' });
}

/** The card's side: the 7F49 template of a public key. */
export function encodePublicKeyTemplate(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty === 'EC') {
    const point = Buffer.concat([Buffer.from([0x04]), fromB64url(jwk.x!), fromB64url(jwk.y!)]);
    return encodeTlv(TAG.PUBLIC_KEY, encodeTlv(TAG.EC_POINT, point));
  }
  return encodeTlv(
    TAG.PUBLIC_KEY,
    encodeTlvs([TAG.RSA_MODULUS, fromB64url(jwk.n!)], [TAG.RSA_EXPONENT, fromB64url(jwk.e!)]),
  );
}

export function keyAlgorithmOf(publicKey: KeyObject): KeyAlgorithm | undefined {
  if (publicKey.asymmetricKeyType === 'ec' && publicKey.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return 'ECCP256';
  }
  if (publicKey.asymmetricKeyType === 'rsa' && publicKey.asymmetricKeyDetails?.modulusLength === 2048) {
    return 'RSA2048';
  }
  return undefined;
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const fromB64url = (text: string) => Buffer.from(text, 'base64url');
