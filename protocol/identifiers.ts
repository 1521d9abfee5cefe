import { z } from 'zod';

/** The Luhn check digit of a string of digits (the last digit of a personnummer, of many card numbers). */
export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    let value = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 0) {
      value *= 2;
      if (value > 9) value -= 9;
    }
    sum += value;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * A Swedish personnummer (or samordningsnummer, day + 60) in the 12-digit form the database keeps,
 * from the ways people write it: 198403129821, 19840312-9821, 840312-9821, 840312+9821 (100 or older).
 * Returns null for anything that is not a real date with a correct check digit.
 */
export function normalizePersonalIdentityNumber(input: string, today: Date = new Date()): string | null {
  const match = /^(\d{2})?(\d{6})([-+]?)(\d{4})$/.exec(input.trim().replace(/\s/g, ''));
  if (!match) return null;
  const [, century, yymmdd, separator, last4] = match as unknown as [
    string,
    string | undefined,
    string,
    string,
    string,
  ];
  const yy = Number(yymmdd.slice(0, 2));
  let year: number;
  if (century) {
    year = Number(century) * 100 + yy;
  } else {
    const thisYear = today.getFullYear();
    year = thisYear - ((((thisYear - yy) % 100) + 100) % 100);
    if (separator === '+') year -= 100;
  }
  const month = Number(yymmdd.slice(2, 4));
  const rawDay = Number(yymmdd.slice(4, 6));
  const day = rawDay > 60 ? rawDay - 60 : rawDay;
  const date = new Date(Date.UTC(year, month - 1, day));
  const realDate =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  if (!realDate || date.getTime() > today.getTime()) return null;
  const tenDigits = `${yymmdd}${last4}`;
  if (luhnCheckDigit(tenDigits.slice(0, 9)) !== Number(tenDigits[9])) return null;
  return `${String(year).padStart(4, '0')}${yymmdd.slice(2)}${last4}`;
}

/** The birth date in a 12-digit personnummer (the real day for a samordningsnummer). */
export function birthDateOf(personalIdentityNumber: string): Date {
  const year = Number(personalIdentityNumber.slice(0, 4));
  const month = Number(personalIdentityNumber.slice(4, 6));
  const day = Number(personalIdentityNumber.slice(6, 8));
  return new Date(Date.UTC(year, month - 1, day > 60 ? day - 60 : day));
}

export function ageOn(personalIdentityNumber: string, date: Date): number {
  const birth = birthDateOf(personalIdentityNumber);
  let age = date.getUTCFullYear() - birth.getUTCFullYear();
  const beforeBirthday =
    date.getUTCMonth() < birth.getUTCMonth() ||
    (date.getUTCMonth() === birth.getUTCMonth() && date.getUTCDate() < birth.getUTCDate());
  if (beforeBirthday) age -= 1;
  return age;
}

/** 19831012-1234 for 198310121234, with the last four hidden in lists: 19831012-****. */
export function maskPersonalIdentityNumber(personalIdentityNumber: string): string {
  return `${personalIdentityNumber.slice(0, 8)}-****`;
}

/** HSA-ids: a country code, an organisation number, a dash and a local part (SE2321000131-E000000000001). */
export const hsaIdSchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{2,6}\d{10}-[A-Z0-9]{1,20}$/, 'identifier.error.hsaId');
