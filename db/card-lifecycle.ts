import { and, eq, inArray } from 'drizzle-orm';
import { recordAudit } from './audit';
import type { AppDatabase } from './connection';
import {
  type CardEidCertificates,
  type CardForCertificates,
  registerCardEids,
  type TrustLevel,
} from './eids';
import { first } from './engine';
import { cards, orderEvents, orders } from './schema';

/** The SITHS eID order an activation of a reserve card fulfils. */
export interface ActivationOrder {
  id: string;
  personId: string;
  unitId: string;
  trustLevel: TrustLevel;
}

const reserveOrderTypes = ['reserve_card_loa2', 'reserve_card_loa3'] as const;

/** The ready reserve-card order a contact person tied to this card in the portal, if there is one. */
export async function findActivationOrder(
  db: AppDatabase,
  cardId: string,
): Promise<ActivationOrder | undefined> {
  const row = first(
    await db
      .select({ id: orders.id, personId: orders.personId, unitId: orders.unitId, type: orders.type })
      .from(orders)
      .where(
        and(
          eq(orders.cardId, cardId),
          eq(orders.state, 'ready'),
          inArray(orders.type, [...reserveOrderTypes]),
        ),
      )
      .limit(1),
  );
  if (!row) return undefined;
  return {
    id: row.id,
    personId: row.personId,
    unitId: row.unitId,
    trustLevel: row.type === 'reserve_card_loa3' ? 3 : 2,
  };
}

/**
 * Why a card cannot be activated as a reserve card now, or null. `not_in_portal` and `no_order` are both
 * Felkod 2006 for the user: the contact person has not activated the card for them, or there is no order.
 */
export type ActivationRefusal =
  | 'not_reserve_card'
  | 'already_active'
  | 'not_usable'
  | 'not_in_portal'
  | 'no_order';

export function activationRefusal(
  card: CardForCertificates,
  order: ActivationOrder | undefined,
): ActivationRefusal | null {
  if (card.kind !== 'reserve') return 'not_reserve_card';
  if (card.state === 'active' || card.state === 'locked') return 'already_active';
  if (card.state === 'revoked' || card.state === 'expired') return 'not_usable';
  if (card.state === 'in_stock') return 'not_in_portal';
  if (!order || order.personId !== card.holderPersonId) return 'no_order';
  return null;
}

/** Whether the activation that fulfils `orderId` has been recorded: the order fulfilled, its card active. */
export async function isActivationRecorded(
  db: AppDatabase,
  orderId: string,
  cardSerial: string,
): Promise<boolean> {
  const row = first(
    await db
      .select({ id: orders.id })
      .from(orders)
      .innerJoin(cards, eq(cards.serial, cardSerial))
      .where(and(eq(orders.id, orderId), eq(orders.state, 'fulfilled'), eq(cards.state, 'active')))
      .limit(1),
  );
  return row !== undefined;
}

/**
 * The end of a reserve card's activation, all or nothing: the new eIDs registered (the transport eID
 * retired), the card active for its holder, the order fulfilled with an event, and the audit record.
 * Refuses (false) when the card or the order changed since the activation began.
 */
export async function completeReserveActivation(
  db: AppDatabase,
  input: {
    cardId: string;
    orderId: string;
    personId: string;
    trustLevel: TrustLevel;
    certificates: CardEidCertificates;
    actorUserId: string | null;
    actorLabel: string;
    at: Date;
  },
): Promise<boolean> {
  try {
    return await completeInTransaction(db, input);
  } catch (error) {
    if (error instanceof NoLongerCurrent) return false;
    throw error;
  }
}

class NoLongerCurrent extends Error {}

async function completeInTransaction(
  db: AppDatabase,
  input: Parameters<typeof completeReserveActivation>[1],
): Promise<boolean> {
  return await db.transaction(async (tx) => {
    const cardChanged = await tx
      .update(cards)
      .set({ state: 'active', updatedAt: input.at })
      .where(
        and(
          eq(cards.id, input.cardId),
          eq(cards.state, 'assigned'),
          eq(cards.holderPersonId, input.personId),
        ),
      )
      .returning({ id: cards.id });
    if (cardChanged.length !== 1) throw new NoLongerCurrent();
    const orderChanged = await tx
      .update(orders)
      .set({ state: 'fulfilled', updatedAt: input.at })
      .where(and(eq(orders.id, input.orderId), eq(orders.state, 'ready'), eq(orders.cardId, input.cardId)))
      .returning({ id: orders.id });
    if (orderChanged.length !== 1) throw new NoLongerCurrent();
    await tx.insert(orderEvents).values({
      orderId: input.orderId,
      actorUserId: input.actorUserId,
      fromState: 'ready',
      toState: 'fulfilled',
      note: 'Reservkortet aktiverat av användaren',
      at: input.at,
    });
    await registerCardEids(tx, {
      personId: input.personId,
      cardId: input.cardId,
      trustLevel: input.trustLevel,
      certificates: input.certificates,
      at: input.at,
    });
    await recordAudit(tx, {
      actorUserId: input.actorUserId,
      actorLabel: input.actorLabel,
      action: 'reserve_card_activate',
      objectType: 'card',
      objectId: input.cardId,
      outcome: 'success',
      detail: { orderId: input.orderId },
    });
    return true;
  });
}

export async function findCardById(db: AppDatabase, cardId: string) {
  return first(
    await db
      .select({
        id: cards.id,
        serial: cards.serial,
        kind: cards.kind,
        state: cards.state,
        holderPersonId: cards.holderPersonId,
      })
      .from(cards)
      .where(eq(cards.id, cardId))
      .limit(1),
  );
}

/** A successful unlock: a locked card is active again. Returns whether it was locked. */
export async function markCardUnlocked(db: AppDatabase, cardId: string, at: Date): Promise<boolean> {
  const unlocked = await db
    .update(cards)
    .set({ state: 'active', updatedAt: at })
    .where(and(eq(cards.id, cardId), eq(cards.state, 'locked')))
    .returning({ id: cards.id });
  return unlocked.length === 1;
}

/** A job found the card's PIN blocked: the card shows as locked, with "Lås upp kort", in Mina sidor. */
export async function markCardLocked(db: AppDatabase, serial: string, at: Date): Promise<boolean> {
  const locked = await db
    .update(cards)
    .set({ state: 'locked', updatedAt: at })
    .where(and(eq(cards.serial, serial), eq(cards.state, 'active')))
    .returning({ id: cards.id });
  return locked.length === 1;
}
