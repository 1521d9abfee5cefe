import { inArray, type SQL, type SQLWrapper } from 'drizzle-orm';

/** The units a user may see: every unit, or these (the caller has already expanded sub-units). */
export type UnitScope = 'all' | readonly string[];

/** A scope of no units: callers answer empty without asking the database. */
export function isEmptyUnitScope(scope: UnitScope): boolean {
  return scope !== 'all' && scope.length === 0;
}

export function inUnitScope(scope: UnitScope, unitId: string): boolean {
  return scope === 'all' || scope.includes(unitId);
}

/** The condition that keeps rows whose `column` names a unit in scope; undefined (no condition) for 'all'. */
export function unitScopeCondition(column: SQLWrapper, scope: UnitScope): SQL | undefined {
  return scope === 'all' ? undefined : inArray(column, [...scope]);
}
