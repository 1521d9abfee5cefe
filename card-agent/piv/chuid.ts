import { type CardSerial, serialFromGuid, serialToGuid } from './card-serial.js';
import { encodeTlvs, findTlv, requireTlv } from './tlv.js';

/** Card Holder Unique Identifier (SP 800-73-4 Part 1 table 9). */
export interface Chuid {
  fascn: Buffer;
  guid: Buffer;
  /** YYYYMMDD */
  expiration: string;
  /** The SITHS serial when the GUID carries one. */
  serial?: CardSerial;
}

const FASCN = 0x30;
const GUID = 0x34;
const EXPIRATION = 0x35;
const ISSUER_SIGNATURE = 0x3e;
const ERROR_DETECTION = 0xfe;

/**
 * The FASC-N of an issuer outside the US federal scheme (agency, system and credential codes all
 * 9s), the value yubico-piv-tool writes too; such cards are identified by their GUID instead.
 */
export const NON_FEDERAL_FASCN = Buffer.from('d4e739da739ced39ce739d836858210842108421c84210c3eb', 'hex');

export function encodeChuid(serial: CardSerial, expiration: string): Buffer {
  return encodeTlvs(
    [FASCN, NON_FEDERAL_FASCN],
    [GUID, serialToGuid(serial)],
    [EXPIRATION, Buffer.from(expiration, 'ascii')],
    [ISSUER_SIGNATURE, Buffer.alloc(0)],
    [ERROR_DETECTION, Buffer.alloc(0)],
  );
}

export function decodeChuid(value: Uint8Array): Chuid {
  const guid = requireTlv(value, GUID, 'CHUID');
  const serial = serialFromGuid(guid);
  return {
    fascn: findTlv(value, FASCN) ?? Buffer.alloc(0),
    guid,
    expiration: findTlv(value, EXPIRATION)?.toString('ascii') ?? '',
    ...(serial ? { serial } : {}),
  };
}
