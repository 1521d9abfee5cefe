import { recordAudit, recordFoldedRefusal } from '../../db/audit';
import type { AppDatabase } from '../../db/connection';
import { countFailedLogins } from '../../db/login-attempts';

/**
 * Limits on failed SITHS eID logins (Mobile SITHS), counted from the audit log so every server process sees
 * the same numbers. Only real attempts count: a code or signature actually checked and wrong for a known
 * device (its person), or a forged QR code for a known order. Malformed requests, unknown ids, polls and
 * closed orders do not: anyone could send them, and they must not lock a hospital's shared address out.
 *
 * Both limits back off rather than lock: after `freeFailures` failures in the window, the next attempt
 * waits `firstWaitMs` after the latest failure, doubling with each further failure up to `maxWaitMs`.
 * Per person: 5 free, then 30 s, 1, 2, 4, 8 min, then 15 min; it stops guessing across a person's devices
 * and bad signatures, as each device locks itself at its fifth wrong code in a row (that last code is not
 * counted: the device lock already stops it). Per address: 20 free (a hospital behind one NAT address), then
 * 2, 4, 8, 16, 32 s, then 60 s: one place trying many accounts slows to one try a minute, nobody is locked
 * out. Failures older than the 15-minute window are forgotten.
 */
export const loginLimits = {
  windowMs: 15 * 60_000,
  perPerson: { freeFailures: 5, firstWaitMs: 30_000, maxWaitMs: 15 * 60_000 },
  perAddress: { freeFailures: 20, firstWaitMs: 2_000, maxWaitMs: 60_000 },
} as const;

export interface BackoffRule {
  freeFailures: number;
  firstWaitMs: number;
  maxWaitMs: number;
}

export type LoginLimits = { windowMs: number; perPerson: BackoffRule; perAddress: BackoffRule };

/** Audit actions of login attempts; a failed one counts only when recorded with `recordFailedLogin`. */
export type LoginAction =
  | 'login_mobile_siths'
  | 'reauth_mobile_siths'
  | 'mobile_siths_scan'
  | 'login_card'
  | 'reauth_card'
  /** A decision signed with Mobile SITHS: a wrong device code counts as a failed login does. */
  | 'sign_decision_mobile_siths';

export type LoginAllowance =
  | { ok: true }
  | { ok: false; reason: 'too_many_for_person' | 'too_many_for_address'; retryAfterSeconds: number };

/** How long after the latest of `failures` failures the next attempt must wait (0: it may go now). */
export function backoffMs(failures: number, rule: BackoffRule): number {
  if (failures < rule.freeFailures) return 0;
  return Math.min(rule.maxWaitMs, rule.firstWaitMs * 2 ** (failures - rule.freeFailures));
}

/** Whether another login attempt for `personId` (when known) from `address` may be tried now. */
export async function checkLoginAllowed(
  db: AppDatabase,
  attempt: { personId?: string | null; address: string },
  now: Date,
  limits: LoginLimits = loginLimits,
): Promise<LoginAllowance> {
  const counts = await countFailedLogins(db, {
    personId: attempt.personId ?? null,
    address: attempt.address,
    since: new Date(now.getTime() - limits.windowMs),
  });
  const waitUntil = (failures: number, last: Date | null, rule: BackoffRule) => {
    const wait = backoffMs(failures, rule);
    return last && wait > 0 ? last.getTime() + wait : 0;
  };
  const retryAfterSeconds = (until: number) => Math.max(1, Math.ceil((until - now.getTime()) / 1000));
  const personUntil = attempt.personId
    ? waitUntil(counts.byPerson, counts.lastByPerson, limits.perPerson)
    : 0;
  if (personUntil > now.getTime()) {
    return { ok: false, reason: 'too_many_for_person', retryAfterSeconds: retryAfterSeconds(personUntil) };
  }
  const addressUntil = waitUntil(counts.byAddress, counts.lastByAddress, limits.perAddress);
  if (addressUntil > now.getTime()) {
    return { ok: false, reason: 'too_many_for_address', retryAfterSeconds: retryAfterSeconds(addressUntil) };
  }
  return { ok: true };
}

export interface RefusedLogin {
  action: LoginAction;
  /** Who tried, as far as known (an HSA-id, or the method when nobody is known yet). */
  actorLabel: string;
  reason: string;
  address: string;
  personId?: string | null;
  objectType: string;
  objectId?: string | null;
  detail?: Record<string, unknown>;
}

const detailOf = (attempt: RefusedLogin) => ({
  ...attempt.detail,
  reason: attempt.reason,
  clientAddress: attempt.address,
  ...(attempt.personId ? { personId: attempt.personId } : {}),
});

/** A real failed attempt (a code or signature checked and wrong): audited in full, and counted by the limits. */
export async function recordFailedLogin(db: AppDatabase, attempt: RefusedLogin): Promise<void> {
  await recordAudit(db, {
    actorUserId: null,
    actorLabel: attempt.actorLabel,
    action: attempt.action,
    objectType: attempt.objectType,
    objectId: attempt.objectId ?? null,
    outcome: 'refused',
    detail: { ...detailOf(attempt), countsTowardLimit: true },
  });
}

/**
 * A refused login request that proves nothing about anyone's secret (malformed, unknown order or device,
 * order closed): audited, folded per address and reason a minute, never counted by the limits.
 */
export async function recordRefusedLogin(db: AppDatabase, attempt: RefusedLogin): Promise<void> {
  await recordFoldedRefusal(db, {
    actorUserId: null,
    actorLabel: attempt.actorLabel,
    action: attempt.action,
    objectType: attempt.objectType,
    objectId: attempt.objectId ?? null,
    detail: detailOf(attempt),
  });
}

/** An attempt the limits made wait; a separate action, folded, so waiting does not extend the wait. */
export async function recordRateLimitedLogin(
  db: AppDatabase,
  attempt: { method: 'mobile_siths' | 'card'; reason: string; address: string; personId?: string | null },
): Promise<void> {
  await recordFoldedRefusal(db, {
    actorUserId: null,
    actorLabel: attempt.method,
    action: 'login_rate_limited',
    objectType: attempt.personId ? 'person' : 'client_address',
    objectId: attempt.personId ?? attempt.address,
    detail: { reason: attempt.reason, clientAddress: attempt.address, method: attempt.method },
  });
}
