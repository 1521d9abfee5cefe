import { and, eq, inArray, ne } from 'drizzle-orm';
import type { RevocationReason } from '../protocol/domain-values';
import { type AuditWriter, recordAudit } from './audit';
import type { AppDatabase, AppTransaction } from './connection';
import { first, forUpdate } from './engine';
import { cards, eids, mobileDevices } from './schema';
import { type DecisionSignature, recordDecisionSignature } from './signed-decisions';

export interface RevocationActor {
  userId: string;
  label: string;
}

export type RevocationRefusal = 'not_found' | 'not_revocable' | 'signature_spent';

/** Thrown inside a revocation's transaction to undo it: its signature was spent by another decision. */
class SignatureSpent extends Error {}

/**
 * Runs a revocation; with a signature, the signature is recorded in the same transaction, and a signature
 * already spent undoes the revocation.
 */
async function withSignature(
  run: (recordSignature: (tx: AppTransaction) => Promise<void>) => Promise<RevocationResult>,
  signature: DecisionSignature | undefined,
): Promise<RevocationResult> {
  try {
    return await run(async (tx) => {
      if (signature && !(await recordDecisionSignature(tx, signature))) throw new SignatureSpent();
    });
  } catch (error) {
    if (error instanceof SignatureSpent) return { ok: false, error: 'signature_spent' };
    throw error;
  }
}

export type RevocationResult =
  | { ok: true; revokedAt: Date; certificateSerials: string[] }
  | { ok: false; error: RevocationRefusal };

/** Card states that still carry a usable card; revoked and expired cards stay as they are, and stock is withdrawn instead. */
const revocableCardStates = ['assigned', 'active', 'locked'] as const;

/**
 * Revokes a card and every active SITHS eID on it, in one transaction. Irreversible: a card that is already
 * revoked or expired is refused (and the refusal audited).
 */
export async function revokeCard(
  db: AppDatabase,
  input: {
    cardId: string;
    reason: RevocationReason;
    actor: RevocationActor;
    signature?: DecisionSignature;
    now?: Date;
  },
): Promise<RevocationResult> {
  const revokedAt = input.now ?? new Date();
  return withSignature(
    async (recordSignature) =>
      db.transaction(async (tx) => {
        const card = first(await tx.select().from(cards).where(eq(cards.id, input.cardId)).limit(1));
        const refused = async (error: RevocationRefusal): Promise<RevocationResult> => {
          await auditRevocation(
            tx,
            input.actor,
            'card_revoke',
            'card',
            input.cardId,
            'refused',
            card?.unitId,
            {
              reason: input.reason,
              refusal: error,
              cardSerial: card?.serial,
              cardState: card?.state,
              personId: card?.holderPersonId,
            },
          );
          return { ok: false, error };
        };
        if (!card) return await refused('not_found');
        const changed = await tx
          .update(cards)
          .set({ state: 'revoked', updatedAt: revokedAt })
          .where(and(eq(cards.id, card.id), inArray(cards.state, [...revocableCardStates])))
          .returning({ id: cards.id });
        if (changed.length !== 1) return await refused('not_revocable');
        const revoked = await tx
          .update(eids)
          .set({ state: 'revoked', revokedAt, revocationReason: input.reason })
          .where(and(eq(eids.cardId, card.id), eq(eids.state, 'active')))
          .returning({ certificateSerial: eids.certificateSerial, issuingCa: eids.issuingCa });
        const certificateSerials = revoked.map((eid) => eid.certificateSerial);
        await recordSignature(tx);
        await auditRevocation(tx, input.actor, 'card_revoke', 'card', card.id, 'success', card.unitId, {
          reason: input.reason,
          personId: card.holderPersonId,
          cardSerial: card.serial,
          before: { state: card.state },
          after: { state: 'revoked' },
          certificates: revoked,
          revokedAt: revokedAt.toISOString(),
        });
        return { ok: true, revokedAt, certificateSerials };
      }),
    input.signature,
  );
}

/**
 * Revokes one SITHS eID; the other eIDs on the same card stay valid. A Mobile SITHS device whose last active eID
 * this was is revoked with it, so it no longer counts among the person's active devices.
 */
export async function revokeEid(
  db: AppDatabase,
  input: {
    eidId: string;
    reason: RevocationReason;
    actor: RevocationActor;
    signature?: DecisionSignature;
    now?: Date;
  },
): Promise<RevocationResult> {
  const revokedAt = input.now ?? new Date();
  return withSignature(
    async (recordSignature) =>
      db.transaction(async (tx) => {
        const eid = first(await tx.select().from(eids).where(eq(eids.id, input.eidId)).limit(1));
        const card = eid?.cardId
          ? first(await tx.select().from(cards).where(eq(cards.id, eid.cardId)).limit(1))
          : undefined;
        const facts = {
          reason: input.reason,
          personId: eid?.personId,
          cardSerial: card?.serial,
          mobileDeviceId: eid?.mobileDeviceId,
          certificateSerial: eid?.certificateSerial,
          issuingCa: eid?.issuingCa,
        };
        const refused = async (error: RevocationRefusal): Promise<RevocationResult> => {
          await auditRevocation(tx, input.actor, 'eid_revoke', 'eid', input.eidId, 'refused', card?.unitId, {
            ...facts,
            refusal: error,
            eidState: eid?.state,
          });
          return { ok: false, error };
        };
        if (!eid) return await refused('not_found');
        if (eid.validTo.getTime() <= revokedAt.getTime()) return await refused('not_revocable');
        if (eid.mobileDeviceId) await lockDevice(tx, eid.mobileDeviceId);
        const changed = await tx
          .update(eids)
          .set({ state: 'revoked', revokedAt, revocationReason: input.reason })
          .where(and(eq(eids.id, eid.id), eq(eids.state, 'active')))
          .returning({ id: eids.id });
        if (changed.length !== 1) return await refused('not_revocable');
        if (eid.mobileDeviceId) await revokeDeviceWithoutActiveEids(tx, eid.mobileDeviceId, eid.id);
        await recordSignature(tx);
        await auditRevocation(tx, input.actor, 'eid_revoke', 'eid', eid.id, 'success', card?.unitId, {
          ...facts,
          before: { state: eid.state },
          after: { state: 'revoked' },
          revokedAt: revokedAt.toISOString(),
        });
        return { ok: true, revokedAt, certificateSerials: [eid.certificateSerial] };
      }),
    input.signature,
  );
}

/**
 * Two eIDs of one device revoked at the same time must not each see the other still active and leave the
 * device active: the device's row is locked before either eID changes, so they take turns on PostgreSQL too.
 */
async function lockDevice(tx: AppTransaction, mobileDeviceId: string): Promise<void> {
  await forUpdate(
    tx,
    tx.select({ id: mobileDevices.id }).from(mobileDevices).where(eq(mobileDevices.id, mobileDeviceId)),
  );
}

async function revokeDeviceWithoutActiveEids(
  tx: AppTransaction,
  mobileDeviceId: string,
  revokedEidId: string,
): Promise<void> {
  const stillActive = first(
    await tx
      .select({ id: eids.id })
      .from(eids)
      .where(
        and(eq(eids.mobileDeviceId, mobileDeviceId), eq(eids.state, 'active'), ne(eids.id, revokedEidId)),
      )
      .limit(1),
  );
  if (!stillActive) {
    await tx.update(mobileDevices).set({ state: 'revoked' }).where(eq(mobileDevices.id, mobileDeviceId));
  }
}

async function auditRevocation(
  writer: AuditWriter,
  actor: RevocationActor,
  action: 'card_revoke' | 'eid_revoke',
  objectType: 'card' | 'eid',
  objectId: string,
  outcome: 'success' | 'refused',
  unitId: string | undefined,
  detail: Record<string, unknown>,
): Promise<void> {
  await recordAudit(writer, {
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
