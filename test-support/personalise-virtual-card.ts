/**
 * "Manufacturing" for demo and test cards: what the card vendor and the CA do before a card reaches anyone,
 * done offline on the virtual card's state file (no pcscd needed, and the card must not be inserted). An
 * ordinary card, or an active reserve card, gets key pairs in 9A, 9C and 9E with certificates for its holder;
 * a reserve card not yet activated gets a key in 9D with a transport certificate. Each is registered as an
 * eID, so the server accepts them.
 */
import { X509Certificate } from 'node:crypto';
import type { PivSlot } from '../card-agent/piv/piv-constants';
import { SLOT_CERTIFICATE_OBJECT, TAG } from '../card-agent/piv/piv-constants';
import { encodeTlvs, findTlv } from '../card-agent/piv/tlv';
import { generateCardKey } from '../card-agent/virtual-card/card-keys';
import { type CardState, loadCardState, saveCardState } from '../card-agent/virtual-card/card-state';
import { objectKey } from '../card-agent/virtual-card/create-card';
import { type AppDatabase, openDatabase } from '../db/connection';
import {
  type CardForCertificates,
  findCardForCertificates,
  findEidByCertificate,
  registerCardEids,
  registerTransportEid,
} from '../db/eids';
import { createPki } from '../server/pki/create-pki';
import type { IssuingCaId, Pki } from '../server/pki/types';

export type Personalisation = 'personalised' | 'already_personalised';

type Plan = { kind: 'holder'; issuingCa: IssuingCaId; slot: '9a' } | { kind: 'transport'; slot: '9d' };

const holderCardStates = new Set(['active', 'locked']);
const transportCardStates = new Set(['in_stock', 'assigned']);

function planFor(card: CardForCertificates): Plan {
  if (card.holder && holderCardStates.has(card.state)) {
    return {
      kind: 'holder',
      issuingCa: card.trustLevel === 3 ? 'person-hsa-id-3' : 'person-hsa-id-2',
      slot: '9a',
    };
  }
  if (card.kind === 'reserve' && transportCardStates.has(card.state))
    return { kind: 'transport', slot: '9d' };
  throw new Error(`card ${card.serial} is ${card.state}: nothing to personalise`);
}

/** The value inside tag 53 of a PIV certificate object, as PivSession.putCertificate writes it. */
function certificateObject(der: Uint8Array): string {
  return encodeTlvs(
    [TAG.CERTIFICATE, der],
    [TAG.CERT_INFO, Buffer.from([0])],
    [TAG.ERROR_DETECTION, Buffer.alloc(0)],
  ).toString('base64');
}

function storedCertificate(state: CardState, slot: PivSlot): X509Certificate | undefined {
  const object = state.objects[objectKey(SLOT_CERTIFICATE_OBJECT[slot])];
  const der = object ? findTlv(Buffer.from(object, 'base64'), TAG.CERTIFICATE) : undefined;
  return der ? new X509Certificate(der) : undefined;
}

/** Personalised: the card holds the certificate and the database has it as an active eID. */
async function isPersonalised(db: AppDatabase, state: CardState, plan: Plan): Promise<boolean> {
  const certificate = storedCertificate(state, plan.slot);
  if (!certificate) return false;
  const issuingCa = plan.kind === 'holder' ? plan.issuingCa : 'card-transport';
  return (await findEidByCertificate(db, issuingCa, certificate.serialNumber))?.state === 'active';
}

function putKeyAndCertificate(
  state: CardState,
  slot: PivSlot,
  stored: CardState['keys'][PivSlot],
  der: Buffer,
) {
  state.keys[slot] = stored;
  state.objects[objectKey(SLOT_CERTIFICATE_OBJECT[slot])] = certificateObject(der);
}

async function personaliseForHolder(db: AppDatabase, pki: Pki, card: CardForCertificates, state: CardState) {
  const keys = {
    '9a': generateCardKey('ECCP256'),
    '9c': generateCardKey('ECCP256'),
    '9e': generateCardKey('ECCP256'),
  };
  const certificates = await pki.issueCardCertificates({
    holder: card.holder!,
    cardSerial: card.serial,
    trustLevel: card.trustLevel,
    keys: {
      authentication: keys['9a'].publicKey,
      signature: keys['9c'].publicKey,
      cardAuthentication: keys['9e'].publicKey,
    },
    validTo: card.validTo,
  });
  putKeyAndCertificate(state, '9a', keys['9a'].stored, certificates.authentication.der);
  putKeyAndCertificate(state, '9c', keys['9c'].stored, certificates.signature.der);
  putKeyAndCertificate(state, '9e', keys['9e'].stored, certificates.cardAuthentication.der);
  return async () =>
    await registerCardEids(db, {
      personId: card.holderPersonId!,
      cardId: card.id,
      trustLevel: card.trustLevel,
      certificates,
    });
}

async function personaliseForTransport(
  db: AppDatabase,
  pki: Pki,
  card: CardForCertificates,
  state: CardState,
) {
  const key = generateCardKey('ECCP256');
  const certificate = await pki.issueTransportCertificate({
    cardSerial: card.serial,
    publicKey: key.publicKey,
  });
  putKeyAndCertificate(state, '9d', key.stored, certificate.der);
  return async () => await registerTransportEid(db, { cardId: card.id, certificate });
}

/**
 * Personalises one virtual card of the database's register; a card that already is, is left alone. Earlier
 * eIDs of the card (the seed's, without certificates) are retired by the registration.
 */
export async function personaliseVirtualCard(options: {
  db: AppDatabase;
  pki: Pki;
  stateDir: string;
  serial: string;
}): Promise<Personalisation> {
  const { db, pki, stateDir, serial } = options;
  const card = await findCardForCertificates(db, serial);
  if (!card) throw new Error(`no card ${serial} in the database`);
  const plan = planFor(card);
  const state = loadCardState(stateDir, serial);
  if (await isPersonalised(db, state, plan)) return 'already_personalised';
  const register =
    plan.kind === 'holder'
      ? await personaliseForHolder(db, pki, card, state)
      : await personaliseForTransport(db, pki, card, state);
  // The card first: a registration without the card would be an eID nobody holds.
  saveCardState(stateDir, state);
  await register();
  return 'personalised';
}

/** For scripts and e2e set-up: opens the database and the PKI under the master key the server will use. */
export async function personaliseVirtualCards(options: {
  databasePath: string;
  masterKey: Buffer;
  stateDir: string;
  serials: readonly string[];
}): Promise<Record<string, Personalisation>> {
  const db = await openDatabase(options.databasePath);
  try {
    const pki = createPki({ db, masterKey: options.masterKey });
    const outcomes: Record<string, Personalisation> = {};
    for (const serial of options.serials) {
      outcomes[serial] = await personaliseVirtualCard({ db, pki, stateDir: options.stateDir, serial });
    }
    return outcomes;
  } finally {
    await db.close();
  }
}
