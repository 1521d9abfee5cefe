import {
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from '@remix-run/node';
import { Link, useLoaderData, useSearchParams } from '@remix-run/react';
import { type Attempted, refusalResponse, requireSystemAdmin } from '~/administration/access.server';
import { createUnitSchema, grantRoleSchema, roleLabels } from '~/administration/forms';
import { invalidInput } from '~/forms/invalid-input.server';
import { Field, SubmitButton, ValidatedForm } from '~/forms/validated-form';
import { validateForm } from '~/forms/validation';
import type { MessageKey } from '~/i18n/catalogue';
import { useT } from '~/i18n/use-translation';
import areaStyles from '~/styles/administration.css';
import {
  createUnit,
  grantRole,
  listStaff,
  listUnitTree,
  type StaffMember,
  type UnitTreeNode,
} from '../../db/administration';
import { staffRoles } from '../../protocol/domain-values';

export const meta: MetaFunction = () => [{ title: 'Administration – SITHS eID-portalen' }];
export const links = () => [{ rel: 'stylesheet', href: areaStyles }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireSystemAdmin(request, context, {
    action: 'open_administration',
    objectType: 'dashboard_section',
  });
  return { units: await listUnitTree(context.db), staff: await listStaff(context.db) };
}

const createAttempt: Attempted = { action: 'unit_create', objectType: 'unit' };
const grantAttempt: Attempted = { action: 'staff_role_grant', objectType: 'staff_role_assignment' };

export async function action({ request, context }: ActionFunctionArgs) {
  const formData = await request.formData();
  const creating = formData.get('intent') !== 'grant_role';
  const attempted = creating ? createAttempt : grantAttempt;
  const { principal, actor } = await requireSystemAdmin(request, context, attempted);
  if (creating) {
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
  const form = validateForm(grantRoleSchema, formData);
  if (!form.ok) return await invalidInput(context, principal, attempted, form.errors);
  const grant = { userId: form.data.userId, role: form.data.role, unitId: form.data.roleUnitId };
  const outcome = await grantRole(context.db, grant, actor);
  if (!outcome.ok) return refusalResponse(outcome.refusal);
  context.sessions.accessChanged(grant.userId);
  throw redirect('/admin/administration?klart=roll');
}

const doneMessages: Record<string, MessageKey> = {
  enhet: 'administration.newUnit.created',
  roll: 'administration.grant.granted',
  borttagen: 'administration.revoke.removed',
  namn: 'administration.rename.renamed',
};

export default function AdministrationPage() {
  const { units, staff } = useLoaderData<typeof loader>();
  const t = useT();
  const done = doneMessages[useSearchParams()[0].get('klart') ?? ''];
  return (
    <>
      <h1>{t('administration.heading')}</h1>
      <p className="muted">{t('administration.intro')}</p>
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
        <GrantRoleForm staff={staff} units={units} />
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
            <tr key={member.userId} data-testid={`staff-${member.username}`}>
              <th scope="row">
                {member.displayName}
                {member.disabled && <span className="badge"> {t('administration.staff.disabled')}</span>}
              </th>
              <td>{member.username}</td>
              <td className="hsa-id">{member.personHsaId ?? '–'}</td>
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
        </li>
      ))}
    </ul>
  );
}

function GrantRoleForm({ staff, units }: { staff: StaffMember[]; units: UnitTreeNode[] }) {
  const t = useT();
  return (
    <section aria-labelledby="grant-heading" className="card">
      <h2 id="grant-heading">{t('administration.grant.heading')}</h2>
      <ValidatedForm schema={grantRoleSchema} method="post" className="administration-form">
        <input type="hidden" name="intent" value="grant_role" />
        <Field as="select" name="userId" label={t('administration.grant.user')} defaultValue="">
          <option value="">{t('administration.grant.chooseUser')}</option>
          {staff.map((member) => (
            <option key={member.userId} value={member.userId}>
              {`${member.displayName} (${member.username})`}
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
