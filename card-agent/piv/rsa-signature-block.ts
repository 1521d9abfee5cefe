/**
 * A PIV card's RSA key performs the raw private operation only, so the host builds the
 * EMSA-PKCS1-v1_5 block (RFC 8017 9.2) around the digest.
 */

const DIGEST_INFO_PREFIX: Record<number, Buffer> = {
  32: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  48: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  64: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
};

export function pkcs1v15SignatureBlock(digest: Uint8Array, modulusBytes: number): Buffer {
  const prefix = DIGEST_INFO_PREFIX[digest.length];
  if (!prefix) throw new RangeError('digest must be SHA-256, SHA-384 or SHA-512 sized');
  const digestInfo = Buffer.concat([prefix, digest]);
  const padding = modulusBytes - digestInfo.length - 3;
  if (padding < 8) throw new RangeError('modulus too short for this digest');
  return Buffer.concat([
    Buffer.from([0x00, 0x01]),
    Buffer.alloc(padding, 0xff),
    Buffer.from([0x00]),
    digestInfo,
  ]);
}
