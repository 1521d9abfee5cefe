import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { CardProtocol } from '../pcsc/card-transport.js';
import type { Logger } from '../pcsc/logger.js';
import type { CardSerial } from '../piv/card-serial.js';
import { answerToReset } from './atr.js';
import { loadCardState, saveCardState } from './card-state.js';
import { PivApplet } from './piv-applet.js';
import { connectToVpcd, vpcdPort, vpcdReaderName } from './vpcd-link.js';

export interface InsertOptions {
  stateDir: string;
  serial: CardSerial;
  slot: number;
  protocol: CardProtocol;
  /** Test aid: drop the connection on receiving this many C-APDUs, as if the card were pulled. */
  yankAfterApdus?: number;
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

/**
 * Keeps the card in vpcd's reader slot until SIGTERM/SIGINT: connects (and reconnects while vpcd
 * is away), answers APDUs from the persisted state, and records its pid for `remove`.
 */
export function runInsertedCard(options: InsertOptions): Promise<void> {
  const { stateDir, serial, slot, protocol, logger } = options;
  if (readInsertedCard(stateDir, serial)) throw new Error(`card ${serial} is already inserted`);
  const applet = new PivApplet(
    loadCardState(stateDir, serial),
    (state) => saveCardState(stateDir, state),
    protocol,
  );
  const record: InsertedCardRecord = { pid: process.pid, slot, reader: vpcdReaderName(slot) };
  writeFileSync(pidFilePath(stateDir, serial), JSON.stringify(record));
  const log = logger.child({ serial, reader: record.reader });
  let apdus = 0;
  let socket: Socket | undefined;
  let stopping = false;

  return new Promise((resolve) => {
    const stop = (reason: string) => {
      if (stopping) return;
      stopping = true;
      socket?.destroy();
      rmSync(pidFilePath(stateDir, serial), { force: true });
      log.info({ reason }, 'card removed');
      resolve();
    };
    const plugIn = () => {
      if (stopping) return;
      applet.reset();
      socket = connectToVpcd(vpcdPort(slot), {
        atr: () => answerToReset(protocol),
        powerChanged: () => applet.reset(),
        apdu: (command) => {
          apdus += 1;
          if (options.yankAfterApdus !== undefined && apdus >= options.yankAfterApdus) {
            stop('yanked');
            return undefined;
          }
          return applet.process(command);
        },
      });
      socket.on('connect', () => log.info({ protocol }, 'card inserted'));
      socket.on('error', (error) => log.debug({ err: error.message }, 'vpcd not reachable'));
      socket.on('close', () => {
        if (!stopping) setTimeout(plugIn, RECONNECT_MS);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    plugIn();
  });
}
