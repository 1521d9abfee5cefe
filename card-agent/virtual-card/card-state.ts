import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CardKind, CardSerial } from '../piv/card-serial.js';
import type { ManagementKey } from '../piv/management-key.js';
import type { KeyAlgorithm, ManagementKeyAlgorithm, PivSlot } from '../piv/piv-constants.js';

/** A retry-counted secret, kept as a salted hash so the file does not show it at a glance. */
export interface ReferenceData {
  salt: string;
  hash: string;
  triesLeft: number;
  maxTries: number;
}

export interface StoredKey {
  algorithm: KeyAlgorithm;
  /** PKCS#8 DER, base64. Never leaves this file or the card process. */
  privateKey: string;
}

/** Everything a virtual card remembers; one JSON file per card, written only by the card's owner. */
export interface CardState {
  version: 1;
  serial: CardSerial;
  kind: CardKind;
  createdAt: string;
  pin: ReferenceData;
  puk: ReferenceData;
  managementKey: { algorithm: ManagementKeyAlgorithm; key: string };
  keys: Partial<Record<PivSlot, StoredKey>>;
  /** Data objects by hex tag (e.g. "5fc102"), base64 of the value inside tag 53. */
  objects: Record<string, string>;
}

export const PIN_MAX_TRIES = 3;
export const PUK_MAX_TRIES = 10;

export function newReferenceData(secret: string, maxTries: number): ReferenceData {
  const salt = randomBytes(16).toString('hex');
  return { salt, hash: hashSecret(salt, secret), triesLeft: maxTries, maxTries };
}

export function matchesReferenceData(reference: ReferenceData, secret: string): boolean {
  const candidate = Buffer.from(hashSecret(reference.salt, secret), 'hex');
  return timingSafeEqual(candidate, Buffer.from(reference.hash, 'hex'));
}

function hashSecret(salt: string, secret: string): string {
  return createHash('sha256').update(salt).update(secret).digest('hex');
}

export function managementKeyOf(state: CardState): ManagementKey {
  return { algorithm: state.managementKey.algorithm, key: Buffer.from(state.managementKey.key, 'hex') };
}

export function cardStatePath(stateDir: string, serial: CardSerial): string {
  return join(stateDir, `${serial}.json`);
}

export function cardExists(stateDir: string, serial: CardSerial): boolean {
  return existsSync(cardStatePath(stateDir, serial));
}

export function loadCardState(stateDir: string, serial: CardSerial): CardState {
  const path = cardStatePath(stateDir, serial);
  if (!existsSync(path)) throw new Error(`no virtual card ${serial} in ${stateDir}`);
  const state = JSON.parse(readFileSync(path, 'utf8')) as CardState;
  if (state.version !== 1 || state.serial !== serial)
    throw new Error(`${path} is not a virtual card state file`);
  return state;
}

/** Writes through a temporary file and rename, so a crash never leaves half a card. */
export function saveCardState(stateDir: string, state: CardState): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const path = cardStatePath(stateDir, state.serial);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}
