import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const minimumKeyBytes = 32;

/**
 * The server master key that card secrets (and later CA keys at rest) are derived from. Production must
 * set SITHS_MASTER_KEY (base64, at least 32 bytes); development generates one into the data folder
 * once, so that cards created for the demo keep working across restarts.
 */
export function loadMasterKey(options: {
  env: Readonly<Record<string, string | undefined>>;
  production: boolean;
  devKeyFile: string;
}): Buffer {
  const fromEnv = options.env.SITHS_MASTER_KEY?.trim();
  if (fromEnv) {
    const key = Buffer.from(fromEnv, 'base64');
    if (key.length < minimumKeyBytes) {
      throw new Error(`SITHS_MASTER_KEY must be base64 of at least ${minimumKeyBytes} bytes`);
    }
    return key;
  }
  if (options.production) {
    throw new Error('SITHS_MASTER_KEY is required in production; generate one with: openssl rand -base64 32');
  }
  if (existsSync(options.devKeyFile))
    return Buffer.from(readFileSync(options.devKeyFile, 'utf8').trim(), 'base64');
  const key = randomBytes(minimumKeyBytes);
  mkdirSync(dirname(options.devKeyFile), { recursive: true });
  writeFileSync(options.devKeyFile, `${key.toString('base64')}\n`, { mode: 0o600 });
  return key;
}
