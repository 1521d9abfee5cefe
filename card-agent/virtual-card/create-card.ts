import { type CardKind, type CardSerial, encodeCardInfo, isCardSerial } from '../piv/card-serial.js';
import { encodeChuid } from '../piv/chuid.js';
import { assertManagementKey, type ManagementKey } from '../piv/management-key.js';
import { isValidPin } from '../piv/pin.js';
import { OBJECT } from '../piv/piv-constants.js';
import { type CardState, newReferenceData, PIN_MAX_TRIES, PUK_MAX_TRIES } from './card-state.js';

export interface NewCard {
  serial: CardSerial;
  kind: CardKind;
  pin: string;
  puk: string;
  managementKey: ManagementKey;
  /** CHUID expiration, YYYYMMDD; five years from now when left out. */
  expiration?: string;
}

export function objectKey(tag: number): string {
  return tag.toString(16).padStart(6, '0');
}

/** A fresh card: CHUID and card-info objects, PIN and PUK with full tries, no keys yet. */
export function createCardState(card: NewCard): CardState {
  if (!isCardSerial(card.serial)) throw new Error('the serial must be 19 digits');
  if (!isValidPin(card.pin)) throw new Error('the PIN must be 6 to 8 digits');
  if (!isValidPin(card.puk)) throw new Error('the PUK must be 6 to 8 digits');
  assertManagementKey(card.managementKey);
  const expiration = card.expiration ?? defaultExpiration();
  return {
    version: 1,
    serial: card.serial,
    kind: card.kind,
    createdAt: new Date().toISOString(),
    pin: newReferenceData(card.pin, PIN_MAX_TRIES),
    puk: newReferenceData(card.puk, PUK_MAX_TRIES),
    managementKey: { algorithm: card.managementKey.algorithm, key: card.managementKey.key.toString('hex') },
    keys: {},
    objects: {
      [objectKey(OBJECT.CHUID)]: encodeChuid(card.serial, expiration).toString('base64'),
      [objectKey(OBJECT.CARD_INFO)]: encodeCardInfo(card.serial, card.kind).toString('base64'),
    },
  };
}

function defaultExpiration(): string {
  const date = new Date();
  date.setUTCFullYear(date.getUTCFullYear() + 5);
  return date.toISOString().slice(0, 10).replaceAll('-', '');
}
