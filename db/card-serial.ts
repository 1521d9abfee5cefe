import { luhnCheckDigit } from '../protocol/identifiers';

export type CardSerialProblem = 'length' | 'digits' | 'check_digit';

/**
 * What is wrong with a SITHS card serial as staff type it (19 digits, the last a Luhn check digit), or
 * null when it is a valid serial. Pure, so the browser can run the same check as the server.
 */
export function cardSerialProblem(serial: string): CardSerialProblem | null {
  if (!/^\d*$/.test(serial)) return 'digits';
  if (serial.length !== 19) return 'length';
  return luhnCheckDigit(serial.slice(0, 18)) === Number(serial[18]) ? null : 'check_digit';
}

/** Staff often paste serials in groups ("9752 3190 8254 4177 364"): spaces and dashes are not part of it. */
export function normalizeCardSerial(input: string): string {
  return input.replace(/[\s-]/g, '');
}

/** A card's product code as the supplier prints it: capitals, digits and hyphens (SITHS-RES-2). */
export const productCodePattern = /^[A-Z0-9][A-Z0-9-]{1,29}$/;
