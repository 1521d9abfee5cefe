/** Just enough DER for the private extensions and the CRL number; the library covers everything standard. */

const TAG = { integer: 0x02, utf8String: 0x0c, printableString: 0x13, sequence: 0x30 } as const;

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function encode(tag: number, value: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(value.length), value]);
}

export const derPrintableString = (text: string): Buffer =>
  encode(TAG.printableString, Buffer.from(text, 'ascii'));

export const derUtf8String = (text: string): Buffer => encode(TAG.utf8String, Buffer.from(text, 'utf8'));

export const derSequence = (...items: Buffer[]): Buffer => encode(TAG.sequence, Buffer.concat(items));

export function derInteger(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError('a non-negative integer');
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return encode(TAG.integer, bytes);
}

interface Element {
  tag: number;
  value: Buffer;
  end: number;
}

function readElement(bytes: Buffer, offset: number): Element {
  const tag = bytes[offset];
  const first = bytes[offset + 1];
  if (tag === undefined || first === undefined) throw new RangeError('DER element runs past the end');
  let length = first;
  let start = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 3) throw new RangeError('unsupported DER length');
    length = 0;
    for (let index = 0; index < count; index++) length = (length << 8) | (bytes[start + index] ?? 0);
    start += count;
  }
  if (start + length > bytes.length) throw new RangeError('DER element runs past the end');
  return { tag, value: bytes.subarray(start, start + length), end: start + length };
}

function readWhole(input: ArrayBuffer | Uint8Array, tag: number): Buffer {
  const bytes = Buffer.from(input instanceof Uint8Array ? input : new Uint8Array(input));
  const element = readElement(bytes, 0);
  if (element.tag !== tag || element.end !== bytes.length) throw new RangeError('unexpected DER content');
  return element.value;
}

export const readPrintableString = (input: ArrayBuffer | Uint8Array): string =>
  readWhole(input, TAG.printableString).toString('ascii');

/** A SEQUENCE of UTF8Strings, as the mobile device extension holds. */
export function readUtf8StringSequence(input: ArrayBuffer | Uint8Array): string[] {
  const content = readWhole(input, TAG.sequence);
  const strings: string[] = [];
  for (let offset = 0; offset < content.length; ) {
    const element = readElement(content, offset);
    if (element.tag !== TAG.utf8String) throw new RangeError('expected a UTF8String');
    strings.push(element.value.toString('utf8'));
    offset = element.end;
  }
  return strings;
}
