import { eq } from 'drizzle-orm';
import { recordAttempt } from './audit';
import type { Queryable } from './connection';
import { first } from './engine';
import type { IdentityViewer } from './protected-identity';
import { units } from './schema';
import type { UnitScope } from './unit-scope';

/**
 * What the reserve-card modules share: the actor, the refusals and how an attempt is audited. The stock
 * (reserve-card-stock.ts) and the assignment of a card to an order (reserve-card-assignment.ts) build on it.
 */

/** Who changes the stock: a contact person, with the units their contact-person role reaches. */
export interface ReserveCardActor {
  userId: string;
  label: string;
  scope: UnitScope;
  /** Whether the actor may see protected identities; absent, they may not. */
  viewer?: IdentityViewer;
}

export type ReserveCardRefusal =
  | 'serial_length'
  | 'serial_digits'
  | 'serial_check_digit'
  | 'duplicate_serial'
  | 'invalid_product_code'
  | 'invalid_trust_level'
  | 'invalid_threshold'
  | 'unknown_unit'
  | 'unknown_card'
  | 'unknown_order'
  | 'other_unit'
  | 'card_not_in_stock'
  | 'not_reserve_order'
  | 'order_not_ready'
  | 'order_has_card'
  | 'trust_level_mismatch';

export type ReserveCardOutcome<Success> =
  | ({ ok: true } & Success)
  | { ok: false; refusal: ReserveCardRefusal };

export type ReserveOrderType = 'reserve_card_loa2' | 'reserve_card_loa3';
export const reserveOrderTrustLevel: Record<ReserveOrderType, 2 | 3> = {
  reserve_card_loa2: 2,
  reserve_card_loa3: 3,
};

/** Thrown inside a transaction to roll it back; the refusal is audited after the rollback. */
export class Refused extends Error {
  constructor(readonly refusal: ReserveCardRefusal) {
    super(refusal);
  }
}

export interface Attempt {
  action: string;
  objectType: 'reserve_card' | 'unit';
  objectId?: string | null;
  /** Only a unit that exists: the audit log references units. */
  unitId?: string | null;
  detail?: Record<string, unknown>;
}

export async function refuse(
  db: Queryable,
  actor: ReserveCardActor,
  attempt: Attempt,
  refusal: ReserveCardRefusal,
): Promise<{ ok: false; refusal: ReserveCardRefusal }> {
  await recordAttempt(db, actor, attempt, refusal);
  return { ok: false, refusal };
}

export async function succeed(db: Queryable, actor: ReserveCardActor, attempt: Attempt): Promise<void> {
  await recordAttempt(db, actor, attempt);
}

export async function unitExists(db: Queryable, unitId: string): Promise<boolean> {
  return (
    first(await db.select({ id: units.id }).from(units).where(eq(units.id, unitId)).limit(1)) !== undefined
  );
}
