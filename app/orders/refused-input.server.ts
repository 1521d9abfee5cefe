import type { AppLoadContext } from '@remix-run/node';
import { recordAudit } from '../../db/audit';
import type { Principal } from '../auth/permissions';
import type { FieldErrors } from '../forms/validation';

/** Input the form schema refused is a refused attempt too: audited with the fields, never their values. */
export async function auditRefusedInput(
  context: AppLoadContext,
  principal: Principal,
  attempt: { action: string; objectId?: string },
  errors: FieldErrors,
): Promise<void> {
  await recordAudit(context.db, {
    actorUserId: principal.userId,
    actorLabel: principal.username,
    action: attempt.action,
    objectType: 'order',
    objectId: attempt.objectId ?? null,
    outcome: 'refused',
    detail: { reason: 'invalid_input', fields: Object.keys(errors) },
  });
}
