import {
  type ActionFunctionArgs,
  json,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { refusalResponse, requireSystemAdmin } from '~/administration/access.server';
import { revokeRoleSchema, roleLabels } from '~/administration/forms';
import { identityViewerOf } from '~/auth/permissions';
import { invalidInput } from '~/forms/invalid-input.server';
import { SubmitButton, ValidatedForm } from '~/forms/validated-form';
import { validateForm } from '~/forms/validation';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import { useT } from '~/i18n/use-translation';
import { HiddenIdentityName } from '~/people/protected-identity';
import areaStyles from '~/styles/administration.css';
import { findRoleAssignment, revokeRole } from '../../db/administration';

export const meta: MetaFunction = () => [{ title: 'Ta bort roll – SITHS eID-portalen' }];
export const links = () => [{ rel: 'stylesheet', href: areaStyles }];

const attemptOf = (assignmentId: string) => ({
  action: 'staff_role_revoke' as const,
  objectType: 'staff_role_assignment',
  objectId: assignmentId,
});

/** The confirm step: the user loses the permission at once, so removing a role has a page of its own. */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const assignmentId = params.assignmentId ?? '';
  const { principal } = await requireSystemAdmin(request, context, attemptOf(assignmentId));
  const assignment = await findRoleAssignment(context.db, assignmentId, identityViewerOf(principal));
  if (!assignment)
    throw json({ message: translator(await localeOf(request))('error.notFound') }, { status: 404 });
  return { assignment };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const assignmentId = params.assignmentId ?? '';
  const { principal, actor } = await requireSystemAdmin(request, context, attemptOf(assignmentId));
  const form = validateForm(revokeRoleSchema, await request.formData());
  if (!form.ok || form.data.assignmentId !== assignmentId) {
    const errors = form.ok ? { form: 'form.error.invalid' as const } : form.errors;
    return await invalidInput(context, principal, attemptOf(assignmentId), errors);
  }
  const holder = await findRoleAssignment(context.db, assignmentId);
  const outcome = await revokeRole(context.db, assignmentId, actor);
  if (!outcome.ok) return refusalResponse(outcome.refusal);
  // The holder's open live views check their permission again and close if it is gone.
  if (holder) context.sessions.accessChanged(holder.userId);
  throw redirect('/admin/administration?klart=borttagen');
}

export default function RevokeRolePage() {
  const { assignment } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <>
      <h1>{t('administration.revoke.heading')}</h1>
      <dl className="facts">
        <div>
          <dt>{t('administration.revoke.user')}</dt>
          <dd>
            {assignment.holder.hidden ? (
              <HiddenIdentityName />
            ) : (
              `${assignment.holder.displayName} (${assignment.holder.username})`
            )}
          </dd>
        </div>
        <div>
          <dt>{t('administration.revoke.role')}</dt>
          <dd>{t(roleLabels[assignment.role])}</dd>
        </div>
        <div>
          <dt>{t('administration.revoke.unit')}</dt>
          <dd>{assignment.unitName ?? t('role.allUnits')}</dd>
        </div>
      </dl>
      <div className="card notice">
        <p>{t('administration.revoke.body')}</p>
        <ValidatedForm schema={revokeRoleSchema} method="post" className="button-row">
          <input type="hidden" name="assignmentId" value={assignment.assignmentId} />
          <SubmitButton className="primary danger">{t('administration.revoke.confirm')}</SubmitButton>
          <Link to="/admin/administration">{t('administration.revoke.cancel')}</Link>
        </ValidatedForm>
      </div>
    </>
  );
}
