import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveCardSecrets } from './card-secrets';
import { loadMasterKey } from './master-key';

const masterKey = Buffer.alloc(32, 7);

describe('card secrets', () => {
  it('derives an 8-digit PUK and a 16-byte management key, the same every time', () => {
    const secrets = deriveCardSecrets(masterKey, '9752269885719985027');
    expect(secrets.puk).toMatch(/^\d{8}$/);
    expect(secrets.managementKey).toMatch(/^[0-9a-f]{32}$/);
    expect(deriveCardSecrets(masterKey, '9752269885719985027')).toEqual(secrets);
  });

  it('gives other cards and other master keys other secrets', () => {
    const one = deriveCardSecrets(masterKey, '9752269885719985027');
    const otherCard = deriveCardSecrets(masterKey, '9752316495727304824');
    const otherMaster = deriveCardSecrets(randomBytes(32), '9752269885719985027');
    expect(otherCard.puk).not.toBe(one.puk);
    expect(otherCard.managementKey).not.toBe(one.managementKey);
    expect(otherMaster.managementKey).not.toBe(one.managementKey);
  });

  it('refuses anything but a 19-digit serial', () => {
    expect(() => deriveCardSecrets(masterKey, '975226988571998502')).toThrow('19 digits');
    expect(() => deriveCardSecrets(masterKey, '97522698857199850x7')).toThrow('19 digits');
  });
});

describe('master key', () => {
  it('is required in production', () => {
    expect(() => loadMasterKey({ env: {}, production: true, devKeyFile: '/nonexistent/key' })).toThrow(
      'SITHS_MASTER_KEY is required',
    );
  });

  it('refuses a short key from the environment', () => {
    const env = { SITHS_MASTER_KEY: Buffer.alloc(16).toString('base64') };
    expect(() => loadMasterKey({ env, production: true, devKeyFile: '' })).toThrow('at least 32 bytes');
  });

  it('generates a development key once, readable only by its owner, and reuses it', () => {
    const devKeyFile = join(mkdtempSync(join(tmpdir(), 'master-key-')), 'master-key');
    const first = loadMasterKey({ env: {}, production: false, devKeyFile });
    expect(first).toHaveLength(32);
    expect(statSync(devKeyFile).mode & 0o777).toBe(0o600);
    expect(loadMasterKey({ env: {}, production: false, devKeyFile })).toEqual(first);
    expect(readFileSync(devKeyFile, 'utf8').trim()).toBe(first.toString('base64'));
  });
});
