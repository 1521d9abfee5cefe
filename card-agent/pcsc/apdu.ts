/** ISO/IEC 7816-4 command and response APDUs: encoding, decoding and command chaining. */

export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data?: Uint8Array;
  /** Expected response length; 256 (short) or 65536 (extended) mean "as much as there is". */
  le?: number;
}

export interface ResponseApdu {
  data: Buffer;
  sw: number;
}

export const SHORT_MAX_DATA = 255;
export const SHORT_MAX_LE = 256;
export const EXTENDED_MAX_DATA = 65_535;
export const EXTENDED_MAX_LE = 65_536;
const CLA_CHAINING = 0x10;

function header(apdu: CommandApdu): number[] {
  return [apdu.cla, apdu.ins, apdu.p1, apdu.p2];
}

/** Short encoding: Lc and Le are one byte each, Le 256 is written as 00. */
export function encodeShortApdu(apdu: CommandApdu): Buffer {
  const data = apdu.data ?? new Uint8Array();
  if (data.length > SHORT_MAX_DATA) throw new RangeError(`short APDU data too long: ${data.length}`);
  if (apdu.le !== undefined && (apdu.le < 1 || apdu.le > SHORT_MAX_LE)) {
    throw new RangeError(`short APDU Le out of range: ${apdu.le}`);
  }
  const bytes = header(apdu);
  if (data.length > 0) bytes.push(data.length, ...data);
  if (apdu.le !== undefined) bytes.push(apdu.le & 0xff);
  return Buffer.from(bytes);
}

/** Extended encoding: 00 then a two-byte Lc, and a two-byte Le (three bytes when there is no Lc). */
export function encodeExtendedApdu(apdu: CommandApdu): Buffer {
  const data = apdu.data ?? new Uint8Array();
  if (data.length > EXTENDED_MAX_DATA) throw new RangeError(`extended APDU data too long: ${data.length}`);
  if (apdu.le !== undefined && (apdu.le < 1 || apdu.le > EXTENDED_MAX_LE)) {
    throw new RangeError(`extended APDU Le out of range: ${apdu.le}`);
  }
  const bytes = header(apdu);
  if (data.length > 0) bytes.push(0, data.length >> 8, data.length & 0xff, ...data);
  if (apdu.le !== undefined) {
    if (data.length === 0) bytes.push(0);
    const le = apdu.le & 0xffff;
    bytes.push(le >> 8, le & 0xff);
  }
  return Buffer.from(bytes);
}

/**
 * Splits a command whose data does not fit one short APDU into a chain (ISO 7816-4 5.1.1.1):
 * every part but the last has the chaining bit in CLA and no Le.
 */
export function chainApdu(apdu: CommandApdu, maxChunk = SHORT_MAX_DATA): CommandApdu[] {
  const data = apdu.data ?? new Uint8Array();
  if (data.length <= maxChunk) return [apdu];
  const parts: CommandApdu[] = [];
  for (let offset = 0; offset < data.length; offset += maxChunk) {
    const last = offset + maxChunk >= data.length;
    const chunk = data.subarray(offset, offset + maxChunk);
    parts.push(
      last
        ? { ...apdu, data: chunk }
        : { cla: apdu.cla | CLA_CHAINING, ins: apdu.ins, p1: apdu.p1, p2: apdu.p2, data: chunk },
    );
  }
  return parts;
}

export interface DecodedCommandApdu extends CommandApdu {
  data: Buffer;
  chained: boolean;
  extended: boolean;
}

/** Decodes a command APDU of any of the four ISO cases, short or extended (the card's side). */
export function decodeCommandApdu(bytes: Uint8Array): DecodedCommandApdu {
  if (bytes.length < 4) throw new RangeError('APDU shorter than its header');
  const buf = Buffer.from(bytes);
  const base = {
    cla: buf[0]!,
    ins: buf[1]!,
    p1: buf[2]!,
    p2: buf[3]!,
    chained: (buf[0]! & CLA_CHAINING) !== 0,
  };
  const body = buf.subarray(4);
  if (body.length === 0) return { ...base, data: Buffer.alloc(0), extended: false };
  if (body.length === 1) return { ...base, data: Buffer.alloc(0), le: body[0] || 256, extended: false };
  if (body[0] !== 0 || body.length === 2) return decodeShortBody(base, body);
  return decodeExtendedBody(base, body);
}

type ApduHeader = Omit<DecodedCommandApdu, 'data' | 'extended'>;

function decodeShortBody(base: ApduHeader, body: Buffer): DecodedCommandApdu {
  const lc = body[0]!;
  if (body.length === 1 + lc) return { ...base, data: body.subarray(1), extended: false };
  if (body.length === 2 + lc) {
    return { ...base, data: body.subarray(1, 1 + lc), le: body[1 + lc] || 256, extended: false };
  }
  throw new RangeError('APDU length does not match Lc');
}

function decodeExtendedBody(base: ApduHeader, body: Buffer): DecodedCommandApdu {
  const n = body.readUInt16BE(1);
  if (body.length === 3) return { ...base, data: Buffer.alloc(0), le: n || 65_536, extended: true };
  if (body.length === 3 + n) return { ...base, data: body.subarray(3, 3 + n), extended: true };
  if (body.length === 5 + n) {
    const le = body.readUInt16BE(3 + n) || 65_536;
    return { ...base, data: body.subarray(3, 3 + n), le, extended: true };
  }
  throw new RangeError('extended APDU length does not match Lc');
}

export function decodeResponseApdu(bytes: Uint8Array): ResponseApdu {
  if (bytes.length < 2) throw new RangeError('response APDU shorter than its status word');
  const buf = Buffer.from(bytes);
  return { data: buf.subarray(0, buf.length - 2), sw: buf.readUInt16BE(buf.length - 2) };
}

export function encodeResponseApdu(response: ResponseApdu): Buffer {
  return Buffer.concat([response.data, Buffer.from([response.sw >> 8, response.sw & 0xff])]);
}
