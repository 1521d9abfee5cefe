import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * The user's Mobile SITHS code ("legitimeringskod"): 6-8 digits, like a card PIN. Only an scrypt hash is kept
 * (`mobile_devices.code_hash`), in the same `scrypt$N$r$p$salt$hash` form as passwords.
 */
export const deviceCodePattern = /^\d{6,8}$/;

/** Wrong codes in a row after which the device is locked (see signMobileAuthOrder). */
export const maxWrongDeviceCodes = 5;

const params = { N: 2 ** 15, r: 8, p: 1 } as const;
const maxmem = 64 * 1024 * 1024;
const keyLength = 32;

function derive(code: string, salt: Buffer, options: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(code, salt, keyLength, { ...options, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export async function hashDeviceCode(code: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(code, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

export async function verifyDeviceCode(code: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(code, Buffer.from(salt, 'base64url'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
