import { z } from 'zod';
import { revocationReasons } from '../../protocol/domain-values';

/** Revoking is two steps: `review` shows what will be revoked, `confirm` does it. */
export const revocationFormSchema = z.object({
  intent: z.enum(['review', 'confirm'], { message: 'form.error.invalid' }),
  reason: z.enum(revocationReasons, { message: 'persons.revoke.error.reason' }),
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
