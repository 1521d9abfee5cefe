import { decodeTlvs, encodeTlvs, findTlv } from './tlv.js';

/** A SITHS card serial: 19 decimal digits. */
export type CardSerial = string;
export type CardKind = 'ordinary' | 'reserve';

const SERIAL_PATTERN = /^[0-9]{19}$/;

export function isCardSerial(value: string): value is CardSerial {
  return SERIAL_PATTERN.test(value);
}

/**
 * The CHUID's GUID (tag 34, 16 bytes) carries the serial: "SITHS" in ASCII, 00, then the serial
 * as 20 BCD digits (a leading zero and the 19). Readers that only know PIV see a unique GUID.
 */
const GUID_MARKER = Buffer.from('SITHS\0', 'latin1');

export function serialToGuid(serial: CardSerial): Buffer {
  return Buffer.concat([GUID_MARKER, Buffer.from(`0${serial}`, 'hex')]);
}

export function serialFromGuid(guid: Uint8Array): CardSerial | undefined {
  const bytes = Buffer.from(guid);
  if (bytes.length !== 16 || !bytes.subarray(0, GUID_MARKER.length).equals(GUID_MARKER)) return undefined;
  const digits = bytes.subarray(GUID_MARKER.length).toString('hex').slice(1);
  return isCardSerial(digits) ? digits : undefined;
}

/** The discretionary card-info object's value: 01 serial (ASCII digits), 02 kind. */
const INFO_SERIAL = 0x01;
const INFO_KIND = 0x02;

export function encodeCardInfo(serial: CardSerial, kind: CardKind): Buffer {
  return encodeTlvs([INFO_SERIAL, Buffer.from(serial, 'ascii')], [INFO_KIND, Buffer.from(kind, 'ascii')]);
}

export function decodeCardInfo(value: Uint8Array): { serial?: CardSerial; kind?: CardKind } {
  decodeTlvs(value);
  const serial = findTlv(value, INFO_SERIAL)?.toString('ascii');
  const kind = findTlv(value, INFO_KIND)?.toString('ascii');
  return {
    ...(serial && isCardSerial(serial) ? { serial } : {}),
    ...(kind === 'ordinary' || kind === 'reserve' ? { kind } : {}),
  };
}
