import { randomInt } from 'node:crypto';
import { PinBlockedError, WrongPinError } from '../pcsc/errors.js';
import type { Logger } from '../pcsc/logger.js';
import type { CardSerial } from '../piv/card-serial.js';
import { openPivSession } from '../piv/open-piv-session.js';
import { readInsertedCard } from './card-process.js';
import { loadCardState, matchesReferenceData, saveCardState } from './card-state.js';

/** A PIN that is surely not this card's, so the demo lock never unlocks by chance. */
function wrongPin(stateDir: string, serial: CardSerial): string {
  const { pin } = loadCardState(stateDir, serial);
  for (;;) {
    const candidate = String(randomInt(0, 100_000_000)).padStart(8, '0');
    if (!matchesReferenceData(pin, candidate)) return candidate;
  }
}

/**
 * Blocks the PIN as three wrong tries would. An inserted card gets real wrong VERIFYs through
 * pcscd (its process owns the state file); a card on the shelf has its counter set in the file.
 */
export async function lockCard(
  stateDir: string,
  serial: CardSerial,
  logger: Logger,
): Promise<'pcsc' | 'file'> {
  const inserted = readInsertedCard(stateDir, serial);
  if (!inserted) {
    const state = loadCardState(stateDir, serial);
    state.pin.triesLeft = 0;
    saveCardState(stateDir, state);
    return 'file';
  }
  const session = await openPivSession(inserted.reader, { logger });
  try {
    const pin = wrongPin(stateDir, serial);
    for (;;) {
      try {
        await session.verifyPin(pin);
      } catch (error) {
        if (error instanceof PinBlockedError) break;
        if (!(error instanceof WrongPinError)) throw error;
        if (error.triesLeft === 0) break;
      }
    }
  } finally {
    await session.close();
  }
  return 'pcsc';
}
