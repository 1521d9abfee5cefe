import {
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from '@remix-run/node';
import { useActionData, useLoaderData } from '@remix-run/react';
import { requireSection } from '~/auth/section.server';
import { useT } from '~/i18n/use-translation';
import { requireShownPerson } from '~/people/person-access.server';
import {
  pairingSchema,
  refuseAssist,
  shownToPrincipal,
  tooManyWrongCodes,
} from '~/support/assisted-unlock.server';
import { SupportCodeForm } from '~/support/support-code-form';
import { pairWithSupportCode } from '../../db/assisted-unlocks';
import { recordAudit } from '../../db/audit';
import { findPersonById, findPersonByIdentifier } from '../../db/persons';

export const meta: MetaFunction = () => [
  { title: 'Lås upp kort med användaren i telefon – SITHS eID-portalen' },
];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'assistedUnlock');
  const personId = new URL(request.url).searchParams.get('person');
  if (!personId) return { person: null };
  const person = await requireShownPerson(request, context, principal, personId, 'assisted_unlock_view');
  return { person: { id: person.id, name: `${person.givenName} ${person.surname}`, hsaId: person.hsaId } };
}

/**
 * Koppla: the support code the user reads out pairs this staff member with the SITHS eID-app that showed
 * it, for one person. A wrong, used or expired code is refused and audited; too many wrong ones pause.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const principal = await requireSection(request, context, 'assistedUnlock');
  const attempt = { action: 'assisted_unlock_pair', objectType: 'support_code' };
  const input = pairingSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!input.success) return refuseAssist(request, context, principal, attempt, 'invalid_input');
  if (await tooManyWrongCodes(context, principal))
    return refuseAssist(request, context, principal, attempt, 'too_many_attempts');
  const found =
    (await findPersonById(context.db, input.data.person)) ??
    (await findPersonByIdentifier(context.db, input.data.person));
  const person = found && shownToPrincipal(principal, found);
  if (!person) return refuseAssist(request, context, principal, attempt, 'unknown_person');
  const paired = await pairWithSupportCode(context.db, {
    code: input.data.supportCode,
    secret: context.masterKey,
    personId: person.id,
    staffUserId: principal.userId,
    now: new Date(),
  });
  if (!paired.ok) return refuseAssist(request, context, principal, attempt, paired.reason);
  const { assistedUnlockId, agentSessionId } = paired.pairing;
  await recordAudit(context.db, {
    actorUserId: principal.userId,
    actorLabel: principal.username,
    action: 'assisted_unlock_pair',
    objectType: 'person',
    objectId: person.id,
    outcome: 'success',
    detail: { assistedUnlockId, agentSessionId },
  });
  await context.jobs.notifyPairing(agentSessionId, { state: 'paired', staffName: principal.displayName });
  return redirect(`/admin/las-upp-kort/${assistedUnlockId}`);
}

export default function AssistedUnlockStart() {
  const { person } = useLoaderData<typeof loader>();
  const refusal = useActionData<typeof action>();
  const t = useT();
  return (
    <>
      <h1>{t('assistedUnlock.heading')}</h1>
      <p>{t('assistedUnlock.intro')}</p>
      <SupportCodeForm person={person} refusal={refusal && !refusal.ok ? refusal.message : null} />
    </>
  );
}
