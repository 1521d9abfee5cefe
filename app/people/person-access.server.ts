import type { AppLoadContext } from '@remix-run/node';
import { canAccessUnit, type Principal } from '~/auth/permissions';
import { requireUnitAccess } from '~/auth/staff.server';
import { unitIdsOfPerson } from '../../db/persons';

/**
 * Throws an audited 403 unless one of the principal's roles reaches one of the person's units. Region-wide roles
 * reach everyone, also a person who belongs to no unit.
 */
export async function requirePersonAccess(
  request: Request,
  context: AppLoadContext,
  principal: Principal,
  personId: string,
  action: string,
): Promise<void> {
  const unitIds = await unitIdsOfPerson(context.db, personId);
  if (unitIds.some((unitId) => canAccessUnit(principal, unitId))) return;
  const deniedUnit = unitIds[0] ?? '';
  await requireUnitAccess(request, context, principal, deniedUnit, [...principal.roles.keys()], {
    action,
    objectType: 'person',
    objectId: personId,
  });
}
