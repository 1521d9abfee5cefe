import { createHash, verify, X509Certificate } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VirtualCardProcess } from '../../test-support/pcscd.js';
import {
  CardRemovedError,
  PinBlockedError,
  SecurityStatusNotSatisfiedError,
  WrongPinError,
} from '../pcsc/errors.js';
import { issueTestCertificate, type TestCard, TestRig } from '../virtual-card/test-rig.js';
import { InvalidPinFormatError } from './pin.js';
import { ManagementKeyRejectedError, PukBlockedError, WrongPukError } from './piv-errors.js';
import type { PivSession } from './piv-session.js';

const logger = pino({ level: 'silent' });
const rig = new TestRig();
let card: TestCard;
let inserted: VirtualCardProcess | undefined;
let session: PivSession | undefined;

beforeAll(() => rig.start());
afterAll(() => rig.stop());
afterEach(async () => {
  await session?.close();
  await inserted?.remove();
  session = undefined;
  inserted = undefined;
});

async function insertAndOpen(options: Parameters<TestRig['insert']>[1] = {}, extendedLength = false) {
  inserted = await rig.insert(card, options);
  session = await rig.open(inserted.readerName, { logger, extendedLength });
  return session;
}

async function reinsert(): Promise<PivSession> {
  await session?.close().catch(() => {});
  await inserted?.remove();
  return insertAndOpen();
}

const digestOf = (text: string) => createHash('sha256').update(text).digest();

describe('PivSession against the virtual card through pcscd', () => {
  it('reads the CHUID, the serial and kind, and finds no certificates on a new card', async () => {
    card = rig.createCard('AES128', 'reserve');
    const piv = await insertAndOpen();
    expect((await piv.readChuid()).serial).toBe(card.serial);
    expect(await piv.readCardSerial()).toEqual({ serial: card.serial, kind: 'reserve' });
    for (const slot of ['9a', '9c', '9e'] as const) expect(await piv.readCertificate(slot)).toBeUndefined();
  });

  it('verifies the right PIN, counts wrong ones down and restores the count on success', async () => {
    card = rig.createCard();
    const piv = await insertAndOpen();
    expect(await piv.pinTriesLeft()).toBe(3);
    await expect(piv.verifyPin('000000')).rejects.toMatchObject({ code: 'WRONG_PIN', triesLeft: 2 });
    await expect(piv.verifyPin('000000')).rejects.toMatchObject({ triesLeft: 1 });
    expect(await piv.pinTriesLeft()).toBe(1);
    await piv.verifyPin(card.pin);
    expect(await piv.pinTriesLeft()).toBe(3);
  });

  it('blocks the PIN after three wrong tries, then refuses even the right one with 6983', async () => {
    card = rig.createCard();
    const piv = await insertAndOpen();
    for (const left of [2, 1, 0])
      await expect(piv.verifyPin('000000')).rejects.toMatchObject({ triesLeft: left });
    await expect(piv.verifyPin(card.pin)).rejects.toBeInstanceOf(PinBlockedError);
    expect(await piv.pinTriesLeft()).toBe(0);
    expect(rig.state(card).pin.triesLeft).toBe(0);
  });

  it('unblocks a blocked PIN with the PUK and a new PIN', async () => {
    card = rig.createCard();
    const piv = await insertAndOpen();
    for (let i = 0; i < 3; i++) await piv.verifyPin('000000').catch(() => {});
    const wrongPuk = await piv.unblockPin('00000000', '654321').catch((error: unknown) => error);
    expect(wrongPuk).toBeInstanceOf(WrongPukError);
    expect(wrongPuk).toMatchObject({ code: 'WRONG_PUK', triesLeft: 9 });
    await piv.unblockPin(card.puk, '654321');
    expect(await piv.pinTriesLeft()).toBe(3);
    await expect(piv.verifyPin(card.pin)).rejects.toBeInstanceOf(WrongPinError);
    await piv.verifyPin('654321');
    expect(rig.state(card).puk.triesLeft).toBe(10);
  });

  it('blocks the PUK after ten wrong tries, after which the right PUK is refused too', async () => {
    card = rig.createCard();
    const piv = await insertAndOpen();
    for (let left = 9; left >= 0; left--) {
      await expect(piv.unblockPin('00000000', '654321')).rejects.toEqual(
        expect.objectContaining({ triesLeft: left }),
      );
    }
    await expect(piv.unblockPin(card.puk, '654321')).rejects.toBeInstanceOf(PukBlockedError);
    expect(rig.state(card).puk.triesLeft).toBe(0);
    await piv.verifyPin(card.pin);
  });

  it('changes the PIN only with the current one', async () => {
    card = rig.createCard();
    const piv = await insertAndOpen();
    await expect(piv.changePin('000000', '13572468')).rejects.toMatchObject({ triesLeft: 2 });
    await piv.changePin(card.pin, '13572468');
    await expect(piv.verifyPin(card.pin)).rejects.toBeInstanceOf(WrongPinError);
    await piv.verifyPin('13572468');
  });

  it('refuses malformed PINs and PUKs before any APDU is sent', async () => {
    card = rig.createCard();
    const piv = await insertAndOpen();
    const before = piv.apduStats.apdus;
    await expect(piv.verifyPin('12345')).rejects.toBeInstanceOf(InvalidPinFormatError);
    await expect(piv.verifyPin('123456789')).rejects.toBeInstanceOf(InvalidPinFormatError);
    await expect(piv.changePin(card.pin, '12ab56')).rejects.toBeInstanceOf(InvalidPinFormatError);
    await expect(piv.unblockPin('1234', '123456')).rejects.toBeInstanceOf(InvalidPinFormatError);
    expect(piv.apduStats.apdus).toBe(before);
    expect(await piv.pinTriesLeft()).toBe(3);
  });

  it('generates a P-256 key whose signatures verify; 9A needs the PIN, 9E does not', async () => {
    card = rig.createCard();
    const piv = await insertAndOpen();
    await expect(piv.generateKey('9a', 'ECCP256')).rejects.toBeInstanceOf(SecurityStatusNotSatisfiedError);
    await piv.authenticateManagementKey(card.managementKey);
    const authKey = await piv.generateKey('9a', 'ECCP256');
    const cardAuthKey = await piv.generateKey('9e', 'ECCP256');
    await expect(piv.sign('9a', digestOf('challenge'))).rejects.toBeInstanceOf(
      SecurityStatusNotSatisfiedError,
    );
    const cardAuthSignature = await piv.sign('9e', digestOf('card challenge'));
    expect(verify('sha256', Buffer.from('card challenge'), cardAuthKey, cardAuthSignature)).toBe(true);
    await piv.verifyPin(card.pin);
    const signature = await piv.sign('9a', digestOf('challenge'));
    expect(verify('sha256', Buffer.from('challenge'), authKey, signature)).toBe(true);
    expect(verify('sha256', Buffer.from('other'), authKey, signature)).toBe(false);
    expect(Object.keys(rig.state(card).keys).sort()).toEqual(['9a', '9e']);
  });

  it('generates an RSA 2048 key and signs PKCS#1 v1.5', async () => {
    card = rig.createCard('3DES');
    const piv = await insertAndOpen();
    await piv.authenticateManagementKey(card.managementKey);
    const publicKey = await piv.generateKey('9c', 'RSA2048');
    expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    await piv.verifyPin(card.pin);
    const signature = await piv.sign('9c', digestOf('document'));
    expect(verify('sha256', Buffer.from('document'), publicKey, signature)).toBe(true);
  });

  it('writes a certificate, reads it back, and still has it and the key after the card restarts', async () => {
    card = rig.createCard();
    let piv = await insertAndOpen();
    await piv.authenticateManagementKey(card.managementKey);
    const publicKey = await piv.generateKey('9a', 'ECCP256');
    const der = await issueTestCertificate(publicKey, card.serial);
    await piv.putCertificate('9a', der);
    expect(await piv.readCertificate('9a')).toEqual(der);
    piv = await reinsert();
    const stored = await piv.readCertificate('9a');
    expect(stored).toEqual(der);
    expect(new X509Certificate(stored!).subject).toContain(card.serial);
    await piv.verifyPin(card.pin);
    const signature = await piv.sign('9a', digestOf('after restart'));
    expect(verify('sha256', Buffer.from('after restart'), publicKey, signature)).toBe(true);
  });

  it('rejects a wrong management key and then still refuses writes', async () => {
    card = rig.createCard();
    const piv = await insertAndOpen();
    const wrong = { ...card.managementKey, key: Buffer.alloc(16, 0x11) };
    await expect(piv.authenticateManagementKey(wrong)).rejects.toBeInstanceOf(ManagementKeyRejectedError);
    await expect(piv.putCertificate('9a', Buffer.alloc(300, 1))).rejects.toBeInstanceOf(
      SecurityStatusNotSatisfiedError,
    );
    await expect(
      piv.authenticateManagementKey({ algorithm: '3DES', key: Buffer.alloc(24, 1) }),
    ).rejects.toMatchObject({
      code: 'WRONG_PARAMETERS',
    });
    await piv.authenticateManagementKey(card.managementKey);
  });

  it('uses extended-length APDUs when asked', async () => {
    card = rig.createCard();
    const piv = await insertAndOpen({}, true);
    await piv.authenticateManagementKey(card.managementKey);
    const before = piv.apduStats.apdus;
    await piv.putCertificate('9e', Buffer.alloc(1200, 9));
    expect(await piv.readCertificate('9e')).toEqual(Buffer.alloc(1200, 9));
    expect(piv.apduStats.apdus - before).toBe(2);
  });

  it('works with a T=0 card through GET RESPONSE', async () => {
    card = rig.createCard();
    const piv = await insertAndOpen({ protocol: 'T0' });
    expect((await piv.readCardSerial()).serial).toBe(card.serial);
    await piv.authenticateManagementKey(card.managementKey);
    const publicKey = await piv.generateKey('9a', 'ECCP256');
    await piv.putCertificate('9a', await issueTestCertificate(publicKey, card.serial));
    await piv.verifyPin(card.pin);
    const signature = await piv.sign('9a', digestOf('t0'));
    expect(verify('sha256', Buffer.from('t0'), publicKey, signature)).toBe(true);
  });
});

describe('a card removed in the middle of an operation', () => {
  it('gives CardRemovedError between two operations and leaves the PIN state as it was', async () => {
    card = rig.createCard();
    const piv = await insertAndOpen();
    await expect(piv.verifyPin('000000')).rejects.toMatchObject({ triesLeft: 2 });
    await inserted!.remove();
    await expect(piv.unblockPin(card.puk, '654321')).rejects.toBeInstanceOf(CardRemovedError);
    const again = await reinsert();
    expect(await again.pinTriesLeft()).toBe(2);
    expect(rig.state(card).puk.triesLeft).toBe(10);
    await again.verifyPin(card.pin);
  });

  it('gives CardRemovedError when the card vanishes right after SELECT, without counting the unanswered wrong PIN', async () => {
    card = rig.createCard();
    // SELECT is APDU 1; the card vanishes on the 2nd, a wrong-PIN VERIFY, without counting it.
    const piv = await insertAndOpen({ yankAfterApdus: 2 });
    await expect(piv.verifyPin('000000')).rejects.toBeInstanceOf(CardRemovedError);
    await inserted!.exited;
    expect(rig.state(card).pin.triesLeft).toBe(3);
  });

  it('gives CardRemovedError in the middle of a chained PUT DATA and keeps the old certificate', async () => {
    card = rig.createCard();
    let piv = await insertAndOpen();
    await piv.authenticateManagementKey(card.managementKey);
    await piv.putCertificate('9a', Buffer.alloc(100, 1));
    piv = await (async () => {
      await session?.close();
      await inserted?.remove();
      // SELECT 1, management key 2-3, then PUT DATA in chained parts 4, 5, 6: vanish on part 5.
      return insertAndOpen({ yankAfterApdus: 5 });
    })();
    await piv.authenticateManagementKey(card.managementKey);
    await expect(piv.putCertificate('9a', Buffer.alloc(700, 2))).rejects.toBeInstanceOf(CardRemovedError);
    await inserted!.exited;
    inserted = undefined;
    piv = await insertAndOpen();
    expect(await piv.readCertificate('9a')).toEqual(Buffer.alloc(100, 1));
  });
});
