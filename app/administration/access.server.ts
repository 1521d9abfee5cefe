import { type AppLoadContext, json } from '@remix-run/node';
import { requireSection } from '~/auth/section.server';
import { requireRole } from '~/auth/staff.server';
import type { FieldErrors } from '~/forms/validation';
import type { MessageKey } from '~/i18n/catalogue';
import type { AdminActor, AdministrationRefusal } from '../../db/administration';

export interface Attempted {
  action:
    | 'unit_create'
    | 'unit_rename'
    | 'staff_role_grant'
    | 'staff_role_revoke'
    | 'open_administration'
    | 'open_directory_sync'
    | 'directory_sync_start';
  objectType: string;
  objectId?: string;
}

/** The system admin and their actor, or an audited 403 (the section check, then the role for this action). */
export async function requireSystemAdmin(request: Request, context: AppLoadContext, attempted: Attempted) {
  const principal = await requireSection(request, context, 'administration');
  await requireRole(request, context, principal, ['system_admin'], attempted);
  const actor: AdminActor = { userId: principal.userId, label: principal.username };
  return { principal, actor };
}

const refusals: Record<AdministrationRefusal, { field: string; message: MessageKey; status: number }> = {
  invalid_hsa_id: { field: 'hsaId', message: 'administration.error.hsaId', status: 400 },
  hsa_id_taken: { field: 'hsaId', message: 'administration.error.hsaIdTaken', status: 409 },
  invalid_name: { field: 'name', message: 'administration.error.name', status: 400 },
  parent_required: { field: 'parentId', message: 'administration.error.parent', status: 400 },
  unknown_parent: { field: 'parentId', message: 'administration.error.unknownParent', status: 404 },
  unknown_unit: { field: 'roleUnitId', message: 'administration.error.unknownUnit', status: 404 },
  unknown_user: { field: 'userId', message: 'administration.error.unknownUser', status: 404 },
  unknown_role: { field: 'role', message: 'administration.error.role', status: 400 },
  unit_required: { field: 'roleUnitId', message: 'administration.error.unitRequired', status: 400 },
  unit_not_allowed: { field: 'roleUnitId', message: 'administration.error.unitNotAllowed', status: 400 },
  duplicate_role: { field: 'role', message: 'administration.error.duplicateRole', status: 409 },
  unknown_assignment: { field: 'form', message: 'administration.error.unknownAssignment', status: 404 },
  own_last_system_admin: { field: 'form', message: 'administration.error.ownLastSystemAdmin', status: 409 },
  grantee_without_person: {
    field: 'userId',
    message: 'administration.error.granteeWithoutPerson',
    status: 409,
  },
  signer_without_person: { field: 'role', message: 'administration.error.signerWithoutPerson', status: 403 },
  signature_required: { field: 'signature', message: 'administration.error.signatureRequired', status: 409 },
  signature_mismatch: { field: 'signature', message: 'decision.error.other_decision', status: 409 },
  signature_spent: { field: 'signature', message: 'decision.error.signature_spent', status: 409 },
};

/**
 * The action's answer to a refused change (already audited by db/administration): the message at its field,
 * with what else the page needs to show again (a grant waiting for its signature).
 */
export function refusalResponse<Extra extends object = object>(
  refusal: AdministrationRefusal,
  extra?: Extra,
) {
  const { field, message, status } = refusals[refusal];
  const errors: FieldErrors = { [field]: message };
  return json({ ...extra, errors }, { status });
}
