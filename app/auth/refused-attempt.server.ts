import { recordAttempt } from '../../db/audit';
import type { AppDatabase } from '../../db/connection';
import type { Principal } from './permissions';

/** What a staff member tried: the audit action and the object it names (which may not exist). */
export interface StaffAttempt {
  action: string;
  objectType: string;
  objectId?: string | null;
}

/** A staff member's refused attempt in the audit trail with its reason (db/audit's recordAttempt); the caller answers it. */
export async function recordRefusedAttempt(
  db: AppDatabase,
  principal: Principal,
  attempt: StaffAttempt,
  { reason, ...detail }: { reason: string } & Record<string, unknown>,
): Promise<void> {
  await recordAttempt(
    db,
    { userId: principal.userId, label: principal.username },
    { action: attempt.action, objectType: attempt.objectType, objectId: attempt.objectId ?? null, detail },
    reason,
  );
}
