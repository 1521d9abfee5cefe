/** Readers and PIV cards in memory, for the agent's tests without pcscd. */
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import {
  CardRemovedError,
  FileNotFoundError,
  NoCardError,
  PinBlockedError,
  SecurityStatusNotSatisfiedError,
  WrongPinError,
} from '../pcsc/errors';
import type { ReaderState } from '../pcsc/reader-monitor';
import type { ManagementKey } from '../piv/management-key';
import { encodePin } from '../piv/pin';
import type { KeyAlgorithm, PivSlot } from '../piv/piv-constants';
import { ManagementKeyRejectedError, PukBlockedError, WrongPukError } from '../piv/piv-errors';
import { pkcs1v15SignatureBlock } from '../piv/rsa-signature-block';
import { generateCardKey, privateOperation } from '../virtual-card/card-keys';
import type { StoredKey } from '../virtual-card/card-state';
import { issueTestCertificate } from '../virtual-card/test-certificates';
import { type CardAccess, type CardSession, pcscCardAccess, type ReaderSource } from './card-access';

export interface FakeCard {
  serial: string;
  pin: string;
  triesLeft: number;
  puk?: string;
  pukTriesLeft?: number;
  managementKey?: ManagementKey;
  keys?: Partial<Record<PivSlot, StoredKey>>;
  certificates?: Partial<Record<PivSlot, Buffer>>;
}

/** Gives a fake card a key (P-256 unless said) and a test certificate for it in `slot` (a transport key in 9D, say). */
export async function withSlotKey(
  card: FakeCard,
  slot: PivSlot,
  algorithm: KeyAlgorithm = 'ECCP256',
): Promise<FakeCard> {
  const { stored, publicKey } = generateCardKey(algorithm);
  card.keys = { ...card.keys, [slot]: stored };
  card.certificates = { ...card.certificates, [slot]: await issueTestCertificate(publicKey, card.serial) };
  return card;
}

export class FakeReaders
  extends EventEmitter<
    Record<'reader-added' | 'reader-removed' | 'card-inserted' | 'card-removed', [ReaderState]>
  >
  implements ReaderSource, CardAccess
{
  private readonly slots = new Map<string, FakeCard | undefined>();
  /** PINs that reached a card, to prove a code went there. */
  readonly pinsTried: string[] = [];
  /** Every card operation in order (`verifyPin`, `sign 9e`, ...), without data, to check what reached a card. */
  readonly operations: string[] = [];
  readonly onCardLost = pcscCardAccess(this, pino({ level: 'silent' })).onCardLost;

  readers(): ReaderState[] {
    return [...this.slots].map(([name, card]) => ({
      name,
      cardPresent: !!card,
      ...(card ? { atr: '3b8c80018025a0000003080000' } : {}),
    }));
  }

  start(): void {}
  stop(): void {}

  addReader(name: string, card?: FakeCard): void {
    this.slots.set(name, card);
    this.emit('reader-added', this.state(name));
    if (card) this.emit('card-inserted', this.state(name));
  }

  insert(name: string, card: FakeCard): void {
    this.slots.set(name, card);
    this.emit('card-inserted', this.state(name));
  }

  remove(name: string): void {
    this.slots.set(name, undefined);
    this.emit('card-removed', this.state(name));
  }

  async openSession(readerName: string): Promise<CardSession> {
    const card = this.slots.get(readerName);
    if (!card) throw new NoCardError(readerName);
    /** justVerified: the last operation was a good VERIFY, which 9C (PIN Always) needs right before it. */
    const security = { pinVerified: false, justVerified: false, managementKey: false };
    const use = (operation: string) => {
      if (this.slots.get(readerName) !== card) throw new CardRemovedError();
      this.operations.push(operation);
      security.justVerified = false;
    };
    const needManagementKey = () => {
      if (!security.managementKey) throw new SecurityStatusNotSatisfiedError(0x6982);
    };
    return {
      readCardSerial: async () => {
        use('readCardSerial');
        return { serial: card.serial };
      },
      pinTriesLeft: async () => {
        use('pinTriesLeft');
        return card.triesLeft;
      },
      verifyPin: async (pin) => {
        encodePin(pin);
        use('verifyPin');
        this.pinsTried.push(pin);
        if (card.triesLeft === 0) throw new PinBlockedError(0x6983);
        if (pin !== card.pin) throw new WrongPinError(--card.triesLeft, 0x63c0 + card.triesLeft);
        card.triesLeft = 3;
        security.pinVerified = true;
        security.justVerified = true;
      },
      readCertificate: async (slot) => {
        use(`readCertificate ${slot}`);
        return card.certificates?.[slot];
      },
      sign: async (slot, digest) => {
        const justVerified = security.justVerified;
        use(`sign ${slot}`);
        const key = card.keys?.[slot];
        if (!key) throw new FileNotFoundError(0x6a82);
        if (slot !== '9e' && !security.pinVerified) throw new SecurityStatusNotSatisfiedError(0x6982);
        if (slot === '9c' && !justVerified) throw new SecurityStatusNotSatisfiedError(0x6982);
        const input = key.algorithm === 'RSA2048' ? pkcs1v15SignatureBlock(digest, 256) : Buffer.from(digest);
        return privateOperation(key, input)!;
      },
      unblockPin: async (puk, newPin) => {
        encodePin(puk, 'PUK');
        encodePin(newPin, 'new PIN');
        use('unblockPin');
        const tries = card.pukTriesLeft ?? 10;
        if (tries === 0) throw new PukBlockedError();
        if (puk !== card.puk) {
          card.pukTriesLeft = tries - 1;
          throw new WrongPukError(tries - 1);
        }
        card.pin = newPin;
        card.triesLeft = 3;
      },
      authenticateManagementKey: async (managementKey) => {
        use('authenticateManagementKey');
        const expected = card.managementKey;
        if (expected?.algorithm !== managementKey.algorithm || !expected.key.equals(managementKey.key))
          throw new ManagementKeyRejectedError();
        security.managementKey = true;
      },
      generateKey: async (slot, algorithm) => {
        use(`generateKey ${slot}`);
        needManagementKey();
        const { stored, publicKey } = generateCardKey(algorithm);
        card.keys = { ...card.keys, [slot]: stored };
        return publicKey;
      },
      putCertificate: async (slot, der) => {
        use(`putCertificate ${slot}`);
        needManagementKey();
        card.certificates = { ...card.certificates, [slot]: Buffer.from(der) };
      },
      close: async () => {},
    };
  }

  private state(name: string): ReaderState {
    return this.readers().find((reader) => reader.name === name)!;
  }
}
