import { EventEmitter } from 'node:events';
import { isSafeLine } from '../../protocol/safe-text';
import { PcscUnavailableError } from './errors.js';
import { cardLogger, type Logger } from './logger.js';
import {
  closePcscContext,
  isCardPresent,
  openPcscContext,
  type PcscContext,
  type PcscReader,
} from './pcsclite-binding.js';

export interface ReaderState {
  name: string;
  cardPresent: boolean;
  /** Answer-to-reset of the present card, hex. */
  atr?: string;
}

export interface ReaderMonitorEvents {
  'reader-added': [state: ReaderState];
  'reader-removed': [state: ReaderState];
  'card-inserted': [state: ReaderState];
  'card-removed': [state: ReaderState];
  error: [error: Error];
  /** Connected to pcscd (again): whatever 'error' said no longer holds. */
  available: [];
}

export interface ReaderMonitorOptions {
  logger?: Logger;
  /** Delay before reconnecting to pcscd after it went away or was not running. */
  retryMs?: number;
}

/**
 * Watches PC/SC readers and cards. A reader appears with 'reader-added' (after its first status);
 * a card already in it then also yields 'card-inserted', so insertion is reported one way. When
 * pcscd stops, every reader is reported removed, 'error' is emitted (if anyone listens) and the
 * monitor reconnects every `retryMs` until pcscd is back.
 */
export class ReaderMonitor extends EventEmitter<ReaderMonitorEvents> {
  private readonly states = new Map<string, ReaderState>();
  private readonly log: Logger;
  private readonly retryMs: number;
  private context: PcscContext | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(options: ReaderMonitorOptions = {}) {
    super();
    this.log = (options.logger ?? cardLogger).child({ component: 'reader-monitor' });
    this.retryMs = options.retryMs ?? 1_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.retryTimer);
    this.releaseContext();
    this.states.clear();
  }

  readers(): ReaderState[] {
    return [...this.states.values()].map((state) => ({ ...state }));
  }

  private connect(): void {
    let context: PcscContext;
    try {
      context = openPcscContext();
    } catch (error) {
      this.report(error as Error);
      this.scheduleRetry();
      return;
    }
    this.context = context;
    this.emit('available');
    context.on('reader', (reader) => this.track(context, reader));
    context.on('error', (error) => this.serviceLost(context, error));
    this.log.info('watching PC/SC readers');
  }

  private track(context: PcscContext, reader: PcscReader): void {
    // A reader's name comes from its USB descriptor; the server refuses one that could disguise what support sees.
    if (!isSafeLine(reader.name) || reader.name.length > 200) {
      this.log.warn(
        { reader: reader.name },
        'reader left out: its name has control characters or is too long',
      );
      return;
    }
    const current = () => this.context === context;
    reader.on('error', (error) =>
      this.log.warn({ reader: reader.name, err: error.message }, 'reader status failed'),
    );
    reader.on('status', ({ state, atr }) => {
      if (current()) this.statusChanged(reader.name, isCardPresent(reader, state), atr);
    });
    reader.on('end', () => {
      if (current()) this.readerEnded(reader.name);
    });
  }

  private statusChanged(name: string, cardPresent: boolean, atr: Buffer | undefined): void {
    const previous = this.states.get(name);
    const state: ReaderState = {
      name,
      cardPresent,
      ...(cardPresent && atr?.length ? { atr: atr.toString('hex') } : {}),
    };
    this.states.set(name, state);
    if (!previous) {
      this.log.info({ reader: name, cardPresent }, 'reader added');
      this.emit('reader-added', { ...state });
      if (cardPresent) this.emit('card-inserted', { ...state });
      return;
    }
    if (cardPresent === previous.cardPresent) return;
    this.log.info({ reader: name }, cardPresent ? 'card inserted' : 'card removed');
    this.emit(cardPresent ? 'card-inserted' : 'card-removed', { ...state });
  }

  private readerEnded(name: string): void {
    const state = this.states.get(name);
    if (!state) return;
    this.states.delete(name);
    if (state.cardPresent) this.emit('card-removed', { name, cardPresent: false });
    this.log.info({ reader: name }, 'reader removed');
    this.emit('reader-removed', { name, cardPresent: false });
  }

  private serviceLost(context: PcscContext, error: Error): void {
    if (this.context !== context) return;
    this.report(new PcscUnavailableError(`lost the PC/SC service: ${error.message}`));
    for (const name of [...this.states.keys()]) this.readerEnded(name);
    this.releaseContext();
    this.scheduleRetry();
  }

  private releaseContext(): void {
    const context = this.context;
    this.context = undefined;
    if (context) closePcscContext(context);
  }

  private scheduleRetry(): void {
    if (!this.running) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.running) this.connect();
    }, this.retryMs);
  }

  private report(error: Error): void {
    this.log.warn({ err: error.message }, 'PC/SC unavailable, will retry');
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}
