import { and, eq, inArray, ne } from 'drizzle-orm';
import { type AuditWriter, recordAudit } from './audit';
import type { AppDatabase } from './connection';
import type { RevocationReason } from './revocation-reasons';
import { cards, eids, mobileDevices } from './schema';

export interface RevocationActor {
  userId: string;
  label: string;
}

export type RevocationRefusal = 'not_found' | 'not_revocable';

export type RevocationResult =
  | { ok: true; revokedAt: Date; certificateSerials: string[] }
  | { ok: false; error: RevocationRefusal };

/** Card states that still carry a usable card; revoked and expired cards stay as they are, and stock is withdrawn instead. */
const revocableCardStates = ['assigned', 'active', 'locked'] as const;

/**
 * Revokes a card and every active SITHS eID on it, in one transaction. Irreversible: a card that is already
 * revoked or expired is refused (and the refusal audited).
 */
export function revokeCard(
  db: AppDatabase,
  input: { cardId: string; reason: RevocationReason; actor: RevocationActor; now?: Date },
): RevocationResult {
  const revokedAt = input.now ?? new Date();
  return db.transaction((tx) => {
    const card = tx.select().from(cards).where(eq(cards.id, input.cardId)).get();
    const refused = (error: RevocationRefusal): RevocationResult => {
      auditRevocation(tx, input.actor, 'card_revoke', 'card', input.cardId, 'refused', card?.unitId, {
        reason: input.reason,
        refusal: error,
        cardSerial: card?.serial,
        cardState: card?.state,
        personId: card?.holderPersonId,
      });
      return { ok: false, error };
    };
    if (!card) return refused('not_found');
    const changed = tx
      .update(cards)
      .set({ state: 'revoked', updatedAt: revokedAt })
      .where(and(eq(cards.id, card.id), inArray(cards.state, [...revocableCardStates])))
      .run().changes;
    if (changed !== 1) return refused('not_revocable');
    const revoked = tx
      .update(eids)
      .set({ state: 'revoked', revokedAt, revocationReason: input.reason })
      .where(and(eq(eids.cardId, card.id), eq(eids.state, 'active')))
      .returning({ certificateSerial: eids.certificateSerial, issuingCa: eids.issuingCa })
      .all();
    const certificateSerials = revoked.map((eid) => eid.certificateSerial);
    auditRevocation(tx, input.actor, 'card_revoke', 'card', card.id, 'success', card.unitId, {
      reason: input.reason,
      personId: card.holderPersonId,
      cardSerial: card.serial,
      before: { state: card.state },
      after: { state: 'revoked' },
      certificates: revoked,
      revokedAt: revokedAt.toISOString(),
    });
    return { ok: true, revokedAt, certificateSerials };
  });
}

/**
 * Revokes one SITHS eID; the other eIDs on the same card stay valid. A Mobile SITHS device whose last active eID
 * this was is revoked with it, so it no longer counts among the person's active devices.
 */
export function revokeEid(
  db: AppDatabase,
  input: { eidId: string; reason: RevocationReason; actor: RevocationActor; now?: Date },
): RevocationResult {
  const revokedAt = input.now ?? new Date();
  return db.transaction((tx) => {
    const eid = tx.select().from(eids).where(eq(eids.id, input.eidId)).get();
    const card = eid?.cardId ? tx.select().from(cards).where(eq(cards.id, eid.cardId)).get() : undefined;
    const facts = {
      reason: input.reason,
      personId: eid?.personId,
      cardSerial: card?.serial,
      mobileDeviceId: eid?.mobileDeviceId,
      certificateSerial: eid?.certificateSerial,
      issuingCa: eid?.issuingCa,
    };
    const refused = (error: RevocationRefusal): RevocationResult => {
      auditRevocation(tx, input.actor, 'eid_revoke', 'eid', input.eidId, 'refused', card?.unitId, {
        ...facts,
        refusal: error,
        eidState: eid?.state,
      });
      return { ok: false, error };
    };
    if (!eid) return refused('not_found');
    if (eid.validTo.getTime() <= revokedAt.getTime()) return refused('not_revocable');
    const changed = tx
      .update(eids)
      .set({ state: 'revoked', revokedAt, revocationReason: input.reason })
      .where(and(eq(eids.id, eid.id), eq(eids.state, 'active')))
      .run().changes;
    if (changed !== 1) return refused('not_revocable');
    if (eid.mobileDeviceId) revokeDeviceWithoutActiveEids(tx, eid.mobileDeviceId, eid.id);
    auditRevocation(tx, input.actor, 'eid_revoke', 'eid', eid.id, 'success', card?.unitId, {
      ...facts,
      before: { state: eid.state },
      after: { state: 'revoked' },
      revokedAt: revokedAt.toISOString(),
    });
    return { ok: true, revokedAt, certificateSerials: [eid.certificateSerial] };
  });
}

type Transaction = Parameters<Parameters<AppDatabase['transaction']>[0]>[0];

function revokeDeviceWithoutActiveEids(tx: Transaction, mobileDeviceId: string, revokedEidId: string): void {
  const stillActive = tx
    .select({ id: eids.id })
    .from(eids)
    .where(and(eq(eids.mobileDeviceId, mobileDeviceId), eq(eids.state, 'active'), ne(eids.id, revokedEidId)))
    .get();
  if (!stillActive) {
    tx.update(mobileDevices).set({ state: 'revoked' }).where(eq(mobileDevices.id, mobileDeviceId)).run();
  }
}

function auditRevocation(
  writer: AuditWriter,
  actor: RevocationActor,
  action: 'card_revoke' | 'eid_revoke',
  objectType: 'card' | 'eid',
  objectId: string,
  outcome: 'success' | 'refused',
  unitId: string | undefined,
  detail: Record<string, unknown>,
): void {
  recordAudit(writer, {
    actorUserId: actor.userId,
    actorLabel: actor.label,
    action,
    objectType,
    objectId,
    unitId: unitId ?? null,
    outcome,
    detail,
  });
}
