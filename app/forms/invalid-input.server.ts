import { type AppLoadContext, json } from '@remix-run/node';
import type { Principal } from '~/auth/permissions';
import { recordRefusedAttempt } from '~/auth/refused-attempt.server';
import type { FieldErrors } from './validation';

/** Bad form input: audited as a refused attempt, answered 400 with the errors next to the fields. */
export async function invalidInput(
  context: AppLoadContext,
  principal: Principal,
  attempted: { action: string; objectType: string; objectId?: string },
  errors: FieldErrors,
) {
  await recordRefusedAttempt(context.db, principal, attempted, {
    reason: 'invalid_input',
    fields: Object.keys(errors),
  });
  return json({ errors }, { status: 400 });
}
