import { type AppLoadContext, json } from '@remix-run/node';
import { canAccessUnit, identityViewerOf, type Principal } from '~/auth/permissions';
import { requireUnitAccess } from '~/auth/staff.server';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import { recordAudit } from '../../db/audit';
import { findPersonById, type PersonRow, unitIdsOfPerson } from '../../db/persons';
import { isHiddenFrom } from '../../db/protected-identity';

/**
 * The person, or the answer for an unknown person (404). A protected identity the principal may not see gets
 * exactly that answer too, so it leaks nothing, and the refusal is audited (reason protected_identity).
 */
export async function requireShownPerson(
  request: Request,
  context: AppLoadContext,
  principal: Principal,
  personId: string,
  action: string,
): Promise<PersonRow> {
  const person = await findPersonById(context.db, personId);
  if (person && !isHiddenFrom(identityViewerOf(principal), person.protectedIdentity)) return person;
  if (person) {
    await recordAudit(context.db, {
      actorUserId: principal.userId,
      actorLabel: principal.username,
      action,
      objectType: 'person',
      objectId: person.id,
      outcome: 'refused',
      detail: { reason: 'protected_identity' },
    });
  }
  throw json({ message: translator(await localeOf(request))('error.notFound') }, { status: 404 });
}

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
