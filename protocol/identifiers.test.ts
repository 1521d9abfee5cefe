import { describe, expect, it } from 'vitest';
import {
  ageOn,
  hsaIdSchema,
  luhnCheckDigit,
  maskPersonalIdentityNumber,
  normalizePersonalIdentityNumber,
} from './identifiers';

const today = new Date('2026-11-22T12:00:00Z');

describe('personnummer', () => {
  it('accepts the usual ways of writing one and keeps 12 digits', () => {
    for (const written of ['198403129821', '19840312-9821', '840312-9821', ' 8403129821 ']) {
      expect(normalizePersonalIdentityNumber(written, today)).toBe('198403129821');
    }
  });

  it('reads a plus sign as 100 years or older', () => {
    const centenarian = `191203${'12'}`;
    const body = `${centenarian.slice(2)}123`;
    const number = `${body}${luhnCheckDigit(body)}`;
    expect(normalizePersonalIdentityNumber(`${number.slice(0, 6)}+${number.slice(6)}`, today)).toBe(
      `19${number}`,
    );
  });

  it('refuses a wrong check digit, an impossible date, a future birth and other shapes', () => {
    expect(normalizePersonalIdentityNumber('198403129822', today)).toBe(null);
    expect(normalizePersonalIdentityNumber('198402309827', today)).toBe(null);
    expect(normalizePersonalIdentityNumber('209901019999', today)).toBe(null);
    expect(normalizePersonalIdentityNumber('1984-03-12', today)).toBe(null);
    expect(normalizePersonalIdentityNumber('TSTNMT2321000156-1001', today)).toBe(null);
  });

  it('accepts a samordningsnummer (day plus 60)', () => {
    const body = '840372123';
    expect(normalizePersonalIdentityNumber(`${body}${luhnCheckDigit(body)}`, today)).toBe(
      `19${body}${luhnCheckDigit(body)}`,
    );
  });

  it('computes age on a day, counting the birthday', () => {
    expect(ageOn('200811229876', today)).toBe(18);
    expect(ageOn('200811239875', today)).toBe(17);
  });

  it('masks the last four digits in lists', () => {
    expect(maskPersonalIdentityNumber('198403129821')).toBe('19840312-****');
  });
});

describe('HSA-id', () => {
  it('accepts person and unit HSA-ids, case-insensitively', () => {
    expect(hsaIdSchema.parse('tstnmt2321000156-1001')).toBe('TSTNMT2321000156-1001');
    expect(hsaIdSchema.parse('SE2321000131-E000000000001')).toBe('SE2321000131-E000000000001');
  });

  it('refuses what is not one', () => {
    expect(hsaIdSchema.safeParse('198403129821').success).toBe(false);
    expect(hsaIdSchema.safeParse('SE2321000131').success).toBe(false);
  });
});
