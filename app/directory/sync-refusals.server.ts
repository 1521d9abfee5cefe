import { type AppLoadContext, json } from '@remix-run/node';
import type { Principal } from '~/auth/permissions';
import { recordRefusedAttempt } from '~/auth/refused-attempt.server';
import type { MessageKey } from '~/i18n/catalogue';

export type SyncRefusal = 'not_configured' | 'busy' | 'preview_first';

const messages: Record<SyncRefusal, MessageKey> = {
  not_configured: 'directory.error.notConfigured',
  busy: 'directory.error.busy',
  preview_first: 'directory.error.previewFirst',
};

/** A sync that cannot start now: audited as refused, answered 409 with the reason in Swedish. */
export async function refuseSync(context: AppLoadContext, principal: Principal, refusal: SyncRefusal) {
  await recordRefusedAttempt(
    context.db,
    principal,
    { action: 'directory_sync_start', objectType: 'directory_sync_run' },
    { reason: refusal },
  );
  return json({ errors: { form: messages[refusal] } }, { status: 409 });
}
