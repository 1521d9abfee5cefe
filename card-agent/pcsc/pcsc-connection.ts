import type { CardProtocol, CardTransport } from './card-transport.js';
import {
  CardCommunicationError,
  type CardError,
  CardRemovedError,
  NoCardError,
  PcscUnavailableError,
  ReaderBusyError,
  ReaderGoneError,
  ReaderNotFoundError,
} from './errors.js';
import {
  closePcscContext,
  isCardPresent,
  openPcscContext,
  PCSC,
  type PcscContext,
  type PcscReader,
  pcscReturnCode,
} from './pcsclite-binding.js';

export type ShareMode = 'exclusive' | 'shared';

export interface ConnectOptions {
  /**
   * pcsclite 1.0.1 has no SCardBeginTransaction, so 'exclusive' (the default) is how a session keeps
   * other programs from slipping APDUs between ours; 'shared' lets e.g. OpenSC use the card too.
   */
  shareMode?: ShareMode;
  /** How long to wait for pcscd to list the reader. */
  readerTimeoutMs?: number;
  /**
   * 'reset' (the default) resets the card on close, so a verified PIN does not outlive the session; 'leave'
   * is for a session that only read public objects and left no security state behind.
   */
  onClose?: 'reset' | 'leave';
}

const MAX_RESPONSE = 65_538;
const REMOVAL_SETTLE_MS = 1_500;

/** A card connection through pcscd. Transmission failures become CardRemoved/ReaderGone errors. */
export class PcscConnection implements CardTransport {
  private cardPresent = true;
  private readerGone = false;
  private closed = false;
  private lostWith: CardError | undefined;
  private presenceWaiters: Array<() => void> = [];

  private constructor(
    private readonly context: PcscContext,
    private readonly reader: PcscReader,
    private readonly protocolNumber: number,
    readonly atr: string,
    private readonly onClose: 'reset' | 'leave' = 'reset',
  ) {
    reader.on('status', ({ state }) => this.updatePresence(isCardPresent(reader, state)));
    reader.on('end', () => {
      this.readerGone = true;
      this.updatePresence(false);
    });
  }

  static async open(readerName: string, options: ConnectOptions = {}): Promise<PcscConnection> {
    const context = openPcscContext();
    try {
      const { reader, atr } = await waitForReaderStatus(
        context,
        readerName,
        options.readerTimeoutMs ?? 3_000,
      );
      const shareMode =
        options.shareMode === 'shared' ? reader.SCARD_SHARE_SHARED : reader.SCARD_SHARE_EXCLUSIVE;
      const protocol = await new Promise<number>((resolve, reject) => {
        reader.connect(
          { share_mode: shareMode, protocol: reader.SCARD_PROTOCOL_T0 | reader.SCARD_PROTOCOL_T1 },
          (err, chosen) => (err ? reject(connectError(err, readerName)) : resolve(chosen)),
        );
      });
      return new PcscConnection(context, reader, protocol, atr, options.onClose);
    } catch (error) {
      closePcscContext(context);
      throw error;
    }
  }

  get readerName(): string {
    return this.reader.name;
  }

  get protocol(): CardProtocol {
    return this.protocolNumber === this.reader.SCARD_PROTOCOL_T0 ? 'T0' : 'T1';
  }

  async transmit(command: Buffer): Promise<Buffer> {
    if (this.lostWith) throw this.lostWith;
    if (this.closed) throw new CardCommunicationError('the connection is closed');
    let response: Buffer;
    try {
      response = await new Promise<Buffer>((resolve, reject) => {
        this.reader.transmit(command, MAX_RESPONSE, this.protocolNumber, (err, data) =>
          err ? reject(err) : resolve(data),
        );
      });
    } catch (error) {
      throw await this.release(await this.transmitError(error as Error));
    }
    // vpcd (and some drivers) hand back an empty response when the card vanished mid-exchange.
    if (response.length < 2)
      throw await this.release(await this.lostCardError('the card sent no status word'));
    return response;
  }

  /** A connection to a card that is gone is dead: drop it so its exclusive hold cannot block the next card. */
  private async release(error: CardError): Promise<CardError> {
    if (error instanceof CardRemovedError || error instanceof ReaderGoneError) {
      this.lostWith = error;
      await this.close();
    }
    return error;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.reader.connected && !this.readerGone) {
      await new Promise<void>((resolve) =>
        this.reader.disconnect(
          this.onClose === 'leave' ? this.reader.SCARD_LEAVE_CARD : this.reader.SCARD_RESET_CARD,
          () => resolve(),
        ),
      );
    }
    closePcscContext(this.context);
  }

  private updatePresence(present: boolean): void {
    this.cardPresent = present;
    if (!present) for (const wake of this.presenceWaiters.splice(0)) wake();
  }

  private async transmitError(error: Error): Promise<CardError> {
    switch (pcscReturnCode(error)) {
      case PCSC.W_REMOVED_CARD:
      case PCSC.E_NO_SMARTCARD:
        return new CardRemovedError();
      case PCSC.E_READER_UNAVAILABLE:
      case PCSC.E_UNKNOWN_READER:
        return new ReaderGoneError();
      case PCSC.E_NO_SERVICE:
      case PCSC.E_SERVICE_STOPPED:
        return new PcscUnavailableError('the PC/SC service stopped');
      case PCSC.W_RESET_CARD:
        return new CardCommunicationError('the card was reset by another program');
      default:
        return this.lostCardError(error.message);
    }
  }

  /** A failure that may be a removal pcscd has not noticed yet: give it a moment to tell. */
  private async lostCardError(detail: string): Promise<CardError> {
    if (this.cardPresent) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, REMOVAL_SETTLE_MS);
        this.presenceWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (this.readerGone) return new ReaderGoneError();
    if (!this.cardPresent) return new CardRemovedError();
    return new CardCommunicationError(`card communication failed: ${detail}`);
  }
}

function waitForReaderStatus(
  context: PcscContext,
  readerName: string,
  timeoutMs: number,
): Promise<{ reader: PcscReader; atr: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new ReaderNotFoundError(readerName)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    context.on('error', (error) => fail(new PcscUnavailableError(error.message)));
    context.on('reader', (reader) => {
      reader.on('error', () => {});
      if (reader.name !== readerName) return;
      reader.on('status', ({ state, atr }) => {
        clearTimeout(timer);
        if (!isCardPresent(reader, state)) return reject(new NoCardError(readerName));
        resolve({ reader, atr: atr?.toString('hex') ?? '' });
      });
    });
  });
}

function connectError(error: Error, readerName: string): Error {
  switch (pcscReturnCode(error)) {
    case PCSC.E_SHARING_VIOLATION:
      return new ReaderBusyError(readerName);
    case PCSC.E_NO_SMARTCARD:
    case PCSC.W_REMOVED_CARD:
      return new NoCardError(readerName);
    case PCSC.E_READER_UNAVAILABLE:
    case PCSC.E_UNKNOWN_READER:
      return new ReaderGoneError();
    default:
      return new CardCommunicationError(`could not connect to the card: ${error.message}`);
  }
}
