import { X509Certificate } from 'node:crypto';
import { SLOT_CERTIFICATE_OBJECT, SLOTS } from '../piv/piv-constants.js';
import { findTlv } from '../piv/tlv.js';
import type { CardState } from './card-state.js';
import { objectKey } from './create-card.js';

/** What `show` prints: the card's state without any secret (no PIN, PUK, key material). */
export function summarizeCard(state: CardState) {
  return {
    serial: state.serial,
    kind: state.kind,
    createdAt: state.createdAt,
    pinTriesLeft: state.pin.triesLeft,
    pinBlocked: state.pin.triesLeft === 0,
    pukTriesLeft: state.puk.triesLeft,
    pukBlocked: state.puk.triesLeft === 0,
    managementKeyAlgorithm: state.managementKey.algorithm,
    slots: Object.fromEntries(
      SLOTS.map((slot) => [
        slot,
        { key: state.keys[slot]?.algorithm ?? null, certificate: certificateSummary(state, slot) },
      ]),
    ),
    objects: Object.keys(state.objects).sort(),
  };
}

function certificateSummary(state: CardState, slot: (typeof SLOTS)[number]) {
  const stored = state.objects[objectKey(SLOT_CERTIFICATE_OBJECT[slot])];
  if (!stored) return null;
  try {
    const der = findTlv(Buffer.from(stored, 'base64'), 0x70);
    if (!der) return { unreadable: true };
    const certificate = new X509Certificate(der);
    return { subject: certificate.subject, issuer: certificate.issuer, validTo: certificate.validTo };
  } catch {
    return { unreadable: true };
  }
}
