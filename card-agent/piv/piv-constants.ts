/** Identifiers from NIST SP 800-73-4 (Part 1 tables 3 and 4, Part 2) and SP 800-78-4 (algorithms). */

/** The PIV application identifier; cards accept a right-truncated prefix of it in SELECT. */
export const PIV_AID = Buffer.from('a000000308000010000100', 'hex');

export const INS = {
  SELECT: 0xa4,
  GET_DATA: 0xcb,
  PUT_DATA: 0xdb,
  VERIFY: 0x20,
  CHANGE_REFERENCE_DATA: 0x24,
  RESET_RETRY_COUNTER: 0x2c,
  GENERAL_AUTHENTICATE: 0x87,
  GENERATE_ASYMMETRIC_KEY_PAIR: 0x47,
  GET_RESPONSE: 0xc0,
} as const;

/** Key references (SP 800-73-4 Part 1 table 4b). */
export const KEY_REF = {
  PIN: 0x80,
  PUK: 0x81,
  MANAGEMENT: 0x9b,
} as const;

export type PivSlot = '9a' | '9c' | '9d' | '9e';
export const SLOTS: readonly PivSlot[] = ['9a', '9c', '9d', '9e'];

export const SLOT_KEY_REF: Record<PivSlot, number> = { '9a': 0x9a, '9c': 0x9c, '9d': 0x9d, '9e': 0x9e };

/** BER-TLV tags of the data objects (SP 800-73-4 Part 1 table 3). */
export const OBJECT = {
  DISCOVERY: 0x7e,
  CHUID: 0x5fc102,
  CCC: 0x5fc107,
  SECURITY_OBJECT: 0x5fc106,
  PRINTED_INFORMATION: 0x5fc109,
  FINGERPRINTS: 0x5fc103,
  FACIAL_IMAGE: 0x5fc108,
  IRIS_IMAGES: 0x5fc121,
  /** Issuer-defined (discretionary) object holding the SITHS card serial and kind. */
  CARD_INFO: 0x5fff10,
} as const;

export const SLOT_CERTIFICATE_OBJECT: Record<PivSlot, number> = {
  '9a': 0x5fc105,
  '9c': 0x5fc10a,
  '9d': 0x5fc10b,
  '9e': 0x5fc101,
};

/** Cryptographic mechanism identifiers (SP 800-78-4 table 6-2). */
export const ALGORITHM = {
  TDEA_3KEY: 0x03,
  RSA_1024: 0x06,
  RSA_2048: 0x07,
  AES_128: 0x08,
  AES_192: 0x0a,
  AES_256: 0x0c,
  ECC_P256: 0x11,
  ECC_P384: 0x14,
} as const;

export type KeyAlgorithm = 'ECCP256' | 'RSA2048';
export const KEY_ALGORITHM_ID: Record<KeyAlgorithm, number> = {
  ECCP256: ALGORITHM.ECC_P256,
  RSA2048: ALGORITHM.RSA_2048,
};

export type ManagementKeyAlgorithm = '3DES' | 'AES128';
export const MANAGEMENT_KEY_ALGORITHM_ID: Record<ManagementKeyAlgorithm, number> = {
  '3DES': ALGORITHM.TDEA_3KEY,
  AES128: ALGORITHM.AES_128,
};

/** Tags inside the GET/PUT DATA and GENERAL AUTHENTICATE templates. */
export const TAG = {
  TAG_LIST: 0x5c,
  DATA: 0x53,
  CERTIFICATE: 0x70,
  CERT_INFO: 0x71,
  ERROR_DETECTION: 0xfe,
  DYNAMIC_AUTH: 0x7c,
  WITNESS: 0x80,
  CHALLENGE: 0x81,
  RESPONSE: 0x82,
  EXPONENTIATION: 0x85,
  KEY_GEN_TEMPLATE: 0xac,
  KEY_GEN_ALGORITHM: 0x80,
  PUBLIC_KEY: 0x7f49,
  RSA_MODULUS: 0x81,
  RSA_EXPONENT: 0x82,
  EC_POINT: 0x86,
  APPLICATION_PROPERTY: 0x61,
  AID: 0x4f,
  ALLOCATION_AUTHORITY: 0x79,
  APPLICATION_LABEL: 0x50,
  ALGORITHMS_SUPPORTED: 0xac,
  PIN_USAGE_POLICY: 0x5f2f,
} as const;
