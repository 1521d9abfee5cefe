import { describe, expect, it } from 'vitest';
import { decodeCardInfo, encodeCardInfo, serialFromGuid, serialToGuid } from './card-serial.js';
import { decodeChuid, encodeChuid, NON_FEDERAL_FASCN } from './chuid.js';
import { decodeTlvs, encodeLength, encodeTlv, encodeTlvs, findTlv } from './tlv.js';

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');

describe('BER-TLV (ISO 7816-4 5.2, SP 800-73-4 Part 2 tables)', () => {
  it('encodes the GET DATA tag list for the CHUID: 5C 03 5F C1 02', () => {
    expect(encodeTlv(0x5c, hex('5fc102'))).toEqual(hex('5c 03 5f c1 02'));
  });

  it('encodes the key generation template AC 03 80 01 11 (ECC P-256)', () => {
    expect(encodeTlv(0xac, encodeTlv(0x80, hex('11')))).toEqual(hex('ac 03 80 01 11'));
  });

  it('encodes lengths in one, two and three bytes (81 xx, 82 xx xx)', () => {
    expect(encodeLength(0x7f)).toEqual(hex('7f'));
    expect(encodeLength(0x80)).toEqual(hex('81 80'));
    expect(encodeLength(0xff)).toEqual(hex('81 ff'));
    expect(encodeLength(300)).toEqual(hex('82 01 2c'));
  });

  it('decodes two- and three-byte tags (7F49, 5FC105)', () => {
    const items = decodeTlvs(hex('7f49 03 86 01 04 5fc105 02 aabb'));
    expect(items.map((item) => item.tag)).toEqual([0x7f49, 0x5fc105]);
    expect(findTlv(items[0]!.value, 0x86)).toEqual(hex('04'));
  });

  it('round-trips long values and refuses truncated input', () => {
    const value = Buffer.alloc(1000, 7);
    const encoded = encodeTlvs([0x70, value], [0x71, hex('00')], [0xfe, Buffer.alloc(0)]);
    expect(encoded.subarray(0, 4)).toEqual(hex('70 82 03 e8'));
    expect(findTlv(encoded, 0x70)).toEqual(value);
    expect(() => decodeTlvs(encoded.subarray(0, 10))).toThrow(RangeError);
  });

  it('decodes the dynamic authentication template 7C 02 80 00 (witness request)', () => {
    const inner = findTlv(hex('7c 02 80 00'), 0x7c)!;
    expect(decodeTlvs(inner)).toEqual([{ tag: 0x80, value: Buffer.alloc(0) }]);
  });
});

describe('CHUID and the card serial', () => {
  const serial = '9752269000000001234';

  it('keeps the 19-digit serial in the GUID as BCD behind a SITHS marker', () => {
    const guid = serialToGuid(serial);
    expect(guid).toHaveLength(16);
    expect(guid.toString('hex')).toBe('534954485300' + '09752269000000001234');
    expect(serialFromGuid(guid)).toBe(serial);
    expect(serialFromGuid(Buffer.alloc(16))).toBeUndefined();
  });

  it('encodes a CHUID with FASC-N, GUID, expiration, empty signature and EDC', () => {
    const chuid = encodeChuid(serial, '20301231');
    expect(decodeTlvs(chuid).map((item) => item.tag)).toEqual([0x30, 0x34, 0x35, 0x3e, 0xfe]);
    expect(decodeChuid(chuid)).toMatchObject({ fascn: NON_FEDERAL_FASCN, expiration: '20301231', serial });
  });

  it('round-trips the discretionary card-info object', () => {
    expect(decodeCardInfo(encodeCardInfo(serial, 'reserve'))).toEqual({ serial, kind: 'reserve' });
  });
});
