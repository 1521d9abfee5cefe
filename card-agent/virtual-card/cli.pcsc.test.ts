import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVirtualCard, runCardCli, waitForCard } from '../../test-support/pcscd.js';
import { cardStatePath } from './card-state.js';
import { TestRig } from './test-rig.js';

const logger = pino({ level: 'silent' });
const rig = new TestRig();
const secrets = { pin: '482915', puk: '73920184', managementKey: '0f1e2d3c4b5a69788796a5b4c3d2e1f0' };

beforeAll(() => rig.start());
afterAll(() => rig.stop());

const cli = (...args: string[]) => runCardCli([...args, '--state-dir', rig.stateDir]);
const show = async (serial: string) => JSON.parse((await cli('show', '--serial', serial)).output);

describe('virtual card CLI', () => {
  it('documents every command and flag in --help', async () => {
    const { code, output } = await runCardCli(['--help']);
    expect(code).toBe(0);
    for (const word of [
      'create',
      'insert',
      'remove',
      'show',
      'lock',
      '--state-dir',
      '--slot',
      '--kind',
      '--protocol',
    ]) {
      expect(output).toContain(word);
    }
  });

  it('creates a card from secrets in its environment and shows it without them', async () => {
    const serial = '9752000000000000011';
    await createVirtualCard({ stateDir: rig.stateDir, serial, kind: 'reserve', ...secrets });
    const shown = await show(serial);
    expect(shown).toMatchObject({
      serial,
      kind: 'reserve',
      pinTriesLeft: 3,
      pukTriesLeft: 10,
      inserted: null,
    });
    const text = JSON.stringify(shown);
    for (const secret of Object.values(secrets)) expect(text).not.toContain(secret);
    expect(readFileSync(cardStatePath(rig.stateDir, serial), 'utf8')).not.toContain(secrets.pin);
  });

  it('refuses bad input and an existing serial without --force', async () => {
    expect((await cli('create', '--serial', '123')).code).toBe(2);
    const env = { VCARD_PIN: '12', VCARD_PUK: secrets.puk, VCARD_MANAGEMENT_KEY: secrets.managementKey };
    expect(
      (await runCardCli(['create', '--serial', '9752000000000000012', '--state-dir', rig.stateDir], env))
        .code,
    ).not.toBe(0);
    await createVirtualCard({ stateDir: rig.stateDir, serial: '9752000000000000013', ...secrets });
    await expect(
      createVirtualCard({ stateDir: rig.stateDir, serial: '9752000000000000013', ...secrets }),
    ).rejects.toThrow(/exists/);
  });

  it('locks a card on the shelf by its file', async () => {
    const serial = '9752000000000000014';
    await createVirtualCard({ stateDir: rig.stateDir, serial, ...secrets });
    expect((await cli('lock', '--serial', serial)).code).toBe(0);
    expect(await show(serial)).toMatchObject({ pinTriesLeft: 0, pinBlocked: true });
  });

  it('locks an inserted card with three wrong PINs through pcscd, and remove pulls it out', async () => {
    const card = rig.createCard();
    const process = await rig.insert(card, { slot: 1 });
    expect((await show(card.serial)).inserted).toEqual({ reader: process.readerName, pid: process.pid });
    expect((await cli('lock', '--serial', card.serial)).code).toBe(0);
    const session = await rig.open(process.readerName, { logger });
    expect(await session.pinTriesLeft()).toBe(0);
    await session.close();
    expect((await cli('remove', '--serial', card.serial)).code).toBe(0);
    expect(await process.exited).toBe(0);
    expect((await show(card.serial)).inserted).toBeNull();
  });

  it('loses power at the APDU --fault names: it took effect, its answer is lost, the card is back reset', async () => {
    const card = rig.createCard();
    const inserted = await rig.insert(card, { slot: 1, fault: 'power@2:1000' });
    const first = await rig.open(inserted.readerName, { logger });
    const wrong = card.pin === '000000' ? '111111' : '000000';
    await expect(first.verifyPin(wrong)).rejects.toThrow();
    await first.close().catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await waitForCard(inserted.readerName, true);
    const again = await rig.open(inserted.readerName, { logger });
    expect(await again.pinTriesLeft()).toBe(2);
    await again.close();
    await inserted.remove();
    expect((await show(card.serial)).pinTriesLeft).toBe(2);
  });
});
