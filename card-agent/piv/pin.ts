/** PIN rules of this deployment: 6-8 digits, sent padded to 8 bytes with 0xFF (SP 800-73-4 Part 2 3.2.1). */

export class InvalidPinFormatError extends Error {
  readonly code = 'INVALID_PIN_FORMAT';
  constructor(what: string) {
    super(`${what} must be 6 to 8 digits`);
    this.name = 'InvalidPinFormatError';
  }
}

const PIN_PATTERN = /^[0-9]{6,8}$/;
export const PIN_BLOCK_LENGTH = 8;

export function isValidPin(pin: string): boolean {
  return PIN_PATTERN.test(pin);
}

/** Refuses anything but 6-8 digits before it can reach a card; `what` names it in the error. */
export function encodePin(pin: string, what = 'PIN'): Buffer {
  if (typeof pin !== 'string' || !isValidPin(pin)) throw new InvalidPinFormatError(what);
  const block = Buffer.alloc(PIN_BLOCK_LENGTH, 0xff);
  block.write(pin, 'ascii');
  return block;
}

/** The card's view: the digits of a padded block, or undefined when the block breaks the rules. */
export function decodePinBlock(block: Uint8Array): string | undefined {
  if (block.length !== PIN_BLOCK_LENGTH) return undefined;
  const end = block.indexOf(0xff);
  const digits = Buffer.from(block.subarray(0, end === -1 ? block.length : end)).toString('latin1');
  const padding = end === -1 ? [] : [...block.subarray(end)];
  if (!padding.every((byte) => byte === 0xff)) return undefined;
  return isValidPin(digits) ? digits : undefined;
}
