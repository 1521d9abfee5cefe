import { describe, expect, it } from 'vitest';
import { newPinProblem } from './pin-policy';

describe('the code policy for a new PIN', () => {
  it('takes 6, 7 and 8 digits that are no run and no repeated digit', () => {
    for (const pin of ['135790', '7351946', '26481357', '1357913', '112233', '123457', '987653', '012346']) {
      expect(newPinProblem(pin), pin).toBeUndefined();
    }
  });

  it('refuses fewer than 6 or more than 8 digits, and anything but digits', () => {
    for (const pin of ['', '13579', '135790246', '13579a', ' 135790', '１３５７９０', 135790, undefined]) {
      expect(newPinProblem(pin), String(pin)).toBe('invalid_new_pin');
    }
  });

  it('refuses one digit repeated, at 6, 7 and 8 digits', () => {
    for (const pin of ['111111', '0000000', '99999999']) expect(newPinProblem(pin), pin).toBe('pin_all_same');
  });

  it('refuses a run up or down, at 6, 7 and 8 digits', () => {
    for (const pin of [
      '123456',
      '1234567',
      '12345678',
      '234567',
      '012345',
      '876543',
      '98765432',
      '6543210',
    ]) {
      expect(newPinProblem(pin), pin).toBe('pin_sequence');
    }
  });

  it('tells a run from digits with another step or a wrap past 9', () => {
    expect(newPinProblem('1234567')).toBe('pin_sequence');
    expect(newPinProblem('1357913')).toBeUndefined();
    expect(newPinProblem('890123')).toBeUndefined();
    expect(newPinProblem('123465')).toBeUndefined();
  });

  it("refuses the card's previous code when it is known", () => {
    expect(newPinProblem('482913', '482913')).toBe('pin_same_as_previous');
    expect(newPinProblem('482913', '482914')).toBeUndefined();
    expect(newPinProblem('482913')).toBeUndefined();
  });
});
