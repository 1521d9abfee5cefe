import { describe, expect, it } from 'vitest';
import {
  chainApdu,
  decodeCommandApdu,
  decodeResponseApdu,
  encodeExtendedApdu,
  encodeResponseApdu,
  encodeShortApdu,
} from './apdu.js';
import { PinBlockedError, SecurityStatusNotSatisfiedError, WrongPinError } from './errors.js';
import { statusError } from './status-words.js';

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');

describe('command APDU encoding (ISO 7816-4 5.1, examples from SP 800-73-4 Part 2)', () => {
  it('encodes SELECT of the PIV application as case 4 short', () => {
    const apdu = { cla: 0, ins: 0xa4, p1: 4, p2: 0, data: hex('a000000308000010000100'), le: 256 };
    expect(encodeShortApdu(apdu)).toEqual(hex('00 a4 04 00 0b a0 00 00 03 08 00 00 10 00 01 00 00'));
  });

  it('encodes GET DATA of the CHUID (5C 03 5F C1 02) with Le 00', () => {
    const apdu = { cla: 0, ins: 0xcb, p1: 0x3f, p2: 0xff, data: hex('5c035fc102'), le: 256 };
    expect(encodeShortApdu(apdu)).toEqual(hex('00 cb 3f ff 05 5c 03 5f c1 02 00'));
  });

  it('encodes VERIFY with a padded PIN as case 3 and the status query as case 1', () => {
    expect(encodeShortApdu({ cla: 0, ins: 0x20, p1: 0, p2: 0x80, data: hex('313233343536ffff') })).toEqual(
      hex('00 20 00 80 08 31 32 33 34 35 36 ff ff'),
    );
    expect(encodeShortApdu({ cla: 0, ins: 0x20, p1: 0, p2: 0x80 })).toEqual(hex('00 20 00 80'));
  });

  it('encodes case 2 short and extended forms', () => {
    expect(encodeShortApdu({ cla: 0, ins: 0xc0, p1: 0, p2: 0, le: 0x10 })).toEqual(hex('00 c0 00 00 10'));
    expect(encodeExtendedApdu({ cla: 0, ins: 0xc0, p1: 0, p2: 0, le: 65_536 })).toEqual(
      hex('00 c0 00 00 00 00 00'),
    );
  });

  it('encodes extended case 4 with two-byte Lc and Le', () => {
    const data = Buffer.alloc(300, 0xab);
    const encoded = encodeExtendedApdu({ cla: 0, ins: 0xdb, p1: 0x3f, p2: 0xff, data, le: 256 });
    expect(encoded.subarray(0, 7)).toEqual(hex('00 db 3f ff 00 01 2c'));
    expect(encoded.subarray(-2)).toEqual(hex('01 00'));
    expect(encoded.length).toBe(4 + 3 + 300 + 2);
  });

  it('refuses data that does not fit a short APDU', () => {
    expect(() => encodeShortApdu({ cla: 0, ins: 0xdb, p1: 0, p2: 0, data: Buffer.alloc(256) })).toThrow(
      RangeError,
    );
  });

  it('chains long data: chaining bit on all parts but the last, Le only on the last', () => {
    const parts = chainApdu({ cla: 0, ins: 0xdb, p1: 0x3f, p2: 0xff, data: Buffer.alloc(600, 1), le: 256 });
    expect(parts.map((part) => [part.cla, part.data?.length, part.le])).toEqual([
      [0x10, 255, undefined],
      [0x10, 255, undefined],
      [0x00, 90, 256],
    ]);
  });

  it('decodes all four cases, short and extended, back to the same command', () => {
    const commands = [
      { cla: 0, ins: 0x20, p1: 0, p2: 0x80 },
      { cla: 0, ins: 0xc0, p1: 0, p2: 0, le: 256 },
      { cla: 0x10, ins: 0xdb, p1: 0x3f, p2: 0xff, data: Buffer.alloc(255, 2) },
      { cla: 0, ins: 0xcb, p1: 0x3f, p2: 0xff, data: hex('5c035fc105'), le: 256 },
    ];
    for (const command of commands) {
      expect(decodeCommandApdu(encodeShortApdu(command))).toMatchObject({ ...command, extended: false });
    }
    const extended = { cla: 0, ins: 0xdb, p1: 0x3f, p2: 0xff, data: Buffer.alloc(1000, 3), le: 65_536 };
    expect(decodeCommandApdu(encodeExtendedApdu(extended))).toMatchObject({ ...extended, extended: true });
  });

  it('splits and joins response APDUs at the status word', () => {
    expect(decodeResponseApdu(hex('0102 6283'))).toEqual({ data: hex('0102'), sw: 0x6283 });
    expect(encodeResponseApdu({ data: hex('aa'), sw: 0x9000 })).toEqual(hex('aa 90 00'));
  });
});

describe('status words become typed errors', () => {
  it('maps 63Cx to a wrong PIN with x tries left, 6983 to blocked, 6982 to security status', () => {
    const wrong = statusError(0x63c2);
    expect(wrong).toBeInstanceOf(WrongPinError);
    expect((wrong as WrongPinError).triesLeft).toBe(2);
    expect(statusError(0x6983)).toBeInstanceOf(PinBlockedError);
    expect(statusError(0x6982)).toBeInstanceOf(SecurityStatusNotSatisfiedError);
    expect(statusError(0x6a82).code).toBe('FILE_NOT_FOUND');
    expect(statusError(0x6d00).code).toBe('NOT_SUPPORTED');
  });
});
