import { type IdentityViewer, identityViewerHolding } from '../../db/protected-identity';
import type { StaffRole } from '../../db/schema';

/** Roles that act only within the units (and sub-units) they are assigned to. */
export const unitScopedRoles: readonly StaffRole[] = ['manager', 'contact_person'];

export type RoleScope = 'all' | ReadonlySet<string>;

/** What a logged-in staff member may do: each role with the units it reaches (sub-units included). */
export interface Principal {
  userId: string;
  username: string;
  displayName: string;
  /** The person behind the account: whose SITHS eID signs their decisions. Null for the bootstrap administrator. */
  personId: string | null;
  sessionId: string;
  roles: ReadonlyMap<StaffRole, RoleScope>;
}

export interface RoleGrant {
  role: StaffRole;
  unitId: string | null;
}

/**
 * Folds role assignments into one scope per role. `expandSubtrees` returns the given units and all
 * units below them in the HSA tree.
 */
export async function scopeRoles(
  grants: readonly RoleGrant[],
  expandSubtrees: (unitIds: string[]) => Promise<readonly string[]>,
): Promise<Map<StaffRole, RoleScope>> {
  const unitsByRole = new Map<StaffRole, string[]>();
  const global = new Set<StaffRole>();
  for (const grant of grants) {
    if (grant.unitId === null || !unitScopedRoles.includes(grant.role)) global.add(grant.role);
    else unitsByRole.set(grant.role, [...(unitsByRole.get(grant.role) ?? []), grant.unitId]);
  }
  const scopes = new Map<StaffRole, RoleScope>();
  for (const role of global) scopes.set(role, 'all');
  for (const [role, unitIds] of unitsByRole) {
    if (!scopes.has(role)) scopes.set(role, new Set(await expandSubtrees(unitIds)));
  }
  return scopes;
}

export function hasAnyRole(principal: Principal, roles: readonly StaffRole[]): boolean {
  return roles.some((role) => principal.roles.has(role));
}

/** True when one of `roles` (any role when omitted) reaches `unitId`. */
export function canAccessUnit(principal: Principal, unitId: string, roles?: readonly StaffRole[]): boolean {
  for (const [role, scope] of principal.roles) {
    if (roles && !roles.includes(role)) continue;
    if (scope === 'all' || scope.has(unitId)) return true;
  }
  return false;
}

/** The units a principal sees through any of `roles`: 'all', or the union of their unit scopes. */
export function visibleUnits(principal: Principal, roles?: readonly StaffRole[]): 'all' | string[] {
  const units = new Set<string>();
  for (const [role, scope] of principal.roles) {
    if (roles && !roles.includes(role)) continue;
    if (scope === 'all') return 'all';
    for (const unitId of scope) units.add(unitId);
  }
  return [...units];
}

/** Whether the principal may see protected identities (skyddade personuppgifter): the right is a role of its own. */
export function maySeeProtectedIdentities(principal: Principal): boolean {
  return identityViewerOf(principal).seesProtectedIdentities;
}

/** The principal as a reader of persons: every read that shows persons to staff takes it. */
export function identityViewerOf(principal: Principal): IdentityViewer {
  return identityViewerHolding(principal.roles.keys());
}
