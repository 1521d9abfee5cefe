import type { CardSnapshot, JobError, JobErrorCode } from '../../protocol/jobs';
import { CardError, type CardErrorCode, WrongPinError } from '../pcsc/errors';
import { PivError, type PivErrorCode, WrongPukError } from '../piv/piv-errors';

/** A job or step failure that already carries its protocol error code. */
export class JobFailure extends Error {
  constructor(
    readonly code: JobErrorCode,
    message: string,
    /** What the failure revealed about the card (tries left), merged into the step's snapshot. */
    readonly card: Partial<CardSnapshot> = {},
  ) {
    super(message);
    this.name = 'JobFailure';
  }

  get jobError(): JobError {
    return { code: this.code, message: this.message };
  }
}

const cardCodes: Record<CardErrorCode, JobErrorCode> = {
  WRONG_PIN: 'wrong_pin',
  PIN_BLOCKED: 'pin_blocked',
  SECURITY_STATUS_NOT_SATISFIED: 'card_error',
  CONDITIONS_NOT_SATISFIED: 'card_error',
  FILE_NOT_FOUND: 'card_error',
  WRONG_DATA: 'card_error',
  WRONG_PARAMETERS: 'card_error',
  NOT_SUPPORTED: 'card_error',
  NOT_ENOUGH_MEMORY: 'card_error',
  APDU_FAILED: 'card_error',
  CARD_REMOVED: 'card_removed',
  NO_CARD: 'no_card',
  READER_GONE: 'reader_gone',
  READER_NOT_FOUND: 'reader_not_found',
  READER_BUSY: 'card_error',
  PCSC_UNAVAILABLE: 'reader_gone',
  CARD_COMMUNICATION: 'card_error',
};

const pivCodes: Record<PivErrorCode, JobErrorCode> = {
  WRONG_PUK: 'wrong_puk',
  PUK_BLOCKED: 'puk_blocked',
  MANAGEMENT_KEY_REJECTED: 'management_key_rejected',
  CARD_NOT_AUTHENTIC: 'card_not_authentic',
  UNSUPPORTED_ALGORITHM: 'card_error',
  INVALID_CARD_RESPONSE: 'card_error',
  SERIAL_MISMATCH: 'card_not_authentic',
};

/**
 * The one place where anything a step can throw becomes a protocol failure. Card-layer messages
 * are safe to pass on: that layer never puts data fields (PINs) into them.
 */
export function toJobFailure(error: unknown): JobFailure {
  if (error instanceof JobFailure) return error;
  if (error instanceof WrongPinError) {
    const code = error.triesLeft === 0 ? 'pin_blocked' : 'wrong_pin';
    return new JobFailure(code, error.message, { pinTriesLeft: error.triesLeft });
  }
  if (error instanceof CardError) {
    const blocked = error.code === 'PIN_BLOCKED' ? { pinTriesLeft: 0 } : {};
    return new JobFailure(cardCodes[error.code], error.message, blocked);
  }
  if (error instanceof WrongPukError) return new JobFailure('wrong_puk', error.message);
  if (error instanceof PivError) return new JobFailure(pivCodes[error.code], error.message);
  return new JobFailure('internal', 'the agent failed unexpectedly');
}

export const cancelledByUser = () => new JobFailure('user_cancelled', 'cancelled by the user');

/** A job stopped from outside the card: by the user here, or by the server, with the code it ended the job with. */
export function stoppedWith(code: JobErrorCode): JobFailure {
  if (code === 'user_cancelled') return cancelledByUser();
  if (code === 'cancelled_by_support') return new JobFailure(code, 'cancelled by support');
  return new JobFailure(code, 'ended by the server');
}

export function isCancellation(code: JobErrorCode): boolean {
  return code === 'cancelled_by_support' || code === 'user_cancelled';
}
