import type { KeyObject } from 'node:crypto';
import { type CardError, CardRemovedError, ReaderGoneError } from '../pcsc/errors';
import type { Logger } from '../pcsc/logger';
import type { ReaderState } from '../pcsc/reader-monitor';
import type { ManagementKey } from '../piv/management-key';
import { openPivSession } from '../piv/open-piv-session';
import type { KeyAlgorithm, PivSlot } from '../piv/piv-constants';

/** What a job does with a card: the PivSession methods jobs use, so tests can stand in a fake card. */
export interface CardSession {
  readCardSerial(): Promise<{ serial: string }>;
  pinTriesLeft(): Promise<number>;
  verifyPin(pin: string): Promise<void>;
  /** The DER certificate in a slot, or undefined when the slot has none. */
  readCertificate(slot: PivSlot): Promise<Buffer | undefined>;
  /**
   * Signs a SHA-256 digest with the slot's key (9A, 9C, 9D after the PIN; 9E without): DER for ECDSA, PKCS#1
   * v1.5 for RSA. Given the key's algorithm, the card gets the GENERAL AUTHENTICATE alone (9C must follow its
   * VERIFY at once); without it, the slot's certificate is read first to learn it.
   */
  sign(slot: PivSlot, digest: Uint8Array, algorithm?: KeyAlgorithm): Promise<Buffer>;
  /** RESET RETRY COUNTER: a new PIN with the PUK. */
  unblockPin(puk: string, newPin: string): Promise<void>;
  authenticateManagementKey(managementKey: ManagementKey): Promise<void>;
  generateKey(slot: PivSlot, algorithm: KeyAlgorithm): Promise<KeyObject>;
  putCertificate(slot: PivSlot, der: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export type ReaderEventName = 'reader-added' | 'reader-removed' | 'card-inserted' | 'card-removed';

/** Where the agent learns about readers and cards: the ReaderMonitor, or a fake in tests. */
export interface ReaderSource {
  readers(): ReaderState[];
  on(event: ReaderEventName, listener: (state: ReaderState) => void): unknown;
  off(event: ReaderEventName, listener: (state: ReaderState) => void): unknown;
  start(): void;
  stop(): void;
}

/** The agent's readers and cards as jobs see them. */
export interface CardAccess {
  readers(): ReaderState[];
  /** `readOnly`: the session only reads public objects (the serial), so closing it need not reset the card. */
  openSession(readerName: string, options?: { readOnly?: boolean }): Promise<CardSession>;
  /** Calls `listener` once when the card leaves the reader or the reader goes; returns an unsubscribe. */
  onCardLost(readerName: string, listener: (error: CardError) => void): () => void;
}

/** Real cards: reader states from the ReaderMonitor, sessions through pcscd. */
export function pcscCardAccess(monitor: ReaderSource, logger: Logger): CardAccess {
  return {
    readers: () => monitor.readers(),
    openSession: (readerName, options) =>
      openPivSession(readerName, { logger, ...(options?.readOnly ? { onClose: 'leave' as const } : {}) }),
    onCardLost(readerName, listener) {
      let fired = false;
      const fire = (error: CardError) => (state: ReaderState) => {
        if (state.name !== readerName || fired) return;
        fired = true;
        listener(error);
      };
      const gone = fire(new ReaderGoneError());
      // A vanishing reader reports its card removed first, in the same turn: wait one turn to tell them apart.
      const removed = (state: ReaderState) => setImmediate(() => fire(new CardRemovedError())(state));
      monitor.on('card-removed', removed);
      monitor.on('reader-removed', gone);
      return () => {
        monitor.off('card-removed', removed);
        monitor.off('reader-removed', gone);
      };
    },
  };
}
