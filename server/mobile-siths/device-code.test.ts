import { describe, expect, it } from 'vitest';
import { deviceCodePattern, hashDeviceCode, verifyDeviceCode } from './device-code';

describe('Mobile SITHS code', () => {
  it('is kept as a salted scrypt hash that only the same code verifies', async () => {
    const stored = await hashDeviceCode('24681012');
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(stored).not.toContain('24681012');
    expect(await hashDeviceCode('24681012')).not.toBe(stored);
    expect(await verifyDeviceCode('24681012', stored)).toBe(true);
    expect(await verifyDeviceCode('24681013', stored)).toBe(false);
    expect(await verifyDeviceCode('24681012', 'plain')).toBe(false);
  });

  it('has 6-8 digits', () => {
    for (const code of ['123456', '1234567', '12345678']) expect(deviceCodePattern.test(code)).toBe(true);
    for (const code of ['12345', '123456789', '12345a', ' 123456'])
      expect(deviceCodePattern.test(code)).toBe(false);
  });
});
