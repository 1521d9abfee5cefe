import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVirtualCard, runCardCli } from '../../test-support/pcscd.js';
import { encodePin } from '../piv/pin.js';
import { issueTestCertificate, TestRig } from './test-rig.js';

const rig = new TestRig();
const serial = '9752111122223333444';
const secrets = { pin: '735142', puk: '86420975', managementKey: '5f4e3d2c1b0a99887766554433221100' };
const newPins = ['915372', '26481357'];
const wrongKey = {
  algorithm: 'AES128' as const,
  key: Buffer.from('00112233445566778899aabbccddeeff', 'hex'),
};

beforeAll(() => rig.start());
afterAll(() => rig.stop());

/** Every form a secret could leak in: as typed, as a PIN block in hex, and key bytes in hex or base64. */
function leakForms(): string[] {
  const pins = [secrets.pin, secrets.puk, ...newPins];
  const keys = [Buffer.from(secrets.managementKey, 'hex'), wrongKey.key];
  return [
    ...pins,
    ...pins.map((pin) => encodePin(pin).toString('hex')),
    ...pins.map((pin) => encodePin(pin).toString('base64')),
    ...keys.flatMap((key) => [
      key.toString('hex'),
      key.toString('hex').toUpperCase(),
      key.toString('base64'),
    ]),
  ];
}

describe('secrets in logs', () => {
  it('a full run at trace level logs no PIN, PUK or management key in any form', async () => {
    const agentLog = join(rig.stateDir, 'agent.log');
    const cardLog = join(rig.stateDir, 'card.log');
    const logger = pino({ level: 'trace' }, pino.destination({ dest: agentLog, sync: true }));
    const previousLevel = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'trace';
    const cliOutput: string[] = [];
    try {
      await createVirtualCard({ stateDir: rig.stateDir, serial, ...secrets });
      const card = await rig.insert({ serial, ...secrets, managementKey: wrongKey }, { logFile: cardLog });
      const piv = await rig.open(card.readerName, { logger });
      await piv.readCardSerial();
      await piv.verifyPin('000000').catch(() => {});
      await piv.verifyPin(secrets.pin);
      await piv.changePin(secrets.pin, newPins[0]!);
      for (let i = 0; i < 3; i++) await piv.verifyPin('000000').catch(() => {});
      await piv.unblockPin('00000000', newPins[1]!).catch(() => {});
      await piv.unblockPin(secrets.puk, newPins[1]!);
      await piv.verifyPin(newPins[1]!);
      await piv.authenticateManagementKey(wrongKey).catch(() => {});
      await piv.authenticateManagementKey({
        algorithm: 'AES128',
        key: Buffer.from(secrets.managementKey, 'hex'),
      });
      const publicKey = await piv.generateKey('9a', 'ECCP256');
      await piv.sign('9a', createHash('sha256').update('x').digest());
      await piv.putCertificate('9a', await issueTestCertificate(publicKey, serial));
      await piv.readCertificate('9a');
      await piv.close();
      cliOutput.push((await runCardCli(['show', '--serial', serial, '--state-dir', rig.stateDir])).output);
      cliOutput.push((await runCardCli(['lock', '--serial', serial, '--state-dir', rig.stateDir])).output);
      await card.remove();
    } finally {
      process.env.LOG_LEVEL = previousLevel;
    }
    const logs = [readFileSync(agentLog, 'utf8'), readFileSync(cardLog, 'utf8'), ...cliOutput].join('\n');
    expect(logs).toContain('"msg":"apdu"');
    expect(logs).toContain('PIN unblocked');
    expect(logs).toContain('card inserted');
    for (const form of leakForms())
      expect(logs, `log contains a secret (${form.length} chars)`).not.toContain(form);
  });
});
