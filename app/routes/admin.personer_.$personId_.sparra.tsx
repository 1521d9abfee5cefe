import {
  type ActionFunctionArgs,
  json,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from '@remix-run/node';
import { Link, useActionData, useLoaderData } from '@remix-run/react';
import { endSessionsOfRevokedCredentials } from '~/auth/eid-sessions.server';
import { requireSection } from '~/auth/section.server';
import { Field, SubmitButton, ValidatedForm } from '~/forms/validated-form';
import { type FieldErrors, validateForm } from '~/forms/validation';
import { useT } from '~/i18n/use-translation';
import { labelFor } from '~/people/format';
import { CardTable, EidTable } from '~/people/person-tables';
import { requireRevocationSubject } from '~/people/revocation.server';
import { revocationFormSchema } from '~/people/revocation-form';
import personsStyles from '~/styles/persons.css';
import { recordAudit } from '../../db/audit';
import { revokeCard, revokeEid } from '../../db/revocations';
import { type RevocationReason, revocationReasons } from '../../protocol/domain-values';

export const meta: MetaFunction = () => [{ title: 'Spärra – SITHS eID-portalen' }];
export const links = () => [{ rel: 'stylesheet', href: personsStyles }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'persons');
  const { person, subject } = await requireRevocationSubject(
    request,
    context,
    principal,
    params.personId ?? '',
  );
  return {
    person: { id: person.id, name: `${person.givenName} ${person.surname}`, hsaId: person.hsaId },
    subject,
  };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const principal = await requireSection(request, context, 'persons');
  const personId = params.personId ?? '';
  const { subject } = await requireRevocationSubject(request, context, principal, personId);
  const actor = { userId: principal.userId, label: principal.username };
  const form = validateForm(revocationFormSchema, await request.formData());
  if (!form.ok) {
    await recordAudit(context.db, {
      actorUserId: actor.userId,
      actorLabel: actor.label,
      action: subject.kind === 'card' ? 'card_revoke' : 'eid_revoke',
      objectType: subject.kind,
      objectId: subject.kind === 'card' ? subject.card.id : subject.eid.id,
      outcome: 'refused',
      detail: { refusal: 'invalid_form', errors: form.errors, personId },
    });
    return json({ errors: form.errors, review: null }, { status: 400 });
  }
  if (form.data.intent === 'review') return json({ errors: null, review: { reason: form.data.reason } });
  const input = { reason: form.data.reason, actor };
  const result =
    subject.kind === 'card'
      ? await revokeCard(context.db, { ...input, cardId: subject.card.id })
      : await revokeEid(context.db, { ...input, eidId: subject.eid.id });
  if (!result.ok) {
    const errors: FieldErrors = { form: 'persons.revoke.error.notRevocable' };
    return json({ errors, review: null }, { status: 409 });
  }
  const credential =
    subject.kind === 'card' ? subject.card.serial : (subject.eid.mobileDeviceId ?? subject.eid.cardSerial);
  if (credential) await endSessionsOfRevokedCredentials(context, [credential], actor);
  return redirect(`/admin/personer/${personId}?sparrat=${subject.kind === 'card' ? 'kort' : 'eid'}`);
}

function ReasonStep() {
  const t = useT();
  return (
    <ValidatedForm schema={revocationFormSchema} method="post" className="card form">
      <p>{t('persons.revoke.intro')}</p>
      <input type="hidden" name="intent" value="review" />
      <Field as="select" name="reason" label={t('persons.revoke.reason')} defaultValue="">
        <option value="">{t('persons.revoke.chooseReason')}</option>
        {revocationReasons.map((reason) => (
          <option key={reason} value={reason}>
            {t(`persons.reason.${reason}`)}
          </option>
        ))}
      </Field>
      <SubmitButton>{t('persons.revoke.continue')}</SubmitButton>
    </ValidatedForm>
  );
}

function ConfirmStep({
  reason,
  kind,
  personId,
}: {
  reason: RevocationReason;
  kind: 'card' | 'eid';
  personId: string;
}) {
  const t = useT();
  return (
    <ValidatedForm schema={revocationFormSchema} method="post" className="card form revocation-confirm">
      <h2>{t('persons.revoke.confirmHeading')}</h2>
      <p>
        {t('persons.revoke.reason')}: <strong>{labelFor(t, 'persons.reason', reason)}</strong>
      </p>
      <p>{t(kind === 'card' ? 'persons.revoke.cardEffect' : 'persons.revoke.eidEffect')}</p>
      <p className="irreversible" role="alert">
        {t('persons.revoke.irreversible')}
      </p>
      <input type="hidden" name="intent" value="confirm" />
      <input type="hidden" name="reason" value={reason} />
      <div className="button-row">
        <SubmitButton className="primary danger">{t('persons.revoke.confirm')}</SubmitButton>
        <Link to={`/admin/personer/${personId}`}>{t('persons.revoke.cancel')}</Link>
      </div>
    </ValidatedForm>
  );
}

export default function RevocationPage() {
  const { person, subject } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const t = useT();
  const review = actionData && 'review' in actionData ? actionData.review : null;
  return (
    <>
      <p>
        <Link to={`/admin/personer/${person.id}`}>
          {person.name} ({person.hsaId})
        </Link>
      </p>
      <h1>{t(subject.kind === 'card' ? 'persons.revokeCard' : 'persons.revokeEid')}</h1>
      {subject.kind === 'card' ? (
        <CardTable cards={[subject.card]} revokeLink={null} />
      ) : (
        <EidTable eids={[subject.eid]} revokeLink={null} testId="revoked-eid" />
      )}
      {!subject.revocable ? (
        <p className="card notice error-text" role="alert">
          {t('persons.revoke.error.notRevocable')}
        </p>
      ) : review ? (
        <ConfirmStep reason={review.reason} kind={subject.kind} personId={person.id} />
      ) : (
        <ReasonStep />
      )}
    </>
  );
}
