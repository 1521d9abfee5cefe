import type { AppLoadContext } from '@remix-run/node';
import { identityViewerOf, type Principal, visibleUnits } from '~/auth/permissions';
import { requireSection } from '~/auth/section.server';
import { requireRole } from '~/auth/staff.server';
import type { ReserveCardActor } from '../../db/reserve-cards';
import type { StaffRole } from '../../db/schema';

/** Who may look at reserve-card stock (within their units; support everywhere). */
export const stockReaderRoles: readonly StaffRole[] = ['contact_person', 'support'];
/** Who may change it: contact persons alone, within their units. */
export const stockKeeperRoles: readonly StaffRole[] = ['contact_person'];

export interface Attempted {
  action: string;
  objectType: string;
  objectId?: string;
}

export function stockActor(principal: Principal): ReserveCardActor {
  return {
    userId: principal.userId,
    label: principal.username,
    scope: visibleUnits(principal, stockKeeperRoles),
    viewer: identityViewerOf(principal),
  };
}

/** The principal and their stock-keeping scope, or an audited 403 for anyone but a contact person. */
export async function requireStockKeeper(request: Request, context: AppLoadContext, attempted: Attempted) {
  const principal = await requireSection(request, context, 'reserveCards');
  await requireRole(request, context, principal, stockKeeperRoles, attempted);
  return { principal, actor: stockActor(principal) };
}
