import { recordAudit } from '../../db/audit';
import type { AppDatabase } from '../../db/connection';
import { countRefusedLogins } from '../../db/login-attempts';

/**
 * Limits on refused SITHS eID logins (Mobile SITHS and card), counted from the audit log so every server
 * process sees the same numbers. Per person they stop guessing against one account from many places; per
 * address they stop one place from trying many accounts. A device's own code lockout is separate.
 */
export const loginLimits = {
  windowMs: 15 * 60_000,
  maxRefusedPerPerson: 10,
  maxRefusedPerAddress: 30,
} as const;

/**
 * Audit actions of login attempts that count. A refused attempt counts when it is recorded with one of these
 * actions, outcome `refused`, and `detail.personId` and/or `detail.clientAddress` (use `recordRefusedLogin`).
 */
export const countedLoginActions = [
  'login_mobile_siths',
  'reauth_mobile_siths',
  'mobile_siths_scan',
  'login_card',
  'reauth_card',
] as const;
export type CountedLoginAction = (typeof countedLoginActions)[number];

export type LoginAllowance =
  | { ok: true }
  | { ok: false; reason: 'too_many_for_person' | 'too_many_for_address' };

/** Whether another login attempt for `personId` (when known) from `address` may be tried now. */
export function checkLoginAllowed(
  db: AppDatabase,
  attempt: { personId?: string | null; address: string },
  now: Date,
  limits: { windowMs: number; maxRefusedPerPerson: number; maxRefusedPerAddress: number } = loginLimits,
): LoginAllowance {
  const counts = countRefusedLogins(db, {
    actions: countedLoginActions,
    personId: attempt.personId ?? null,
    address: attempt.address,
    since: new Date(now.getTime() - limits.windowMs),
  });
  if (attempt.personId && counts.byPerson >= limits.maxRefusedPerPerson) {
    return { ok: false, reason: 'too_many_for_person' };
  }
  if (counts.byAddress >= limits.maxRefusedPerAddress) return { ok: false, reason: 'too_many_for_address' };
  return { ok: true };
}

/**
 * Audits a refused login attempt in the shape `checkLoginAllowed` counts. `actorLabel` names who tried as far
 * as known (an HSA-id, or the method when nobody is known yet).
 */
export function recordRefusedLogin(
  db: AppDatabase,
  attempt: {
    action: CountedLoginAction;
    actorLabel: string;
    reason: string;
    address: string;
    personId?: string | null;
    objectType: string;
    objectId?: string | null;
    detail?: Record<string, unknown>;
  },
): void {
  recordAudit(db, {
    actorUserId: null,
    actorLabel: attempt.actorLabel,
    action: attempt.action,
    objectType: attempt.objectType,
    objectId: attempt.objectId ?? null,
    outcome: 'refused',
    detail: {
      ...attempt.detail,
      reason: attempt.reason,
      clientAddress: attempt.address,
      ...(attempt.personId ? { personId: attempt.personId } : {}),
    },
  });
}

/** An attempt refused by the limits themselves; a separate action, so it does not extend its own lockout. */
export function recordRateLimitedLogin(
  db: AppDatabase,
  attempt: { method: 'mobile_siths' | 'card'; reason: string; address: string; personId?: string | null },
): void {
  recordAudit(db, {
    actorUserId: null,
    actorLabel: attempt.method,
    action: 'login_rate_limited',
    objectType: attempt.personId ? 'person' : 'client_address',
    objectId: attempt.personId ?? attempt.address,
    outcome: 'refused',
    detail: { reason: attempt.reason, clientAddress: attempt.address, method: attempt.method },
  });
}
