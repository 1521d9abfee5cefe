import {
  type ActionFunctionArgs,
  type AppLoadContext,
  json,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
  type SerializeFrom,
} from '@remix-run/node';
import { Link, useActionData, useLoaderData, useSearchParams } from '@remix-run/react';
import { type Attempted, refusalResponse, requireSystemAdmin } from '~/administration/access.server';
import { createUnitSchema, grantIntents, grantRoleSchema, roleLabels } from '~/administration/forms';
import { roleGrantDecision } from '~/administration/role-grant-decision.server';
import { identityViewerOf, type Principal } from '~/auth/permissions';
import {
  type SigningHandle,
  type SigningMethod,
  type SigningRefusal,
  startDecisionSigning,
  takeDecisionSignature,
} from '~/decisions/decision-signing.server';
import { SignDecisionChoice, SignDecisionProgress } from '~/decisions/sign-decision-panel';
import { SignedBy } from '~/decisions/signed-decision-list';
import { signingRefusalStatus } from '~/decisions/signing-refusals';
import { invalidInput } from '~/forms/invalid-input.server';
import { Field, SubmitButton, ValidatedForm } from '~/forms/validated-form';
import { type FieldErrors, validateForm } from '~/forms/validation';
import type { MessageKey } from '~/i18n/catalogue';
import { useT } from '~/i18n/use-translation';
import { HiddenIdentityName, ProtectedIdentityBadge } from '~/people/protected-identity';
import areaStyles from '~/styles/administration.css';
import {
  type AdminActor,
  createUnit,
  grantNeedsSignature,
  grantRole,
  listStaff,
  listUnitTree,
  reviewRoleGrant,
  type UnitTreeNode,
} from '../../db/administration';
import { type StaffRole, staffRoles } from '../../protocol/domain-values';

export const meta: MetaFunction = () => [{ title: 'Administration – SITHS eID-portalen' }];
export const links = () => [{ rel: 'stylesheet', href: areaStyles }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { principal } = await requireSystemAdmin(request, context, {
    action: 'open_administration',
    objectType: 'dashboard_section',
  });
  return {
    units: await listUnitTree(context.db),
    staff: await listStaff(context.db, identityViewerOf(principal)),
    canSign: principal.personId !== null,
    agentLocalUrl: context.agentLocalUrl,
  };
}

const createAttempt: Attempted = { action: 'unit_create', objectType: 'unit' };
const grantAttempt: Attempted = { action: 'staff_role_grant', objectType: 'staff_role_assignment' };

export async function action({ request, context }: ActionFunctionArgs) {
  const formData = await request.formData();
  const creating = !(grantIntents as readonly unknown[]).includes(formData.get('intent'));
  const attempted = creating ? createAttempt : grantAttempt;
  const { principal, actor } = await requireSystemAdmin(request, context, attempted);
  if (!creating) return await grantAction(context, principal, actor, formData);
  const form = validateForm(createUnitSchema, formData);
  if (!form.ok) return await invalidInput(context, principal, attempted, form.errors);
  const outcome = await createUnit(
    context.db,
    { hsaId: form.data.hsaId, name: form.data.name, parentId: form.data.parentId },
    actor,
  );
  if (!outcome.ok) return refusalResponse(outcome.refusal);
  throw redirect('/admin/administration?klart=enhet');
}

/** A grant waiting for its signature, as the page shows it and posts it again with each step. */
interface GrantUnderReview {
  userId: string;
  role: StaffRole;
  roleUnitId: string | null;
  grantee: { name: string; hsaId: string };
  unitName: string | null;
}

/** Grants a role; a role in signedGrantRoles (ID-administrator) only as a signed decision (grantSignedRole). */
async function grantAction(
  context: AppLoadContext,
  principal: Principal,
  actor: AdminActor,
  formData: FormData,
) {
  const form = validateForm(grantRoleSchema, formData);
  if (!form.ok) return await invalidInput(context, principal, grantAttempt, form.errors);
  const { intent, method, orderId, ...fields } = form.data;
  const signed = grantNeedsSignature(fields.role);
  const incomplete =
    (intent !== 'grant_role' && !signed) ||
    (intent === 'sign' && !method) ||
    (intent === 'confirm' && !orderId);
  if (incomplete) return await invalidInput(context, principal, grantAttempt, { form: 'form.error.invalid' });
  if (signed) return await grantSignedRole(context, principal, actor, fields, { intent, method, orderId });
  const grant = { userId: fields.userId, role: fields.role, unitId: fields.roleUnitId };
  const outcome = await grantRole(context.db, grant, actor);
  if (!outcome.ok) return refusalResponse(outcome.refusal);
  context.sessions.accessChanged(grant.userId);
  throw redirect('/admin/administration?klart=roll');
}

/**
 * `grant_role` checks the grant and shows it for signing, `sign` starts the granter's signing of its statement
 * (card or Mobile SITHS), `confirm` grants with the signature of exactly this grant by this session's person.
 */
async function grantSignedRole(
  context: AppLoadContext,
  principal: Principal,
  actor: AdminActor,
  fields: { userId: string; role: StaffRole; roleUnitId: string | null },
  step: { intent: (typeof grantIntents)[number]; method?: SigningMethod; orderId?: string },
) {
  const grant = { userId: fields.userId, role: fields.role, unitId: fields.roleUnitId };
  const reviewed = await reviewRoleGrant(context.db, grant, actor);
  if (!reviewed.ok) return refusalResponse(reviewed.refusal);
  const review: GrantUnderReview = { ...fields, ...reviewed.review };
  if (step.intent === 'grant_role') return json({ errors: null, review, signing: null });

  const decision = await roleGrantDecision(context, principal, grant, reviewed.review);
  const refuse = (refusal: SigningRefusal) => {
    const message: MessageKey =
      refusal === 'no_person' ? 'administration.error.signerWithoutPerson' : `decision.error.${refusal}`;
    const errors: FieldErrors = { signature: message };
    return json({ errors, review, signing: null }, { status: signingRefusalStatus[refusal] });
  };
  if (step.intent === 'sign') {
    const started = await startDecisionSigning(context, principal, decision, step.method ?? 'card');
    if (!started.ok) return refuse(started.reason);
    const { cookie, ...signing } = started.signing;
    return json({ errors: null, review, signing }, cookie ? { headers: { 'Set-Cookie': cookie } } : {});
  }
  const signature = await takeDecisionSignature(context, principal, decision, step.orderId ?? '');
  if (!signature.ok) return refuse(signature.reason);
  const outcome = await grantRole(context.db, grant, actor, signature.signature);
  if (!outcome.ok) return refusalResponse(outcome.refusal, { review, signing: null });
  context.sessions.accessChanged(grant.userId);
  throw redirect('/admin/administration?klart=roll');
}

type StaffMember = SerializeFrom<typeof loader>['staff'][number];

const doneMessages: Record<string, MessageKey> = {
  enhet: 'administration.newUnit.created',
  roll: 'administration.grant.granted',
  borttagen: 'administration.revoke.removed',
  namn: 'administration.rename.renamed',
};

export default function AdministrationPage() {
  const { units, staff, canSign, agentLocalUrl } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const t = useT();
  const done = doneMessages[useSearchParams()[0].get('klart') ?? ''];
  const review = actionData && 'review' in actionData ? actionData.review : null;
  const signing = actionData && 'signing' in actionData ? actionData.signing : null;
  const reviewError =
    review && actionData?.errors ? (Object.values(actionData.errors).find(Boolean) ?? null) : null;
  return (
    <>
      <h1>{t('administration.heading')}</h1>
      <p className="muted">{t('administration.intro')}</p>
      <p>
        <Link to="/admin/administration/katalog">{t('directory.link')}</Link>
      </p>
      {done && (
        <p className="card notice" role="status">
          {t(done)}
        </p>
      )}
      <div className="administration-layout">
        <UnitTree units={units} />
        <NewUnitForm units={units} />
      </div>
      <div className="administration-layout">
        <StaffTable staff={staff} />
        {review ? (
          <SignedGrant review={review} signing={signing} agentLocalUrl={agentLocalUrl} error={reviewError} />
        ) : (
          <GrantRoleForm staff={staff} units={units} canSign={canSign} />
        )}
      </div>
    </>
  );
}

function UnitTree({ units }: { units: UnitTreeNode[] }) {
  const t = useT();
  return (
    <section aria-labelledby="units-heading">
      <h2 id="units-heading">{t('administration.units.heading')}</h2>
      <table className="table unit-tree">
        <thead>
          <tr>
            <th scope="col">{t('administration.units.name')}</th>
            <th scope="col">{t('administration.units.hsaId')}</th>
            <th scope="col">{t('administration.units.organisation')}</th>
            <th scope="col">{t('administration.units.persons')}</th>
            <th scope="col">{t('administration.units.staff')}</th>
            <th scope="col">{t('administration.units.rename')}</th>
          </tr>
        </thead>
        <tbody>
          {units.map((unit) => (
            <tr key={unit.id} data-testid={`unit-${unit.hsaId}`}>
              <th scope="row" style={{ paddingLeft: `${0.5 + unit.depth * 1.5}rem` }}>
                {unit.name}
              </th>
              <td className="hsa-id">{unit.hsaId}</td>
              <td>{unit.organisation}</td>
              <td>{unit.personCount}</td>
              <td>{unit.staffCount}</td>
              <td>
                <Link className="button small" to={`/admin/administration/enhet/${unit.id}`}>
                  {t('administration.units.rename')}
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function NewUnitForm({ units }: { units: UnitTreeNode[] }) {
  const t = useT();
  return (
    <section aria-labelledby="new-unit-heading" className="card">
      <h2 id="new-unit-heading">{t('administration.newUnit.heading')}</h2>
      <ValidatedForm schema={createUnitSchema} method="post" className="administration-form">
        <input type="hidden" name="intent" value="create_unit" />
        <Field
          name="hsaId"
          label={t('administration.newUnit.hsaId')}
          hint={t('administration.newUnit.hsaIdHint')}
          autoComplete="off"
        />
        <Field name="name" label={t('administration.newUnit.name')} autoComplete="off" />
        <Field as="select" name="parentId" label={t('administration.newUnit.parent')} defaultValue="">
          <option value="">{t('administration.newUnit.chooseParent')}</option>
          <UnitOptions units={units} />
        </Field>
        <SubmitButton>{t('administration.newUnit.submit')}</SubmitButton>
      </ValidatedForm>
    </section>
  );
}

function UnitOptions({ units }: { units: UnitTreeNode[] }) {
  return units.map((unit) => (
    <option key={unit.id} value={unit.id}>
      {`${'\u00a0\u00a0'.repeat(unit.depth)}${unit.name}`}
    </option>
  ));
}

function StaffTable({ staff }: { staff: StaffMember[] }) {
  const t = useT();
  return (
    <section aria-labelledby="staff-heading">
      <h2 id="staff-heading">{t('administration.staff.heading')}</h2>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">{t('administration.staff.name')}</th>
            <th scope="col">{t('administration.staff.username')}</th>
            <th scope="col">{t('administration.staff.hsaId')}</th>
            <th scope="col">{t('administration.staff.roles')}</th>
          </tr>
        </thead>
        <tbody>
          {staff.map((member) => (
            <tr key={member.userId} data-testid={`staff-${member.hidden ? member.userId : member.username}`}>
              <th scope="row">
                {member.hidden ? (
                  <HiddenIdentityName />
                ) : (
                  <>
                    {member.displayName} <ProtectedIdentityBadge shown={member.protectedIdentity} />
                  </>
                )}
                {member.disabled && <span className="badge"> {t('administration.staff.disabled')}</span>}
              </th>
              <td>{member.hidden ? '–' : member.username}</td>
              <td className="hsa-id">{(!member.hidden && member.personHsaId) || '–'}</td>
              <td>
                <StaffRoles member={member} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function StaffRoles({ member }: { member: StaffMember }) {
  const t = useT();
  if (member.roles.length === 0) return <span className="muted">{t('administration.staff.noRoles')}</span>;
  return (
    <ul className="role-list">
      {member.roles.map((role) => (
        <li key={role.assignmentId} data-testid={`role-${role.assignmentId}`}>
          {t(roleLabels[role.role])}
          {role.unitName ? `, ${role.unitName}` : ''}{' '}
          <Link className="button small" to={`/admin/administration/roll/${role.assignmentId}/ta-bort`}>
            {t('administration.staff.remove')}
          </Link>
          {role.signedGrant && (
            <div className="signed-grant muted" data-testid="signed-grant">
              <SignedBy decision={{ ...role.signedGrant, id: role.signedGrant.signedDecisionId }} />
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}

function GrantRoleForm({
  staff,
  units,
  canSign,
}: {
  staff: StaffMember[];
  units: UnitTreeNode[];
  canSign: boolean;
}) {
  const t = useT();
  return (
    <section aria-labelledby="grant-heading" className="card">
      <h2 id="grant-heading">{t('administration.grant.heading')}</h2>
      {!canSign && <p className="muted">{t('administration.grant.signed.noPersonNotice')}</p>}
      <ValidatedForm schema={grantRoleSchema} method="post" className="administration-form">
        <input type="hidden" name="intent" value="grant_role" />
        <Field as="select" name="userId" label={t('administration.grant.user')} defaultValue="">
          <option value="">{t('administration.grant.chooseUser')}</option>
          {staff.map((member) => (
            <option key={member.userId} value={member.userId}>
              {member.hidden ? t('protected.identity') : `${member.displayName} (${member.username})`}
            </option>
          ))}
        </Field>
        <Field as="select" name="role" label={t('administration.grant.role')} defaultValue="">
          <option value="">{t('administration.grant.chooseRole')}</option>
          {staffRoles.map((role) => (
            <option key={role} value={role}>
              {t(roleLabels[role])}
            </option>
          ))}
        </Field>
        <Field
          as="select"
          name="roleUnitId"
          label={t('administration.grant.unit')}
          hint={t('administration.grant.unitHint')}
          defaultValue=""
        >
          <option value="">{t('administration.grant.noUnit')}</option>
          <UnitOptions units={units} />
        </Field>
        <SubmitButton>{t('administration.grant.submit')}</SubmitButton>
      </ValidatedForm>
    </section>
  );
}

/**
 * The grant of a role that is a signed decision: what is granted to whom, then the choice of card or Mobile
 * SITHS, then the signing order until the signature is there and the page confirms.
 */
function SignedGrant({
  review,
  signing,
  agentLocalUrl,
  error,
}: {
  review: GrantUnderReview;
  signing: SigningHandle | null;
  agentLocalUrl: string;
  error: MessageKey | null;
}) {
  const t = useT();
  const fields = { userId: review.userId, role: review.role, roleUnitId: review.roleUnitId ?? '' };
  return (
    <section aria-labelledby="signed-grant-heading" className="card">
      <h2 id="signed-grant-heading">{t('administration.grant.signed.heading')}</h2>
      <p>{t('administration.grant.signed.intro')}</p>
      <dl className="facts">
        <div>
          <dt>{t('administration.grant.signed.grantee')}</dt>
          <dd>{`${review.grantee.name} (${review.grantee.hsaId})`}</dd>
        </div>
        <div>
          <dt>{t('administration.grant.signed.role')}</dt>
          <dd>{t(roleLabels[review.role])}</dd>
        </div>
        <div>
          <dt>{t('administration.grant.signed.scope')}</dt>
          <dd>{review.unitName ?? t('administration.grant.wholeRegion')}</dd>
        </div>
      </dl>
      {signing ? (
        <SignDecisionProgress signing={signing} agentLocalUrl={agentLocalUrl} fields={fields} />
      ) : (
        <SignDecisionChoice fields={fields} />
      )}
      {error && (
        <p className="notice error-text" role="alert">
          {t(error)}
        </p>
      )}
      <Link to="/admin/administration">{t('administration.grant.signed.cancel')}</Link>
    </section>
  );
}
