import { and, asc, count, eq, inArray, type SQL } from 'drizzle-orm';
import { cardSerialProblem, normalizeCardSerial, productCodePattern } from './card-serial';
import type { AppDatabase, Queryable } from './connection';
import { first, isUniqueViolation } from './engine';
import { newId } from './ids';
import {
  type IdentityViewer,
  type ShownIdentity,
  seesNoProtectedIdentity,
  shownTo,
} from './protected-identity';
import {
  type Attempt,
  Refused,
  type ReserveCardActor,
  type ReserveCardOutcome,
  type ReserveCardRefusal,
  refuse,
  succeed,
  unitExists,
} from './reserve-cards';
import { type CardState, cards, eids, persons, units } from './schema';
import { inUnitScope, isEmptyUnitScope, type UnitScope, unitScopeCondition } from './unit-scope';
import { listUnits } from './units';

const maxLowStockThreshold = 999;
const cardLifetimeYears = 5;

export interface NewReserveCard {
  serial: string;
  productCode: string;
  trustLevel: number;
  unitId: string;
}

async function newCardRefusal(
  db: AppDatabase,
  card: NewReserveCard & { serial: string },
  scope: UnitScope,
): Promise<ReserveCardRefusal | null> {
  const serialProblem = cardSerialProblem(card.serial);
  if (serialProblem) return `serial_${serialProblem}`;
  if (!productCodePattern.test(card.productCode)) return 'invalid_product_code';
  if (card.trustLevel !== 2 && card.trustLevel !== 3) return 'invalid_trust_level';
  if (!(await unitExists(db, card.unitId))) return 'unknown_unit';
  if (!inUnitScope(scope, card.unitId)) return 'other_unit';
  const taken = first(
    await db.select({ id: cards.id }).from(cards).where(eq(cards.serial, card.serial)).limit(1),
  );
  return taken ? 'duplicate_serial' : null;
}

/** Puts a delivered reserve card in a unit's stock: `in_stock`, valid five years from today. */
export async function registerReserveCard(
  db: AppDatabase,
  input: NewReserveCard,
  actor: ReserveCardActor,
  now = new Date(),
): Promise<ReserveCardOutcome<{ cardId: string }>> {
  const card = { ...input, serial: normalizeCardSerial(input.serial) };
  const unitKnown = await unitExists(db, card.unitId);
  const attempt: Attempt = {
    action: 'reserve_card_register',
    objectType: 'reserve_card',
    unitId: unitKnown ? card.unitId : null,
    detail: {
      serial: card.serial,
      productCode: card.productCode,
      trustLevel: card.trustLevel,
      unitId: card.unitId,
    },
  };
  const refusal = await newCardRefusal(db, card, actor.scope);
  if (refusal) return await refuse(db, actor, attempt, refusal);
  const cardId = newId();
  const validTo = new Date(now);
  validTo.setUTCFullYear(validTo.getUTCFullYear() + cardLifetimeYears);
  try {
    await db.transaction(async (tx) => {
      await tx.insert(cards).values({
        id: cardId,
        serial: card.serial,
        kind: 'reserve',
        productCode: card.productCode,
        trustLevel: card.trustLevel,
        state: 'in_stock',
        unitId: card.unitId,
        validFrom: now,
        validTo,
        createdAt: now,
        updatedAt: now,
      });
      await succeed(tx, actor, {
        ...attempt,
        objectId: cardId,
        detail: { ...attempt.detail, after: 'in_stock' },
      });
    });
  } catch (error) {
    if (isUniqueViolation(error)) return await refuse(db, actor, attempt, 'duplicate_serial');
    throw error;
  }
  return { ok: true, cardId };
}

export interface ReserveCardRow {
  id: string;
  serial: string;
  productCode: string;
  trustLevel: number;
  state: CardState;
  unitId: string;
  validTo: Date;
  createdAt: Date;
  /** Whom the card is assigned to, if anyone: a protected identity hidden from the viewer is only that. */
  holder: ShownIdentity<{ name: string }> | null;
}

export interface StockFilters {
  state?: CardState;
  trustLevel?: 2 | 3;
}

/** One unit's reserve cards, newest first (the caller checks that the user may see the unit). */
export async function listStock(
  db: AppDatabase,
  unitId: string,
  filters: StockFilters = {},
  viewer: IdentityViewer = seesNoProtectedIdentity,
): Promise<ReserveCardRow[]> {
  const conditions: (SQL | undefined)[] = [eq(cards.kind, 'reserve'), eq(cards.unitId, unitId)];
  if (filters.state) conditions.push(eq(cards.state, filters.state));
  if (filters.trustLevel) conditions.push(eq(cards.trustLevel, filters.trustLevel));
  return (
    await db
      .select({
        id: cards.id,
        serial: cards.serial,
        productCode: cards.productCode,
        trustLevel: cards.trustLevel,
        state: cards.state,
        unitId: cards.unitId,
        validTo: cards.validTo,
        createdAt: cards.createdAt,
        givenName: persons.givenName,
        surname: persons.surname,
        protectedIdentity: persons.protectedIdentity,
      })
      .from(cards)
      .leftJoin(persons, eq(persons.id, cards.holderPersonId))
      .where(and(...conditions))
      .orderBy(asc(cards.state), asc(cards.trustLevel), asc(cards.serial))
      .limit(1000)
  ).map(({ givenName, surname, protectedIdentity, ...card }) => ({
    ...card,
    holder:
      givenName === null
        ? null
        : shownTo(viewer, protectedIdentity ?? false, { name: `${givenName} ${surname}` }),
  }));
}

export interface ReserveCardDetail {
  id: string;
  serial: string;
  kind: string;
  productCode: string;
  trustLevel: number;
  state: CardState;
  unitId: string;
  unitName: string;
}

export async function findReserveCard(db: Queryable, cardId: string): Promise<ReserveCardDetail | undefined> {
  return first(
    await db
      .select({
        id: cards.id,
        serial: cards.serial,
        kind: cards.kind,
        productCode: cards.productCode,
        trustLevel: cards.trustLevel,
        state: cards.state,
        unitId: cards.unitId,
        unitName: units.name,
      })
      .from(cards)
      .innerJoin(units, eq(units.id, cards.unitId))
      .where(and(eq(cards.id, cardId), eq(cards.kind, 'reserve')))
      .limit(1),
  );
}

export interface StockLevel {
  unitId: string;
  unitName: string;
  unitHsaId: string;
  threshold: number;
  inStock: { 2: number; 3: number };
  total: number;
  /** Assigned to a person in the portal, not yet activated by them. */
  assigned: number;
  /** Fewer cards in stock than the unit's threshold. */
  low: boolean;
  /**
   * Per trust level: none left of that level while the unit keeps a threshold. The threshold is the unit's
   * one number for its whole stock, so an empty level is what needs a warning of its own.
   */
  lowByTrustLevel: { 2: boolean; 3: boolean };
}

/** Stock per unit in scope, with the unit's low-stock threshold and warnings. */
export async function stockLevels(db: AppDatabase, scope: UnitScope): Promise<StockLevel[]> {
  if (isEmptyUnitScope(scope)) return [];
  const counts = await db
    .select({ unitId: cards.unitId, trustLevel: cards.trustLevel, state: cards.state, value: count() })
    .from(cards)
    .where(
      and(
        eq(cards.kind, 'reserve'),
        inArray(cards.state, ['in_stock', 'assigned']),
        unitScopeCondition(cards.unitId, scope),
      ),
    )
    .groupBy(cards.unitId, cards.trustLevel, cards.state);
  const thresholds = new Map(
    (await db.select({ id: units.id, threshold: units.lowStockThreshold }).from(units)).map((row) => [
      row.id,
      row.threshold,
    ]),
  );
  return (await listUnits(db, scope === 'all' ? undefined : scope)).map((unit) => {
    const ofUnit = counts.filter((row) => row.unitId === unit.id);
    const inStockOf = (level: number) =>
      ofUnit.find((row) => row.state === 'in_stock' && row.trustLevel === level)?.value ?? 0;
    const inStock = { 2: inStockOf(2), 3: inStockOf(3) };
    const threshold = thresholds.get(unit.id) ?? 0;
    const total = inStock[2] + inStock[3];
    return {
      unitId: unit.id,
      unitName: unit.name,
      unitHsaId: unit.hsaId,
      threshold,
      inStock,
      total,
      assigned: ofUnit.filter((row) => row.state === 'assigned').reduce((sum, row) => sum + row.value, 0),
      low: total < threshold,
      lowByTrustLevel: { 2: threshold > 0 && inStock[2] === 0, 3: threshold > 0 && inStock[3] === 0 },
    };
  });
}

/** Sets the number of in-stock cards below which the unit's stock shows "Lågt lager". */
export async function setLowStockThreshold(
  db: AppDatabase,
  input: { unitId: string; threshold: number },
  actor: ReserveCardActor,
): Promise<ReserveCardOutcome<{ before: number }>> {
  const unit = first(
    await db
      .select({ threshold: units.lowStockThreshold })
      .from(units)
      .where(eq(units.id, input.unitId))
      .limit(1),
  );
  const attempt: Attempt = {
    action: 'low_stock_threshold_set',
    objectType: 'unit',
    objectId: input.unitId,
    unitId: unit ? input.unitId : null,
    detail: { before: unit?.threshold, after: input.threshold },
  };
  if (!Number.isInteger(input.threshold) || input.threshold < 0 || input.threshold > maxLowStockThreshold) {
    return await refuse(db, actor, attempt, 'invalid_threshold');
  }
  if (!unit) return await refuse(db, actor, attempt, 'unknown_unit');
  if (!inUnitScope(actor.scope, input.unitId)) return await refuse(db, actor, attempt, 'other_unit');
  await db.transaction(async (tx) => {
    await tx.update(units).set({ lowStockThreshold: input.threshold }).where(eq(units.id, input.unitId));
    await succeed(tx, actor, attempt);
  });
  return { ok: true, before: unit.threshold };
}

/**
 * Takes an unassigned card out of stock for good (broken, lost in the post, sent back). It becomes
 * `revoked`: a card never returns to stock, and any transport certificate on it is revoked with it.
 */
export async function withdrawReserveCard(
  db: AppDatabase,
  input: { cardId: string },
  actor: ReserveCardActor,
  now = new Date(),
): Promise<ReserveCardOutcome<object>> {
  const card = await findReserveCard(db, input.cardId);
  const attempt: Attempt = {
    action: 'reserve_card_withdraw',
    objectType: 'reserve_card',
    objectId: input.cardId,
    unitId: card?.unitId ?? null,
    detail: { serial: card?.serial, before: card?.state, after: 'revoked', withdrawal: 'withdrawn' },
  };
  if (!card) return await refuse(db, actor, attempt, 'unknown_card');
  if (!inUnitScope(actor.scope, card.unitId)) return await refuse(db, actor, attempt, 'other_unit');
  try {
    await db.transaction(async (tx) => {
      const changed = await tx
        .update(cards)
        .set({ state: 'revoked', updatedAt: now })
        .where(and(eq(cards.id, card.id), eq(cards.state, 'in_stock')))
        .returning({ id: cards.id });
      if (changed.length !== 1) throw new Refused('card_not_in_stock');
      await tx
        .update(eids)
        .set({ state: 'revoked', revokedAt: now, revocationReason: 'withdrawn' })
        .where(and(eq(eids.cardId, card.id), eq(eids.state, 'active')));
      await succeed(tx, actor, attempt);
    });
  } catch (error) {
    if (error instanceof Refused) return await refuse(db, actor, attempt, error.refusal);
    throw error;
  }
  return { ok: true };
}
