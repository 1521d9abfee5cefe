import { describe, expect, it } from 'vitest';
import { decodePinBlock, encodePin, InvalidPinFormatError } from './pin.js';

describe('PIN rules', () => {
  it('pads 6-8 digits to 8 bytes with FF (SP 800-73-4 Part 2 3.2.1)', () => {
    expect(encodePin('123456').toString('hex')).toBe('313233343536ffff');
    expect(encodePin('12345678').toString('hex')).toBe('3132333435363738');
  });

  it('refuses short, long and non-digit PINs before they reach a card', () => {
    for (const pin of ['12345', '123456789', '12345a', '', '１２３４５６', ' 123456']) {
      expect(() => encodePin(pin)).toThrow(InvalidPinFormatError);
    }
  });

  it('lets the card decode only well-formed blocks', () => {
    expect(decodePinBlock(Buffer.from('313233343536ffff', 'hex'))).toBe('123456');
    expect(decodePinBlock(Buffer.from('31323334ffffffff', 'hex'))).toBeUndefined();
    expect(decodePinBlock(Buffer.from('313233343536ff31', 'hex'))).toBeUndefined();
    expect(decodePinBlock(Buffer.from('313233343536', 'hex'))).toBeUndefined();
  });
});
