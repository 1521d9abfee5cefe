import type { AppLoadContext } from '@remix-run/node';
import { hasAnyRole, type Principal, visibleUnits } from '~/auth/permissions';
import { dashboardSections } from '~/auth/sections';
import { stockKeeperRoles } from '~/reserve-cards/access.server';
import { countTodo, type TodoCounts } from '../../db/todo-list';
import type { UnitScope } from '../../db/unit-scope';

export interface TodoScopes {
  /** eIDs, cards and orders: the units of the roles that open Att göra. */
  units: UnitScope;
  /** Reserve-card stock and reserve cards not activated: the contact persons' units (a manager keeps no stock). */
  stock: UnitScope;
}

/** Which units' Att göra a staff member sees: the page and the overview's counts use this. */
export function todoScopes(principal: Principal): TodoScopes {
  return {
    units: visibleUnits(principal, dashboardSections.todo.roles),
    stock: visibleUnits(principal, stockKeeperRoles),
  };
}

/** How many things of each kind Att göra lists in these scopes. */
export async function countTodoIn(
  context: AppLoadContext,
  scopes: TodoScopes,
  now: Date,
): Promise<TodoCounts> {
  const counts = await countTodo(context.db, scopes.units, now);
  const stock = await countTodo(context.db, scopes.stock, now);
  return {
    ...counts,
    lowStockUnits: stock.lowStockUnits,
    notActivatedReserveCards: stock.notActivatedReserveCards,
  };
}

/** The counts of Att göra for the overview; null for roles that have no Att göra. */
export async function todoCountsFor(
  context: AppLoadContext,
  principal: Principal,
  now: Date,
): Promise<TodoCounts | null> {
  if (!hasAnyRole(principal, dashboardSections.todo.roles)) return null;
  return countTodoIn(context, todoScopes(principal), now);
}
