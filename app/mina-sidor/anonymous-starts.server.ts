import { type AppLoadContext, json } from '@remix-run/node';
import { recordFoldedRefusal } from '../../db/audit';

export interface TooManyStarts {
  ok: false;
  tooManyStarts: true;
  retryAfterSeconds: number;
}

/**
 * Takes one of the client address's auth-order starts for someone not logged in (server/auth/anonymous-limits.ts);
 * when none is left, the refusal is audited (folded) and the caller answers `tooManyStartsResponse`.
 */
export async function takeAnonymousStart(
  context: AppLoadContext,
  what: 'mobile_siths_login' | 'card_login' | 'reserve_registration',
): Promise<{ ok: true } | TooManyStarts> {
  const allowed = await context.anonymousLimits.takeStart(context.clientAddress);
  if (allowed.ok) return allowed;
  await recordFoldedRefusal(context.db, {
    actorUserId: null,
    actorLabel: 'anonym',
    action: 'auth_order_start',
    objectType: 'client_address',
    objectId: context.clientAddress,
    detail: { reason: 'rate_limited', kind: what, clientAddress: context.clientAddress },
  });
  return { ok: false, tooManyStarts: true, retryAfterSeconds: allowed.retryAfterSeconds };
}

/** 429 with Retry-After; the page shows "För många försök. Vänta N sekunder och försök igen." */
export function tooManyStartsResponse(refused: TooManyStarts) {
  return json(refused, {
    status: 429,
    headers: { 'Retry-After': String(refused.retryAfterSeconds), 'Cache-Control': 'no-store' },
  });
}
