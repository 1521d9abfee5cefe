/**
 * Typed errors of the card layer. Every status word and PC/SC failure becomes one of these at the
 * lowest layer, so callers branch on classes and codes, never on bytes.
 */

export type CardErrorCode =
  | 'WRONG_PIN'
  | 'PIN_BLOCKED'
  | 'SECURITY_STATUS_NOT_SATISFIED'
  | 'CONDITIONS_NOT_SATISFIED'
  | 'FILE_NOT_FOUND'
  | 'WRONG_DATA'
  | 'WRONG_PARAMETERS'
  | 'NOT_SUPPORTED'
  | 'NOT_ENOUGH_MEMORY'
  | 'APDU_FAILED'
  | 'CARD_REMOVED'
  | 'NO_CARD'
  | 'READER_GONE'
  | 'READER_NOT_FOUND'
  | 'READER_BUSY'
  | 'PCSC_UNAVAILABLE'
  | 'CARD_COMMUNICATION';

export class CardError extends Error {
  constructor(
    readonly code: CardErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A status word the card answered with; `sw` is kept for logs and support, not for branching. */
export class CardStatusError extends CardError {
  constructor(
    code: CardErrorCode,
    message: string,
    readonly sw: number,
  ) {
    super(code, message);
  }
}

/** 63Cx: the reference data (PIN, or PUK when unblocking) was wrong; x tries remain. */
export class WrongPinError extends CardStatusError {
  constructor(
    readonly triesLeft: number,
    sw: number,
  ) {
    super('WRONG_PIN', `wrong PIN, ${triesLeft} tries left`, sw);
  }
}

/** 6983: the reference data is blocked (no tries left). */
export class PinBlockedError extends CardStatusError {
  constructor(sw: number) {
    super('PIN_BLOCKED', 'the PIN is blocked', sw);
  }
}

export class SecurityStatusNotSatisfiedError extends CardStatusError {
  constructor(sw: number) {
    super(
      'SECURITY_STATUS_NOT_SATISFIED',
      'security status not satisfied (PIN or management key needed)',
      sw,
    );
  }
}

export class FileNotFoundError extends CardStatusError {
  constructor(sw: number) {
    super('FILE_NOT_FOUND', 'data object or application not found', sw);
  }
}

export class CardRemovedError extends CardError {
  constructor(message = 'the card was removed') {
    super('CARD_REMOVED', message);
  }
}

export class NoCardError extends CardError {
  constructor(readerName: string) {
    super('NO_CARD', `no card in reader "${readerName}"`);
  }
}

export class ReaderGoneError extends CardError {
  constructor(message = 'the reader is no longer available') {
    super('READER_GONE', message);
  }
}

export class ReaderNotFoundError extends CardError {
  constructor(readerName: string) {
    super('READER_NOT_FOUND', `reader "${readerName}" not found`);
  }
}

export class ReaderBusyError extends CardError {
  constructor(readerName: string) {
    super('READER_BUSY', `the card in "${readerName}" is in use by another program`);
  }
}

export class PcscUnavailableError extends CardError {
  constructor(message = 'the PC/SC service (pcscd) is not running') {
    super('PCSC_UNAVAILABLE', message);
  }
}

export class CardCommunicationError extends CardError {
  constructor(message: string) {
    super('CARD_COMMUNICATION', message);
  }
}
