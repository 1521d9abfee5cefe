import { and, count, countDistinct, eq, inArray, type SQL } from 'drizzle-orm';
import type { AppDatabase } from './connection';
import { first } from './engine';
import { cards, orders, personUnits } from './schema';
import { isEmptyUnitScope, type UnitScope, unitScopeCondition } from './unit-scope';

export interface OverviewCounts {
  persons: number;
  activeCards: number;
  lockedCards: number;
  reserveCardsInStock: number;
  openOrders: number;
  ordersAwaitingSecondApproval: number;
}

/** Counts for the dashboard overview, limited to the units a user may see. */
export async function countOverview(db: AppDatabase, scope: UnitScope): Promise<OverviewCounts> {
  if (isEmptyUnitScope(scope)) {
    return {
      persons: 0,
      activeCards: 0,
      lockedCards: 0,
      reserveCardsInStock: 0,
      openOrders: 0,
      ordersAwaitingSecondApproval: 0,
    };
  }
  const cardCount = async (condition: SQL) =>
    first(
      await db
        .select({ value: count() })
        .from(cards)
        .where(and(condition, unitScopeCondition(cards.unitId, scope)))
        .limit(1),
    )?.value ?? 0;
  const orderCount = async (condition: SQL) =>
    first(
      await db
        .select({ value: count() })
        .from(orders)
        .where(and(condition, unitScopeCondition(orders.unitId, scope)))
        .limit(1),
    )?.value ?? 0;

  return {
    persons:
      first(
        await db
          .select({ value: countDistinct(personUnits.personId) })
          .from(personUnits)
          .where(unitScopeCondition(personUnits.unitId, scope))
          .limit(1),
      )?.value ?? 0,
    activeCards: await cardCount(eq(cards.state, 'active')),
    lockedCards: await cardCount(eq(cards.state, 'locked')),
    reserveCardsInStock: await cardCount(and(eq(cards.kind, 'reserve'), eq(cards.state, 'in_stock'))!),
    openOrders: await orderCount(inArray(orders.state, ['placed', 'awaiting_second_approval', 'ready'])),
    ordersAwaitingSecondApproval: await orderCount(eq(orders.state, 'awaiting_second_approval')),
  };
}
