import type { CardProtocol } from '../pcsc/card-transport.js';

const HISTORICAL_BYTES = Buffer.from('SITHS-vPIV', 'latin1');

/**
 * The answer-to-reset (ISO/IEC 7816-3 8.2). T=1: TS 3B, T0 with TD1 present and the historical
 * byte count, TD1 80 (TD2 follows), TD2 01 (T=1), historical bytes, then TCK (XOR of T0..last).
 * T=0: no interface bytes and, as 7816-3 allows for T=0 only, no TCK.
 */
export function answerToReset(protocol: CardProtocol): Buffer {
  const count = HISTORICAL_BYTES.length;
  if (protocol === 'T0') return Buffer.concat([Buffer.from([0x3b, count]), HISTORICAL_BYTES]);
  const body = Buffer.concat([Buffer.from([0x80 | count, 0x80, 0x01]), HISTORICAL_BYTES]);
  const tck = body.reduce((check, byte) => check ^ byte, 0);
  return Buffer.concat([Buffer.from([0x3b]), body, Buffer.from([tck])]);
}
