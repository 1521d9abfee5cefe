import { createHash, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApduChannel } from '../pcsc/apdu-channel.js';
import type { CardProtocol, CardTransport } from '../pcsc/card-transport.js';
import { PinBlockedError, SecurityStatusNotSatisfiedError, WrongPinError } from '../pcsc/errors.js';
import { PivSession } from '../piv/piv-session.js';
import { answerToReset } from './atr.js';
import type { CardState } from './card-state.js';
import { createCardState } from './create-card.js';
import { PivApplet } from './piv-applet.js';

const managementKey = { algorithm: 'AES128' as const, key: Buffer.alloc(16, 0x42) };
const silentLogger = (await import('pino')).pino({ level: 'silent' });

/** The applet in-process, so APDU-level rules are tested without pcscd. */
class AppletTransport implements CardTransport {
  readonly readerName = 'in-process';
  readonly atr: string;
  readonly sent: Buffer[] = [];
  constructor(
    readonly applet: PivApplet,
    readonly protocol: CardProtocol,
  ) {
    this.atr = answerToReset(protocol).toString('hex');
  }
  async transmit(command: Buffer): Promise<Buffer> {
    this.sent.push(command);
    return this.applet.process(command);
  }
  async close(): Promise<void> {}
}

async function session(protocol: CardProtocol, extendedLength = false) {
  const saved: CardState[] = [];
  const state = createCardState({
    serial: '1000000000000000001',
    kind: 'reserve',
    pin: '123456',
    puk: '12345678',
    managementKey,
  });
  const transport = new AppletTransport(
    new PivApplet(state, (s) => saved.push(structuredClone(s)), protocol),
    protocol,
  );
  const piv = await PivSession.open(
    new ApduChannel(transport, { extendedLength, logger: silentLogger }),
    silentLogger,
  );
  return { piv, transport, saved };
}

describe('virtual PIV applet at the APDU level', () => {
  it('builds a T=1 ATR with a correct TCK and a T=0 ATR without one', () => {
    const t1 = answerToReset('T1');
    expect(t1.subarray(0, 4).toString('hex')).toBe('3b8a8001');
    expect(t1.subarray(1).reduce((check, byte) => check ^ byte, 0)).toBe(0);
    expect(answerToReset('T0').subarray(0, 2).toString('hex')).toBe('3b0a');
  });

  for (const protocol of ['T1', 'T0'] as const) {
    it(`under ${protocol} reads long objects through 61xx/GET RESPONSE and writes them through chaining`, async () => {
      const { piv, transport } = await session(protocol);
      await piv.authenticateManagementKey(managementKey);
      const certificate = Buffer.alloc(1500, 0x5a);
      await piv.putCertificate('9a', certificate);
      expect(await piv.readCertificate('9a')).toEqual(certificate);
      expect(transport.sent.filter((apdu) => apdu[0] === 0x10).length).toBeGreaterThanOrEqual(5);
      expect(transport.sent.filter((apdu) => apdu[1] === 0xc0).length).toBeGreaterThanOrEqual(5);
      if (protocol === 'T0') {
        const caseFour = transport.sent.filter((apdu) => apdu[1] === 0xcb);
        expect(caseFour.every((apdu) => apdu.length === 5 + apdu[4]!)).toBe(true);
      }
    });
  }

  it('sends one extended APDU each way when extended length is enabled', async () => {
    const { piv, transport } = await session('T1', true);
    await piv.authenticateManagementKey(managementKey);
    const before = transport.sent.length;
    await piv.putCertificate('9c', Buffer.alloc(1500, 1));
    expect(await piv.readCertificate('9c')).toEqual(Buffer.alloc(1500, 1));
    expect(transport.sent.length - before).toBe(2);
  });

  it('counts PIN tries, blocks at zero and persists each count before answering', async () => {
    const { piv, saved } = await session('T1');
    await expect(piv.verifyPin('111111')).rejects.toMatchObject({ triesLeft: 2 });
    expect(saved.at(-1)?.pin.triesLeft).toBe(2);
    await expect(piv.verifyPin('111111')).rejects.toBeInstanceOf(WrongPinError);
    await expect(piv.verifyPin('111111')).rejects.toMatchObject({ triesLeft: 0 });
    await expect(piv.verifyPin('123456')).rejects.toBeInstanceOf(PinBlockedError);
    expect(await piv.pinTriesLeft()).toBe(0);
  });

  it('asks for the PIN again before every signature with slot 9C', async () => {
    const { piv } = await session('T1');
    await piv.authenticateManagementKey(managementKey);
    const publicKey = await piv.generateKey('9c', 'ECCP256');
    await piv.verifyPin('123456');
    const digest = createHash('sha256').update('first').digest();
    const signature = await piv.sign('9c', digest);
    expect(verify('sha256', Buffer.from('first'), publicKey, signature)).toBe(true);
    await expect(piv.sign('9c', digest)).rejects.toBeInstanceOf(SecurityStatusNotSatisfiedError);
  });

  it('answers 6D00 to unknown instructions and 6A82 to other applications', async () => {
    const { transport } = await session('T1');
    expect(transport.applet.process(Buffer.from('00fd000000', 'hex')).toString('hex')).toBe('6d00');
    expect(transport.applet.process(Buffer.from('00a4040005a000000527', 'hex')).toString('hex')).toBe('6a82');
  });
});
