import { z } from 'zod';
import { revocationReasons } from '../../protocol/domain-values';

/**
 * Revoking is three steps: `review` shows what will be revoked, `sign` starts the signing of the statement
 * with the ID-administrator's SITHS eID (`method`), `confirm` revokes with that signature (`orderId`).
 */
export const revocationFormSchema = z.object({
  intent: z.enum(['review', 'sign', 'confirm'], { message: 'form.error.invalid' }),
  reason: z.enum(revocationReasons, { message: 'persons.revoke.error.reason' }),
  method: z.enum(['card', 'mobile_siths'], { message: 'form.error.invalid' }).optional(),
  orderId: z.uuid({ message: 'form.error.invalid' }).optional(),
});

/** What the revocation page acts on, from its URL: `?kort=<card id>` or `?eid=<eID id>`. */
export type RevocationTarget = { kind: 'card'; id: string } | { kind: 'eid'; id: string };

export function revocationTargetOf(url: URL): RevocationTarget | null {
  const cardId = url.searchParams.get('kort');
  const eidId = url.searchParams.get('eid');
  if (cardId && !eidId) return { kind: 'card', id: cardId };
  if (eidId && !cardId) return { kind: 'eid', id: eidId };
  return null;
}
