/** BER-TLV (ISO/IEC 8825-1 as profiled by ISO 7816-4 and SP 800-73-4): tags of 1-3 bytes, definite lengths. */

export interface Tlv {
  tag: number;
  value: Buffer;
}

export function encodeTag(tag: number): Buffer {
  if (tag <= 0xff) return Buffer.from([tag]);
  if (tag <= 0xffff) return Buffer.from([tag >> 8, tag & 0xff]);
  return Buffer.from([tag >> 16, (tag >> 8) & 0xff, tag & 0xff]);
}

export function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  if (length <= 0xff) return Buffer.from([0x81, length]);
  if (length <= 0xffff) return Buffer.from([0x82, length >> 8, length & 0xff]);
  if (length <= 0xffffff) return Buffer.from([0x83, length >> 16, (length >> 8) & 0xff, length & 0xff]);
  throw new RangeError(`TLV length too large: ${length}`);
}

export function encodeTlv(tag: number, value: Uint8Array = new Uint8Array()): Buffer {
  return Buffer.concat([encodeTag(tag), encodeLength(value.length), value]);
}

/** Concatenates TLVs: `tlvs([0x80, a], [0x81, b])`. */
export function encodeTlvs(...items: Array<[number, Uint8Array]>): Buffer {
  return Buffer.concat(items.map(([tag, value]) => encodeTlv(tag, value)));
}

function readTag(bytes: Buffer, offset: number): { tag: number; next: number } {
  let tag = bytes[offset]!;
  let next = offset + 1;
  // Low five bits all set: the tag continues while the next byte has its high bit set.
  if ((tag & 0x1f) === 0x1f) {
    let byte: number;
    do {
      if (next >= bytes.length) throw new RangeError('TLV tag runs past the end');
      byte = bytes[next++]!;
      tag = (tag << 8) | byte;
    } while (byte & 0x80);
  }
  return { tag, next };
}

function readLength(bytes: Buffer, offset: number): { length: number; next: number } {
  const first = bytes[offset];
  if (first === undefined) throw new RangeError('TLV length missing');
  if (first < 0x80) return { length: first, next: offset + 1 };
  const count = first & 0x7f;
  if (count === 0 || count > 3) throw new RangeError(`unsupported TLV length form 0x${first.toString(16)}`);
  if (offset + 1 + count > bytes.length) throw new RangeError('TLV length runs past the end');
  let length = 0;
  for (let i = 1; i <= count; i++) length = (length << 8) | bytes[offset + i]!;
  return { length, next: offset + 1 + count };
}

/** Decodes a sequence of TLVs at one level. Throws when the bytes are not exactly a sequence. */
export function decodeTlvs(input: Uint8Array): Tlv[] {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const items: Tlv[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const { tag, next } = readTag(bytes, offset);
    const { length, next: valueStart } = readLength(bytes, next);
    if (valueStart + length > bytes.length)
      throw new RangeError(`TLV 0x${tag.toString(16)} runs past the end`);
    items.push({ tag, value: bytes.subarray(valueStart, valueStart + length) });
    offset = valueStart + length;
  }
  return items;
}

/** The value of the first TLV with `tag` at this level, or undefined. */
export function findTlv(input: Uint8Array, tag: number): Buffer | undefined {
  return decodeTlvs(input).find((item) => item.tag === tag)?.value;
}

export function requireTlv(input: Uint8Array, tag: number, what: string): Buffer {
  const value = findTlv(input, tag);
  if (value === undefined) throw new RangeError(`${what}: tag 0x${tag.toString(16)} missing`);
  return value;
}
