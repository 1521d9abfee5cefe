import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { encodeResponseApdu } from '../pcsc/apdu.js';
import type { CardProtocol } from '../pcsc/card-transport.js';
import type { Logger } from '../pcsc/logger.js';
import type { CardSerial } from '../piv/card-serial.js';
import { answerToReset } from './atr.js';
import { type CardFault, describeCardFault, FaultInjector } from './card-faults.js';
import { type CardState, loadCardState, saveCardState } from './card-state.js';
import { PivApplet } from './piv-applet.js';
import { connectToVpcd, vpcdPort, vpcdReaderName } from './vpcd-link.js';

export interface InsertOptions {
  stateDir: string;
  serial: CardSerial;
  slot: number;
  protocol: CardProtocol;
  /** Test aid: drop the connection on receiving this many C-APDUs, as if the card were pulled. */
  yankAfterApdus?: number;
  /** Test aid: a fault armed from the first APDU (see card-faults.ts). */
  fault?: CardFault;
  logger: Logger;
}

export interface InsertedCardRecord {
  pid: number;
  slot: number;
  reader: string;
}

const RECONNECT_MS = 500;

export const pidFilePath = (stateDir: string, serial: CardSerial) => join(stateDir, `${serial}.pid`);

export function readInsertedCard(stateDir: string, serial: CardSerial): InsertedCardRecord | undefined {
  const path = pidFilePath(stateDir, serial);
  if (!existsSync(path)) return undefined;
  const record = JSON.parse(readFileSync(path, 'utf8')) as InsertedCardRecord;
  try {
    process.kill(record.pid, 0);
    return record;
  } catch {
    rmSync(path, { force: true });
    return undefined;
  }
}

export interface CardInReaderOptions {
  stateDir: string;
  serial: CardSerial;
  slot: number;
  protocol: CardProtocol;
  logger: Logger;
  yankAfterApdus?: number;
  fault?: CardFault;
  /** The card left for good (a yank, or a drop fault without a way back). */
  onGone?: (reason: string) => void;
}

/**
 * The card in vpcd's reader slot: one TCP connection per insertion (reconnecting while vpcd is away),
 * answering APDUs from the persisted state, with the test faults of card-faults.ts. Every state change
 * is saved before the answer goes out, so an APDU either took effect or did not.
 */
export class CardInReader {
  readonly applet: PivApplet;
  readonly faults: FaultInjector;
  private socket: Socket | undefined;
  private away: NodeJS.Timeout | undefined;
  private inserted = false;
  private stopped = false;
  private yankCount = 0;
  private readonly log: Logger;

  constructor(private readonly options: CardInReaderOptions) {
    const { stateDir, serial, protocol } = options;
    this.applet = new PivApplet(
      loadCardState(stateDir, serial),
      (state) => saveCardState(stateDir, state),
      protocol,
    );
    this.faults = new FaultInjector(options.fault);
    this.log = options.logger.child({ serial, reader: vpcdReaderName(options.slot) });
  }

  get readerName(): string {
    return vpcdReaderName(this.options.slot);
  }

  get isInserted(): boolean {
    return this.inserted;
  }

  /** Tests: put the card back to a saved state (file and memory), as a fresh card from the shelf. */
  restore(state: CardState): void {
    this.applet.replaceState(structuredClone(state));
    saveCardState(this.options.stateDir, this.applet.state);
  }

  insert(): void {
    if (this.stopped || this.inserted) return;
    clearTimeout(this.away);
    this.inserted = true;
    this.applet.reset();
    const socket = connectToVpcd(vpcdPort(this.options.slot), {
      atr: () => answerToReset(this.options.protocol),
      powerChanged: () => this.applet.reset(),
      apdu: (command) => this.answer(socket, command),
    });
    this.socket = socket;
    socket.on('connect', () => this.log.info({ protocol: this.options.protocol }, 'card inserted'));
    socket.on('error', (error) => this.log.debug({ err: error.message }, 'vpcd not reachable'));
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (!this.inserted || this.stopped) return;
      this.inserted = false;
      this.away = setTimeout(() => this.insert(), RECONNECT_MS);
    });
  }

  /** Pulls the card out of the reader; insert() puts it back (powered up afresh). */
  pull(): void {
    this.inserted = false;
    clearTimeout(this.away);
    this.socket?.destroy();
    this.socket = undefined;
    this.applet.reset();
  }

  stop(): void {
    this.stopped = true;
    this.pull();
  }

  private answer(socket: Socket, command: Buffer): Buffer | undefined {
    if (this.options.yankAfterApdus !== undefined && ++this.yankCount >= this.options.yankAfterApdus) {
      this.options.onGone?.('yanked');
      return undefined;
    }
    const action = this.faults.onApdu(command);
    if (action.do === 'execute') return this.applet.process(command);
    const fault = describeCardFault(this.faults.fired!);
    this.log.info({ fault }, 'card fault');
    if (action.do === 'answer') return encodeResponseApdu({ data: Buffer.alloc(0), sw: action.sw });
    if (action.execute) this.applet.process(command);
    if (this.socket === socket) this.pull();
    if (action.awayMs !== undefined) this.away = setTimeout(() => this.insert(), action.awayMs);
    else if (this.options.onGone) this.options.onGone('pulled by a fault');
    return undefined;
  }
}

/**
 * Keeps the card in vpcd's reader slot until SIGTERM/SIGINT: connects (and reconnects while vpcd
 * is away), answers APDUs from the persisted state, and records its pid for `remove`.
 */
export function runInsertedCard(options: InsertOptions): Promise<void> {
  const { stateDir, serial, slot, logger } = options;
  if (readInsertedCard(stateDir, serial)) throw new Error(`card ${serial} is already inserted`);
  const record: InsertedCardRecord = { pid: process.pid, slot, reader: vpcdReaderName(slot) };
  return new Promise((resolve) => {
    let card: CardInReader | undefined;
    const stop = (reason: string) => {
      if (!card) return;
      card.stop();
      card = undefined;
      rmSync(pidFilePath(stateDir, serial), { force: true });
      logger.child({ serial, reader: record.reader }).info({ reason }, 'card removed');
      resolve();
    };
    card = new CardInReader({ ...options, onGone: stop });
    writeFileSync(pidFilePath(stateDir, serial), JSON.stringify(record));
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    card.insert();
  });
}
