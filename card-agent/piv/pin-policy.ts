import { isValidPin } from './pin';

/**
 * Why a new PIN is refused, checked in the agent before anything reaches the card. The same rule for
 * every job that sets a PIN: the user's own unlock, an unlock support assists, and any other new PIN.
 */
export type PinPolicyProblem = 'invalid_new_pin' | 'pin_all_same' | 'pin_sequence' | 'pin_same_as_previous';

/**
 * The code policy: 6-8 digits, not one digit repeated (111111), not a run up or down (123456, 876543;
 * 9 and 0 are not neighbours, so 890123 is allowed), and not the card's previous code when the job knows
 * it. Undefined when the PIN may be used.
 */
export function newPinProblem(pin: unknown, previousPin?: string): PinPolicyProblem | undefined {
  if (typeof pin !== 'string' || !isValidPin(pin)) return 'invalid_new_pin';
  const steps = [...pin].slice(1).map((digit, index) => Number(digit) - Number(pin[index]));
  if (steps.every((step) => step === 0)) return 'pin_all_same';
  if (steps.every((step) => step === 1) || steps.every((step) => step === -1)) return 'pin_sequence';
  if (previousPin !== undefined && pin === previousPin) return 'pin_same_as_previous';
  return undefined;
}
