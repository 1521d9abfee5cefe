import {
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from '@remix-run/node';
import { Link, useActionData, useLoaderData } from '@remix-run/react';
import { identityViewerOf } from '~/auth/permissions';
import { requireSection } from '~/auth/section.server';
import {
  type ComputerAttempt,
  mayAdministerComputers,
  readersByAgent,
  refuseComputerChange,
  requireComputer,
  requireComputerAdmin,
} from '~/computers/access.server';
import { AgentVersion, ComputerStatus, LastUser } from '~/computers/computer-table';
import { computerChangeSchema } from '~/computers/forms';
import { computerRow, type SessionRow, sessionRow } from '~/computers/rows';
import { Field, SubmitButton, ValidatedForm } from '~/forms/validated-form';
import { validateForm } from '~/forms/validation';
import { useT } from '~/i18n/use-translation';
import { useDateFormat } from '~/people/format';
import { findComputer, listComputerSessions, renameAgent } from '../../db/agent-admin';
import { revokeAgent } from '../../db/agent-enrolment';
import { recordAudit } from '../../db/audit';

export const meta: MetaFunction = () => [{ title: 'Dator med SITHS eID-app – SITHS eID-portalen' }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'computers');
  const computer = await requireComputer(request, context, principal, params.agentId);
  const url = new URL(request.url);
  const administers = mayAdministerComputers(principal);
  return {
    computer: computerRow(computer, context.agentVersions, await readersByAgent(context)),
    sessions: (await listComputerSessions(context.db, computer.id)).map(sessionRow),
    administers,
    confirmRevoke:
      administers && url.searchParams.get('bekrafta') === 'sparra' && computer.revokedAt === null,
    done: url.searchParams.get('klart'),
  };
}

const attemptOf = (intent: FormDataEntryValue | null, agentId: string | undefined): ComputerAttempt => ({
  action: intent === 'revoke' ? 'agent_revoked' : 'agent_renamed',
  objectType: 'agent',
  objectId: agentId ?? null,
});

/** Rename or revoke the computer (system administrators); a revoked computer's connection closes at once. */
export async function action({ request, context, params }: ActionFunctionArgs) {
  const formData = await request.formData();
  const attempt = attemptOf(formData.get('intent'), params.agentId);
  const principal = await requireComputerAdmin(request, context, attempt);
  const form = validateForm(computerChangeSchema, formData);
  if (!form.ok)
    return refuseComputerChange(request, context, principal, attempt, 'invalid_input', form.errors);
  const agentId = params.agentId ?? '';
  const audit = (detail: Record<string, unknown>) =>
    recordAudit(context.db, {
      actorUserId: principal.userId,
      actorLabel: principal.username,
      ...attempt,
      outcome: 'success',
      detail,
    });
  if (form.data.intent === 'rename') {
    const renamed = await renameAgent(context.db, { agentId, name: form.data.name });
    if (!renamed.ok)
      return refuseComputerChange(
        request,
        context,
        principal,
        attempt,
        renamed.reason === 'revoked' ? 'already_revoked' : 'unknown_agent',
      );
    await audit({ from: renamed.from, to: renamed.to });
    throw redirect(`/admin/datorer/${agentId}?klart=namn`);
  }
  const computer = await findComputer(context.db, agentId, identityViewerOf(principal));
  if (!computer) return refuseComputerChange(request, context, principal, attempt, 'unknown_agent');
  const revoked = await revokeAgent(context.db, { agentId, byUserId: principal.userId, now: new Date() });
  if (!revoked) return refuseComputerChange(request, context, principal, attempt, 'already_revoked');
  // Every server process closes the computer's connection now; it cannot sign in again.
  context.agentAccess.disconnect(agentId);
  await audit({ name: computer.name, hostname: computer.hostname });
  throw redirect(`/admin/datorer/${agentId}?klart=sparrad`);
}

function Sessions({ sessions }: { sessions: SessionRow[] }) {
  const t = useT();
  const format = useDateFormat();
  if (sessions.length === 0) return <p>{t('computers.sessions.none')}</p>;
  return (
    <table className="table" data-testid="computer-sessions">
      <thead>
        <tr>
          <th scope="col">{t('computers.sessions.connectedAt')}</th>
          <th scope="col">{t('computers.sessions.disconnectedAt')}</th>
          <th scope="col">{t('computers.column.version')}</th>
          <th scope="col">{t('computers.detail.hostname')}</th>
          <th scope="col">{t('computers.column.os')}</th>
          <th scope="col">{t('computers.detail.remoteAddress')}</th>
        </tr>
      </thead>
      <tbody>
        {sessions.map((session) => (
          <tr key={session.id}>
            <td className="date">{format.dateTime(session.connectedAt)}</td>
            <td className="date">
              {session.disconnectedAt
                ? format.dateTime(session.disconnectedAt)
                : t('computers.sessions.open')}
            </td>
            <td>{session.agentVersion ?? '–'}</td>
            <td>{session.hostname ?? '–'}</td>
            <td>{session.os ?? '–'}</td>
            <td>{session.remoteAddress ?? '–'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RevokeComputer({ confirm }: { confirm: boolean }) {
  const t = useT();
  return (
    <section className="card notice" aria-labelledby="revoke-heading">
      <h2 id="revoke-heading">{t('computers.revoke.heading')}</h2>
      <p>{t('computers.revoke.intro')}</p>
      {confirm ? (
        <ValidatedForm schema={computerChangeSchema} method="post" className="button-row">
          <p>
            <strong>{t('computers.revoke.question')}</strong>
          </p>
          <input type="hidden" name="intent" value="revoke" />
          <SubmitButton className="primary danger">{t('computers.revoke.confirm')}</SubmitButton>
          <Link to="?">{t('computers.revoke.cancel')}</Link>
        </ValidatedForm>
      ) : (
        <Link className="button" to="?bekrafta=sparra">
          {t('computers.revoke.start')}
        </Link>
      )}
    </section>
  );
}

export default function ComputerPage() {
  const { computer, sessions, administers, confirmRevoke, done } = useLoaderData<typeof loader>();
  const refusal = useActionData<typeof action>();
  const t = useT();
  const format = useDateFormat();
  const fact = (label: Parameters<typeof t>[0], value: React.ReactNode) => (
    <div>
      <dt>{t(label)}</dt>
      <dd>{value}</dd>
    </div>
  );
  return (
    <>
      <p>
        <Link to="/admin/datorer">{t('computers.detail.back')}</Link>
      </p>
      <h1>{computer.name}</h1>
      {refusal && Object.keys(refusal.errors).length === 0 && (
        <p className="form-error" role="alert">
          {refusal.message}
        </p>
      )}
      {done === 'namn' && <p role="status">{t('computers.rename.done')}</p>}
      {done === 'sparrad' && <p role="status">{t('computers.revoke.done')}</p>}
      <section aria-labelledby="facts-heading">
        <h2 id="facts-heading">{t('computers.detail.facts')}</h2>
        <dl className="facts">
          {fact('computers.column.status', <ComputerStatus computer={computer} />)}
          {fact('computers.column.lastUser', <LastUser computer={computer} />)}
          {fact('computers.column.version', <AgentVersion computer={computer} />)}
          {fact('computers.detail.hostname', computer.hostname ?? '–')}
          {fact('computers.column.os', computer.os ?? '–')}
          {fact('computers.column.readers', computer.readers?.join(', ') || '–')}
          {fact(
            'computers.column.lastSeen',
            computer.lastSeenAt ? format.dateTime(computer.lastSeenAt) : t('computers.never'),
          )}
          {fact('computers.detail.remoteAddress', computer.remoteAddress ?? '–')}
          {fact(
            'computers.detail.enrolledAt',
            computer.enrolledAt ? format.dateTime(computer.enrolledAt) : t('computers.notEnrolled'),
          )}
          {computer.enrolledBy && fact('computers.detail.enrolledBy', computer.enrolledBy)}
          {computer.revokedAt && fact('computers.detail.revokedAt', format.dateTime(computer.revokedAt))}
          {computer.revokedBy && fact('computers.detail.revokedBy', computer.revokedBy)}
        </dl>
      </section>
      {administers && computer.revokedAt === null && (
        <>
          <section className="card" aria-labelledby="rename-heading">
            <h2 id="rename-heading">{t('computers.rename.heading')}</h2>
            <ValidatedForm schema={computerChangeSchema} method="post">
              <input type="hidden" name="intent" value="rename" />
              <Field
                name="name"
                label={t('computers.rename.name')}
                defaultValue={computer.name}
                maxLength={100}
                autoComplete="off"
              />
              <SubmitButton>{t('computers.rename.submit')}</SubmitButton>
            </ValidatedForm>
          </section>
          <RevokeComputer confirm={confirmRevoke} />
        </>
      )}
      <section aria-labelledby="sessions-heading">
        <h2 id="sessions-heading">{t('computers.sessions.heading')}</h2>
        <Sessions sessions={sessions} />
      </section>
    </>
  );
}
