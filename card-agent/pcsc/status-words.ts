import {
  CardStatusError,
  FileNotFoundError,
  PinBlockedError,
  SecurityStatusNotSatisfiedError,
  WrongPinError,
} from './errors.js';

/** ISO/IEC 7816-4 status words the PIV subset uses. */
export const SW = {
  OK: 0x9000,
  WRONG_LENGTH: 0x6700,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  AUTH_METHOD_BLOCKED: 0x6983,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  WRONG_DATA: 0x6a80,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  FILE_NOT_FOUND: 0x6a82,
  NOT_ENOUGH_MEMORY: 0x6a84,
  INCORRECT_P1P2: 0x6a86,
  REFERENCE_NOT_FOUND: 0x6a88,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  NO_PRECISE_DIAGNOSIS: 0x6f00,
} as const;

export const isSuccess = (sw: number) => sw === SW.OK;
/** 61xx: more response data waits for GET RESPONSE. */
export const isMoreDataAvailable = (sw: number) => sw >> 8 === 0x61;
/** 6Cxx: wrong Le, the card tells the right one in xx. */
export const isWrongLe = (sw: number) => sw >> 8 === 0x6c;
/** 63Cx: verification failed, x tries left. */
export const isVerificationFailed = (sw: number) => (sw & 0xfff0) === 0x63c0;

export const pinTriesSw = (triesLeft: number) => 0x63c0 | Math.min(triesLeft, 15);

const hex = (sw: number) => sw.toString(16).padStart(4, '0').toUpperCase();

/** Turns a failing status word into the typed error callers handle. */
export function statusError(sw: number): CardStatusError {
  if (isVerificationFailed(sw)) return new WrongPinError(sw & 0x0f, sw);
  switch (sw) {
    case SW.AUTH_METHOD_BLOCKED:
      return new PinBlockedError(sw);
    case SW.SECURITY_STATUS_NOT_SATISFIED:
      return new SecurityStatusNotSatisfiedError(sw);
    case SW.FILE_NOT_FOUND:
    case SW.REFERENCE_NOT_FOUND:
      return new FileNotFoundError(sw);
    case SW.CONDITIONS_NOT_SATISFIED:
      return new CardStatusError('CONDITIONS_NOT_SATISFIED', 'conditions of use not satisfied', sw);
    case SW.WRONG_DATA:
    case SW.WRONG_LENGTH:
      return new CardStatusError('WRONG_DATA', `the card refused the data (${hex(sw)})`, sw);
    case SW.INCORRECT_P1P2:
      return new CardStatusError('WRONG_PARAMETERS', 'incorrect parameters P1-P2', sw);
    case SW.FUNCTION_NOT_SUPPORTED:
    case SW.INS_NOT_SUPPORTED:
    case SW.CLA_NOT_SUPPORTED:
      return new CardStatusError('NOT_SUPPORTED', `the card does not support this command (${hex(sw)})`, sw);
    case SW.NOT_ENOUGH_MEMORY:
      return new CardStatusError('NOT_ENOUGH_MEMORY', 'not enough memory on the card', sw);
    default:
      return new CardStatusError('APDU_FAILED', `the card answered ${hex(sw)}`, sw);
  }
}
