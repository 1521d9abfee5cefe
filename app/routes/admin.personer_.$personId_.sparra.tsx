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
import {
  type DecisionToSign,
  type SigningRefusal,
  signerOf,
  startDecisionSigning,
  takeDecisionSignature,
} from '~/decisions/decision-signing.server';
import { SignDecisionChoice, SignDecisionProgress } from '~/decisions/sign-decision-panel';
import { signingRefusalStatus } from '~/decisions/signing-refusals';
import { revocationStatement } from '~/decisions/statements';
import { Field, SubmitButton, ValidatedForm } from '~/forms/validated-form';
import { type FieldErrors, validateForm } from '~/forms/validation';
import { translator } from '~/i18n/catalogue';
import { useT } from '~/i18n/use-translation';
import { labelFor } from '~/people/format';
import { CardTable, EidTable } from '~/people/person-tables';
import { requireRevocationSubject } from '~/people/revocation.server';
import { revocationFormSchema } from '~/people/revocation-form';
import personsStyles from '~/styles/persons.css';
import { recordAudit } from '../../db/audit';
import { revokeCard, revokeEid } from '../../db/revocations';
import { type RevocationReason, revocationReasons } from '../../protocol/domain-values';

/** Statements are Swedish whatever the page's language. */
const swedish = translator('sv');

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
    agentLocalUrl: context.agentLocalUrl,
  };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const principal = await requireSection(request, context, 'persons');
  const personId = params.personId ?? '';
  const { person, subject } = await requireRevocationSubject(request, context, principal, personId);
  const actor = { userId: principal.userId, label: principal.username };
  const form = validateForm(revocationFormSchema, await request.formData());
  const objectId = subject.kind === 'card' ? subject.card.id : subject.eid.id;
  const incomplete =
    form.ok &&
    ((form.data.intent === 'sign' && !form.data.method) ||
      (form.data.intent === 'confirm' && !form.data.orderId));
  if (!form.ok || incomplete) {
    const errors: FieldErrors = form.ok ? { form: 'form.error.invalid' } : form.errors;
    await recordAudit(context.db, {
      actorUserId: actor.userId,
      actorLabel: actor.label,
      action: subject.kind === 'card' ? 'card_revoke' : 'eid_revoke',
      objectType: subject.kind,
      objectId,
      outcome: 'refused',
      detail: { refusal: 'invalid_form', errors, personId },
    });
    return json({ errors, review: null, signing: null }, { status: 400 });
  }
  const { reason, intent } = form.data;
  const review = { reason };
  if (intent === 'review') return json({ errors: null, review, signing: null });

  const signer = await signerOf(context, principal);
  const decision: DecisionToSign = {
    kind: 'revocation',
    objectType: subject.kind,
    objectId,
    unitId: null,
    statementFor: (orderId, at) =>
      revocationStatement(
        {
          signer: signer ?? { name: principal.displayName, hsaId: '' },
          holder: { name: `${person.givenName} ${person.surname}`, hsaId: person.hsaId },
          revoked:
            subject.kind === 'card'
              ? { kind: 'card', cardSerial: subject.card.serial }
              : {
                  kind: 'eid',
                  certificateSerial: subject.eid.certificateSerial,
                  on: subject.eid.cardSerial
                    ? `på SITHS-kort ${subject.eid.cardSerial}`
                    : `på Mobilt SITHS ${subject.eid.mobileDeviceName ?? ''}`.trim(),
                },
          reason: swedish(`persons.reason.${reason}`),
        },
        orderId,
        at,
      ),
  };
  const refuse = (refusal: SigningRefusal | 'signature_spent') =>
    json(
      { errors: { form: `decision.error.${refusal}` } satisfies FieldErrors, review, signing: null },
      { status: signingRefusalStatus[refusal] },
    );

  if (intent === 'sign') {
    const started = await startDecisionSigning(context, principal, decision, form.data.method ?? 'card');
    if (!started.ok) return refuse(started.reason);
    const { cookie, ...signing } = started.signing;
    return json({ errors: null, review, signing }, cookie ? { headers: { 'Set-Cookie': cookie } } : {});
  }

  const signed = await takeDecisionSignature(context, principal, decision, form.data.orderId ?? '');
  if (!signed.ok) return refuse(signed.reason);
  const input = { reason, actor, signature: signed.signature };
  const result =
    subject.kind === 'card'
      ? await revokeCard(context.db, { ...input, cardId: subject.card.id })
      : await revokeEid(context.db, { ...input, eidId: subject.eid.id });
  if (!result.ok) {
    if (result.error === 'signature_spent') return refuse('signature_spent');
    const errors: FieldErrors = { form: 'persons.revoke.error.notRevocable' };
    return json({ errors, review: null, signing: null }, { status: 409 });
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

function ConfirmStep({ reason, kind }: { reason: RevocationReason; kind: 'card' | 'eid' }) {
  const t = useT();
  return (
    <div className="card form revocation-confirm">
      <h2>{t('persons.revoke.confirmHeading')}</h2>
      <p>
        {t('persons.revoke.reason')}: <strong>{labelFor(t, 'persons.reason', reason)}</strong>
      </p>
      <p>{t(kind === 'card' ? 'persons.revoke.cardEffect' : 'persons.revoke.eidEffect')}</p>
      <p className="irreversible" role="alert">
        {t('persons.revoke.irreversible')}
      </p>
      <SignDecisionChoice fields={{ reason }} />
    </div>
  );
}

export default function RevocationPage() {
  const { person, subject, agentLocalUrl } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const t = useT();
  const review = actionData?.review ?? null;
  const signing = actionData?.signing ?? null;
  const formError = actionData?.errors && 'form' in actionData.errors ? actionData.errors.form : null;
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
      ) : review && signing ? (
        <SignDecisionProgress
          signing={signing}
          agentLocalUrl={agentLocalUrl}
          fields={{ reason: review.reason }}
        />
      ) : review ? (
        <ConfirmStep reason={review.reason} kind={subject.kind} />
      ) : (
        <ReasonStep />
      )}
      {formError && review ? (
        <p className="card notice error-text" role="alert">
          {t(formError)}
        </p>
      ) : null}
      {review ? <Link to={`/admin/personer/${person.id}`}>{t('persons.revoke.cancel')}</Link> : null}
    </>
  );
}
