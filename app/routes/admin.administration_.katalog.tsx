import {
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from '@remix-run/node';
import { Link, useActionData, useLoaderData } from '@remix-run/react';
import { type Attempted, requireSystemAdmin } from '~/administration/access.server';
import { directorySyncSchema } from '~/directory/forms';
import { syncKindLabels, syncModeLabels, syncStateBadges, syncStateLabels } from '~/directory/labels';
import { refuseSync } from '~/directory/sync-refusals.server';
import { invalidInput } from '~/forms/invalid-input.server';
import { SubmitButton, ValidatedForm } from '~/forms/validated-form';
import { validateForm } from '~/forms/validation';
import type { MessageKey } from '~/i18n/catalogue';
import { useT } from '~/i18n/use-translation';
import areaStyles from '~/styles/administration.css';
import { lastCompletedApplyRun, lastCompletedPreview, listRuns } from '../../db/directory-sync-runs';

export const meta: MetaFunction = () => [{ title: 'HSA-katalogen – SITHS eID-portalen' }];
export const links = () => [{ rel: 'stylesheet', href: areaStyles }];

const syncAttempt: Attempted = { action: 'directory_sync_start', objectType: 'directory_sync_run' };

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireSystemAdmin(request, context, {
    action: 'open_directory_sync',
    objectType: 'dashboard_section',
  });
  const [runs, applied, preview] = await Promise.all([
    listRuns(context.db, 20),
    lastCompletedApplyRun(context.db),
    lastCompletedPreview(context.db),
  ]);
  return {
    configured: context.directorySync !== null,
    firstRunDone: applied !== undefined,
    previewed: preview !== undefined,
    runs: runs.map((run) => ({
      id: run.id,
      kind: run.kind,
      mode: run.mode,
      state: run.state,
      startedAt: run.startedAt.toISOString(),
      startedBy: run.startedBy,
      changes: totalChanges(run.counts),
      problems: run.counts.problems,
    })),
  };
}

function totalChanges(counts: Record<string, number>): number {
  return Object.entries(counts)
    .filter(([key]) => key !== 'problems' && key !== 'ordersCancelled')
    .reduce((sum, [, count]) => sum + count, 0);
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { principal } = await requireSystemAdmin(request, context, syncAttempt);
  const form = validateForm(directorySyncSchema, await request.formData());
  if (!form.ok) return await invalidInput(context, principal, syncAttempt, form.errors);
  if (!context.directorySync) return await refuseSync(context, principal, 'not_configured');
  const start = await context.directorySync.start({
    mode: form.data.intent,
    userId: principal.userId,
    actorLabel: principal.username,
  });
  if (!start.started) return await refuseSync(context, principal, start.reason);
  throw redirect(`/admin/administration/katalog/${start.run.id}`);
}

export default function DirectorySyncPage() {
  const { configured, firstRunDone, previewed, runs } = useLoaderData<typeof loader>();
  const actionData = useActionData<{ errors?: { form?: MessageKey } }>();
  const t = useT();
  const formError = actionData?.errors?.form;
  return (
    <>
      <p>
        <Link to="/admin/administration">{t('nav.administration')}</Link>
      </p>
      <h1>{t('directory.heading')}</h1>
      <p>{t('directory.intro')}</p>
      {!configured ? (
        <p className="card notice">{t('directory.notConfigured')}</p>
      ) : (
        <section className="card">
          {!firstRunDone && <p>{t('directory.firstRun')}</p>}
          <div className="button-row">
            <ValidatedForm schema={directorySyncSchema} method="post">
              <input type="hidden" name="intent" value="preview" />
              <SubmitButton className={firstRunDone ? 'secondary' : 'primary'}>
                {t('directory.action.preview')}
              </SubmitButton>
            </ValidatedForm>
            {(firstRunDone || previewed) && (
              <ValidatedForm schema={directorySyncSchema} method="post">
                <input type="hidden" name="intent" value="apply" />
                <SubmitButton>{t('directory.action.apply')}</SubmitButton>
              </ValidatedForm>
            )}
          </div>
          {formError && (
            <p className="form-error" role="alert">
              {t(formError)}
            </p>
          )}
        </section>
      )}
      <h2>{t('directory.runs.heading')}</h2>
      {runs.length === 0 ? (
        <p>{t('directory.runs.none')}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('directory.runs.started')}</th>
              <th scope="col">{t('directory.runs.mode')}</th>
              <th scope="col">{t('directory.runs.kind')}</th>
              <th scope="col">{t('directory.runs.by')}</th>
              <th scope="col">{t('directory.runs.state')}</th>
              <th scope="col">{t('directory.runs.summary')}</th>
              <th scope="col">{t('directory.report.problemCount')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('directory.runs.open')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <tr key={run.id}>
                <td>{run.startedAt.slice(0, 16).replace('T', ' ')}</td>
                <td>{t(syncModeLabels[run.mode])}</td>
                <td>{t(syncKindLabels[run.kind])}</td>
                <td>{run.startedBy ?? t('directory.runs.schedule')}</td>
                <td>
                  <span className={syncStateBadges[run.state]}>{t(syncStateLabels[run.state])}</span>
                </td>
                <td>{run.changes}</td>
                <td>{run.problems}</td>
                <td>
                  <Link to={`/admin/administration/katalog/${run.id}`}>{t('directory.runs.open')}</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
