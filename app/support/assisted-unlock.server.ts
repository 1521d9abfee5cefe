import { type AppLoadContext, json } from '@remix-run/node';
import { z } from 'zod';
import { identityViewerOf, type Principal } from '~/auth/permissions';
import { recordRefusedAttempt } from '~/auth/refused-attempt.server';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import {
  type AssistedUnlock,
  countRecentWrongSupportCodes,
  findAssistedUnlock,
  supportCodeAttemptLimit,
} from '../../db/assisted-unlocks';
import { cardsOfPerson, type PersonCard } from '../../db/person-read-model';
import { isHiddenFrom } from '../../db/protected-identity';
import type { ReaderState } from '../../protocol/agent-events';
import { identityCheckMethods, identityDocumentTypes } from '../../protocol/domain-values';

/** The six digits as the app shows them ("123 456"); spaces and dashes typed with them are ignored. */
export const pairingSchema = z.object({
  intent: z.literal('pair'),
  supportCode: z
    .string()
    .transform((code) => code.replace(/[\s-]/g, ''))
    .pipe(z.string().regex(/^\d{6}$/)),
  person: z.string().trim().min(1).max(40),
});

export const assistActionSchema = z.discriminatedUnion('intent', [
  z
    .object({
      intent: z.literal('start'),
      readerName: z.string().min(1).max(200),
      method: z.enum(identityCheckMethods),
      documentType: z.enum(identityDocumentTypes).optional(),
      documentNumberEnd: z
        .string()
        .trim()
        .toUpperCase()
        .regex(/^[0-9A-Z]{4}$/)
        .optional(),
    })
    .refine((input) => input.method !== 'id_document' || (input.documentType && input.documentNumberEnd), {
      path: ['documentNumberEnd'],
    }),
  z.object({ intent: z.literal('cancel') }),
  z.object({ intent: z.literal('end') }),
]);

export type AssistRefusal =
  | 'invalid_input'
  | 'unknown_person'
  | 'unknown_code'
  | 'expired_code'
  | 'used_code'
  | 'agent_gone'
  | 'too_many_attempts'
  | 'not_paired'
  | 'no_card_in_reader'
  | 'card_not_persons'
  | 'card_revoked'
  | 'card_not_unlockable'
  | 'no_running_job';

const refusalStatus: Record<AssistRefusal, number> = {
  invalid_input: 400,
  unknown_person: 404,
  unknown_code: 404,
  expired_code: 409,
  used_code: 409,
  agent_gone: 409,
  too_many_attempts: 429,
  not_paired: 409,
  no_card_in_reader: 409,
  card_not_persons: 409,
  card_revoked: 409,
  card_not_unlockable: 409,
  no_running_job: 409,
};

/** An audited refusal, answered in Swedish (the page shows `message`) with its status; never a 5xx. */
export async function refuseAssist(
  request: Request,
  context: AppLoadContext,
  principal: Principal,
  attempt: { action: string; objectType: string; objectId?: string | null },
  reason: AssistRefusal,
) {
  await recordRefusedAttempt(context.db, principal, attempt, { reason });
  const t = translator(await localeOf(request));
  return json(
    { ok: false as const, reason, message: t(`assistedUnlock.refusal.${reason}`) },
    { status: refusalStatus[reason] },
  );
}

export async function tooManyWrongCodes(context: AppLoadContext, principal: Principal): Promise<boolean> {
  return (
    (await countRecentWrongSupportCodes(context.db, principal.userId, new Date())) >= supportCodeAttemptLimit
  );
}

/**
 * The pairing, only for the staff member who made it; anyone else is answered as for a pairing that does
 * not exist (404), audited.
 */
export async function requireOwnAssist(
  request: Request,
  context: AppLoadContext,
  principal: Principal,
  assistId: string | undefined,
): Promise<AssistedUnlock> {
  const assist = assistId ? await findAssistedUnlock(context.db, assistId) : undefined;
  if (assist && assist.staffUserId === principal.userId) return assist;
  await recordRefusedAttempt(
    context.db,
    principal,
    { action: 'assisted_unlock_view', objectType: 'assisted_unlock', objectId: assistId },
    { reason: assist ? 'other_staff_member' : 'not_found' },
  );
  throw json({ message: translator(await localeOf(request))('error.notFound') }, { status: 404 });
}

/** The user's agent as this process or another one holds it; undefined when it is not connected. */
export async function connectedAgentOf(context: AppLoadContext, agentSessionId: string) {
  const here = context.agentRegistry.list().find((agent) => agent.agentSessionId === agentSessionId);
  if (here) return here;
  return (await context.jobs.agentsConnectedElsewhere()).find(
    (agent) => agent.agentSessionId === agentSessionId,
  );
}

export type ReaderCardStatus =
  | 'empty'
  | 'unread'
  | 'unlockable'
  | 'revoked'
  | 'not_unlockable'
  | 'not_persons';

export interface ReaderForAssist {
  name: string;
  cardSerial: string | null;
  status: ReaderCardStatus;
  card: Pick<PersonCard, 'id' | 'kind' | 'state' | 'validTo'> | null;
}

/**
 * The agent's readers next to the person's cards. The serial is what the agent read from the card: it
 * decides what the page offers, and the card proves it in the job (9E) before anything happens to it.
 */
export function readersForAssist(readers: readonly ReaderState[], personCards: readonly PersonCard[]) {
  return readers.map((reader): ReaderForAssist => {
    if (!reader.cardPresent) return { name: reader.name, cardSerial: null, status: 'empty', card: null };
    if (!reader.cardSerial) return { name: reader.name, cardSerial: null, status: 'unread', card: null };
    const card = personCards.find((held) => held.serial === reader.cardSerial);
    const shown = card && { id: card.id, kind: card.kind, state: card.state, validTo: card.validTo };
    return {
      name: reader.name,
      cardSerial: reader.cardSerial,
      card: shown ?? null,
      status: !card ? 'not_persons' : cardStatus(card.state),
    };
  });
}

function cardStatus(state: PersonCard['state']): ReaderCardStatus {
  if (state === 'locked' || state === 'active') return 'unlockable';
  if (state === 'revoked' || state === 'expired') return 'revoked';
  return 'not_unlockable';
}

/** The agent's readers as the pairing page shows them for this person. */
export async function readersOfPersonShown(
  context: AppLoadContext,
  readers: readonly ReaderState[],
  personId: string,
) {
  return readersForAssist(readers, await cardsOfPerson(context.db, personId));
}

const startRefusals: Record<ReaderCardStatus, AssistRefusal | null> = {
  empty: 'no_card_in_reader',
  unread: 'no_card_in_reader',
  not_persons: 'card_not_persons',
  revoked: 'card_revoked',
  not_unlockable: 'card_not_unlockable',
  unlockable: null,
};

/** Why an unlock may not start on the card in this reader (none in it counts as an empty reader), or null. */
export function startRefusalOf(reader: ReaderForAssist | undefined): AssistRefusal | null {
  return reader ? startRefusals[reader.status] : 'no_card_in_reader';
}

/** A person the principal may see, or undefined (a protected identity is nobody to those without the right). */
export function shownToPrincipal<T extends { protectedIdentity: boolean }>(principal: Principal, person: T) {
  return isHiddenFrom(identityViewerOf(principal), person.protectedIdentity) ? undefined : person;
}
