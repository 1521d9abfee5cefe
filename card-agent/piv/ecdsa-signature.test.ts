import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ecdsaDerToP1363 } from './ecdsa-signature';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const message = Buffer.from('Jag undertecknar beslutet.', 'utf8');

describe('ecdsaDerToP1363', () => {
  it('turns the DER signatures node (and a PIV card) makes into r || s that verify', () => {
    for (let round = 0; round < 200; round++) {
      const p1363 = ecdsaDerToP1363(sign('sha256', message, privateKey));
      expect(p1363).toHaveLength(64);
      expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, p1363)).toBe(true);
    }
  });

  it('pads short integers to 32 bytes and refuses what is not two positive integers of that size', () => {
    const int = (bytes: number[]) => [0x02, bytes.length, ...bytes];
    const sequence = (...items: number[][]) => Buffer.from([0x30, items.flat().length, ...items.flat()]);
    expect(() => ecdsaDerToP1363(Buffer.from([0x04, 0x01, 0x00]))).toThrow(RangeError);
    expect(() => ecdsaDerToP1363(sequence(int([1])))).toThrow(RangeError);
    expect(() => ecdsaDerToP1363(sequence(int([0x80]), int([1])))).toThrow(RangeError);
    expect(() => ecdsaDerToP1363(sequence(int(Array(33).fill(1)), int([1])))).toThrow(RangeError);
    expect(ecdsaDerToP1363(sequence(int([0x00, 0x80]), int([7])))).toEqual(
      Buffer.concat([Buffer.alloc(31), Buffer.from([0x80]), Buffer.alloc(31), Buffer.from([7])]),
    );
  });
});
