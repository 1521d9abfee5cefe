/** Errors of the PIV layer that are not a single status word (those come typed from card-agent/pcsc). */

export type PivErrorCode =
  | 'WRONG_PUK'
  | 'PUK_BLOCKED'
  | 'MANAGEMENT_KEY_REJECTED'
  | 'CARD_NOT_AUTHENTIC'
  | 'UNSUPPORTED_ALGORITHM'
  | 'INVALID_CARD_RESPONSE'
  | 'SERIAL_MISMATCH';

export class PivError extends Error {
  constructor(
    readonly code: PivErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class WrongPukError extends PivError {
  constructor(readonly triesLeft: number) {
    super('WRONG_PUK', `wrong PUK, ${triesLeft} tries left`);
  }
}

export class PukBlockedError extends PivError {
  constructor() {
    super('PUK_BLOCKED', 'the PUK is blocked');
  }
}

export class ManagementKeyRejectedError extends PivError {
  constructor() {
    super('MANAGEMENT_KEY_REJECTED', 'the card rejected the management key');
  }
}

export class InvalidCardResponseError extends PivError {
  constructor(detail: string) {
    super('INVALID_CARD_RESPONSE', `the card answered something unexpected: ${detail}`);
  }
}

export class SerialMismatchError extends PivError {
  constructor() {
    super('SERIAL_MISMATCH', 'the serial in the CHUID and in the card-info object differ');
  }
}
