import { decodeTlvs } from './tlv.js';

const SEQUENCE = 0x30;
const INTEGER = 0x02;

/**
 * An ECDSA signature as a PIV card gives it (DER Ecdsa-Sig-Value, SEQUENCE of the INTEGERs r and s) in IEEE
 * P1363 form: r || s, each left-padded to the curve's `size` bytes (32 for P-256), as WebCrypto and JWS have it.
 */
export function ecdsaDerToP1363(der: Uint8Array, size = 32): Buffer {
  const [sequence, ...rest] = decodeTlvs(der);
  if (sequence?.tag !== SEQUENCE || rest.length > 0) throw new RangeError('not an ECDSA signature');
  const integers = decodeTlvs(sequence.value);
  if (integers.length !== 2 || integers.some((item) => item.tag !== INTEGER))
    throw new RangeError('an ECDSA signature is two integers');
  return Buffer.concat(integers.map((item) => unsignedFixed(item.value, size)));
}

/** A positive DER INTEGER (a leading 00 only before a high bit) as exactly `size` bytes. */
function unsignedFixed(integer: Buffer, size: number): Buffer {
  const magnitude = integer.length > 1 && integer[0] === 0 ? integer.subarray(1) : integer;
  if (magnitude.length === 0 || magnitude.length > size || (integer[0]! & 0x80) !== 0)
    throw new RangeError('ECDSA integer out of range');
  return Buffer.concat([Buffer.alloc(size - magnitude.length), magnitude]);
}
