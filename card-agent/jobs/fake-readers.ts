/** Readers and PIV cards in memory, for the agent's tests without pcscd. */
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { CardRemovedError, NoCardError, PinBlockedError, WrongPinError } from '../pcsc/errors';
import type { ReaderState } from '../pcsc/reader-monitor';
import { encodePin } from '../piv/pin';
import { type CardAccess, type CardSession, pcscCardAccess, type ReaderSource } from './card-access';

export interface FakeCard {
  serial: string;
  pin: string;
  triesLeft: number;
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
    const present = () => {
      if (this.slots.get(readerName) !== card) throw new CardRemovedError();
    };
    return {
      readCardSerial: async () => {
        present();
        return { serial: card.serial };
      },
      pinTriesLeft: async () => {
        present();
        return card.triesLeft;
      },
      verifyPin: async (pin) => {
        encodePin(pin);
        present();
        this.pinsTried.push(pin);
        if (card.triesLeft === 0) throw new PinBlockedError(0x6983);
        if (pin !== card.pin) throw new WrongPinError(--card.triesLeft, 0x63c0 + card.triesLeft);
        card.triesLeft = 3;
      },
      close: async () => {},
    };
  }

  private state(name: string): ReaderState {
    return this.readers().find((reader) => reader.name === name)!;
  }
}
