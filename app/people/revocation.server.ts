import { type AppLoadContext, json } from '@remix-run/node';
import { identityViewerOf, type Principal } from '~/auth/permissions';
import { requireRole } from '~/auth/staff.server';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import { recordAudit } from '../../db/audit';
import type { PersonCard, PersonEid } from '../../db/person-read-model';
import { findHeldCard, findHeldEid, findPersonById } from '../../db/persons';
import { isHiddenFrom } from '../../db/protected-identity';
import { type RevocationTarget, revocationTargetOf } from './revocation-form';

export type RevocationSubject =
  | { kind: 'card'; card: PersonCard; revocable: boolean }
  | { kind: 'eid'; eid: PersonEid; revocable: boolean };

const revokeAction = (target: RevocationTarget | null) =>
  target?.kind === 'eid' ? 'eid_revoke' : 'card_revoke';

/**
 * What the revocation page acts on, after the checks every request to it passes: ID-administrator (any unit),
 * and a card or eID the person in the URL really holds, and a person the principal may see (a protected
 * identity is answered as nobody). Refusals are audited and thrown as 403 or 404.
 */
export async function requireRevocationSubject(
  request: Request,
  context: AppLoadContext,
  principal: Principal,
  personId: string,
) {
  const target = revocationTargetOf(new URL(request.url));
  const action = revokeAction(target);
  await requireRole(request, context, principal, ['id_admin'], {
    action,
    objectType: target?.kind ?? 'card',
  });
  const person = await findPersonById(context.db, personId);
  const hidden = person !== undefined && isHiddenFrom(identityViewerOf(principal), person.protectedIdentity);
  const subject = person && target && !hidden ? await findSubject(context, personId, target) : undefined;
  if (!person || !subject) {
    await recordAudit(context.db, {
      actorUserId: principal.userId,
      actorLabel: principal.username,
      action,
      objectType: target?.kind ?? 'card',
      objectId: target?.id ?? null,
      outcome: 'refused',
      detail: { refusal: hidden ? 'protected_identity' : 'not_found', personId },
    });
    const t = translator(await localeOf(request));
    throw json({ message: t('persons.revoke.error.notFound') }, { status: 404 });
  }
  return { person, subject };
}

async function findSubject(
  context: AppLoadContext,
  personId: string,
  target: RevocationTarget,
): Promise<RevocationSubject | undefined> {
  if (target.kind === 'card') {
    const card = await findHeldCard(context.db, personId, target.id);
    return card && { kind: 'card', card, revocable: ['assigned', 'active', 'locked'].includes(card.state) };
  }
  const eid = await findHeldEid(context.db, personId, target.id);
  return eid && { kind: 'eid', eid, revocable: eid.state === 'active' && eid.validTo > Date.now() };
}
