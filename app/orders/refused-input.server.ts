import type { AppLoadContext } from '@remix-run/node';
import { recordRefusedAttempt } from '~/auth/refused-attempt.server';
import type { Principal } from '../auth/permissions';
import type { FieldErrors } from '../forms/validation';

/** Input the form schema refused is a refused attempt too: audited with the fields, never their values. */
export async function auditRefusedInput(
  context: AppLoadContext,
  principal: Principal,
  attempt: { action: string; objectId?: string },
  errors: FieldErrors,
): Promise<void> {
  await recordRefusedAttempt(
    context.db,
    principal,
    { ...attempt, objectType: 'order' },
    { reason: 'invalid_input', fields: Object.keys(errors) },
  );
}
