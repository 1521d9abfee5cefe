import { execFile } from 'node:child_process';
import { createHash, type KeyObject, verify } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VirtualCardProcess } from '../../test-support/pcscd.js';
import { issueTestCertificate, type TestCard, TestRig } from './test-rig.js';

const run = promisify(execFile);
const rig = new TestRig();
const PKCS11_MODULE = '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so';
let card: TestCard;
let inserted: VirtualCardProcess;
const publicKeys = new Map<string, KeyObject>();

/** OpenSC tools on reader 0 ("Virtual PCD 00 00"); their output is checked, never logged. */
const opensc = (tool: string, ...args: string[]) => run(tool, ['-r', '0', ...args], { timeout: 30_000 });

beforeAll(async () => {
  await rig.start();
  card = rig.createCard();
  inserted = await rig.insert(card, { slot: 0 });
  const session = await rig.open(inserted.readerName, { logger: pino({ level: 'silent' }) });
  await session.authenticateManagementKey(card.managementKey);
  for (const [slot, algorithm] of [
    ['9a', 'ECCP256'],
    ['9c', 'RSA2048'],
    ['9e', 'ECCP256'],
  ] as const) {
    const publicKey = await session.generateKey(slot, algorithm);
    publicKeys.set(slot, publicKey);
    await session.putCertificate(slot, await issueTestCertificate(publicKey, `${card.serial} ${slot}`));
  }
  await session.close();
});

afterAll(async () => {
  await inserted?.remove();
  await rig.stop();
});

describe('standard PIV middleware (OpenSC) reads the virtual card', () => {
  it('opensc-tool recognises a PIV card and its ATR', async () => {
    expect((await opensc('opensc-tool', '--name')).stdout).toContain('Personal Identity Verification Card');
    expect((await opensc('opensc-tool', '--atr')).stdout.trim()).toMatch(/^3b:8a:80:01/);
  });

  it('pkcs15-tool lists the three certificates and their on-card keys', async () => {
    const certificates = (await opensc('pkcs15-tool', '--list-certificates')).stdout;
    for (const name of ['PIV Authentication', 'Digital Signature', 'Card Authentication']) {
      expect(certificates).toContain(`Certificate for ${name}`);
    }
    const keys = (await opensc('pkcs15-tool', '--list-keys')).stdout;
    expect(keys).toContain('Private EC Key [PIV AUTH key]');
    expect(keys).toContain('ModLength      : 2048');
    expect(keys).toContain('neverExtract');
  });

  it('pkcs11-tool signs with the 9A key after the PIN, and the signature verifies', async (context) => {
    if (!existsSync(PKCS11_MODULE)) context.skip();
    const dir = rig.stateDir;
    const digest = createHash('sha256').update('opensc').digest();
    writeFileSync(join(dir, 'digest'), digest);
    await run('pkcs11-tool', [
      ...['--module', PKCS11_MODULE, '--slot-index', '0', '--login', '--pin', card.pin],
      ...['--sign', '--mechanism', 'ECDSA', '--id', '01', '--signature-format', 'openssl'],
      ...['-i', join(dir, 'digest'), '-o', join(dir, 'signature')],
    ]);
    const signature = readFileSync(join(dir, 'signature'));
    expect(verify('sha256', Buffer.from('opensc'), publicKeys.get('9a')!, signature)).toBe(true);
  });

  it('piv-tool authenticates with the management key and fails with a wrong one', async () => {
    const keyFile = join(rig.stateDir, 'management-key');
    const asPivTool = (key: Buffer) =>
      writeFileSync(keyFile, key.toString('hex').match(/../g)!.join(':'), { mode: 0o600 });
    const env = { ...process.env, PIV_EXT_AUTH_KEY: keyFile };
    asPivTool(card.managementKey.key);
    await run('piv-tool', ['-r', '0', '-A', 'M:9B:08'], { env, timeout: 30_000 });
    asPivTool(Buffer.alloc(16));
    await expect(run('piv-tool', ['-r', '0', '-A', 'M:9B:08'], { env, timeout: 30_000 })).rejects.toThrow();
  });
});
