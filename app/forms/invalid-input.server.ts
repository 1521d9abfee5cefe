import { type AppLoadContext, json } from '@remix-run/node';
import type { Principal } from '~/auth/permissions';
import { recordAudit } from '../../db/audit';
import type { FieldErrors } from './validation';

/** Bad form input: audited as a refused attempt, answered 400 with the errors next to the fields. */
export async function invalidInput(
  context: AppLoadContext,
  principal: Principal,
  attempted: { action: string; objectType: string; objectId?: string },
  errors: FieldErrors,
) {
  await recordAudit(context.db, {
    actorUserId: principal.userId,
    actorLabel: principal.username,
    action: attempted.action,
    objectType: attempted.objectType,
    objectId: attempted.objectId ?? null,
    outcome: 'refused',
    detail: { reason: 'invalid_input', fields: Object.keys(errors) },
  });
  return json({ errors }, { status: 400 });
}
