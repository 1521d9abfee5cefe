import { json, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Link, useLoaderData, useRevalidator } from '@remix-run/react';
import { useEffect } from 'react';
import { requireSystemAdmin } from '~/administration/access.server';
import { directorySyncSchema } from '~/directory/forms';
import {
  changeLabels,
  faultLabel,
  problemLabels,
  syncKindLabels,
  syncStateBadges,
  syncStateLabels,
} from '~/directory/labels';
import { SubmitButton, ValidatedForm } from '~/forms/validated-form';
import { isMessageKey, translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import { useT } from '~/i18n/use-translation';
import areaStyles from '~/styles/administration.css';
import { directoryChangeKinds, reportCap } from '../../db/directory-sync';
import { findRun, lastCompletedApplyRun } from '../../db/directory-sync-runs';

export const meta: MetaFunction = () => [{ title: 'Synkronisering av HSA-katalogen – SITHS eID-portalen' }];
export const links = () => [{ rel: 'stylesheet', href: areaStyles }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const runId = params.runId ?? '';
  await requireSystemAdmin(request, context, {
    action: 'open_directory_sync',
    objectType: 'directory_sync_run',
    objectId: runId,
  });
  const run = await findRun(context.db, runId);
  if (!run) throw json({ message: translator(await localeOf(request))('error.notFound') }, { status: 404 });
  const firstRunDone = (await lastCompletedApplyRun(context.db)) !== undefined;
  return {
    run: {
      id: run.id,
      kind: run.kind,
      mode: run.mode,
      state: run.state,
      startedAt: run.startedAt.toISOString(),
      finishedAt: run.finishedAt?.toISOString() ?? null,
      counts: run.counts,
      changes: run.report.changes.map((change, position) => ({ ...change, key: `c${position}` })),
      problems: run.report.problems.map((problem, position) => ({ ...problem, key: `p${position}` })),
      faultCode: run.faultCode,
    },
    canApply: run.mode === 'preview' && run.state === 'completed' && !firstRunDone,
  };
}

export default function DirectorySyncRunPage() {
  const { run, canApply } = useLoaderData<typeof loader>();
  const t = useT();
  const revalidator = useRevalidator();
  const running = run.state === 'running';
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => revalidator.state === 'idle' && revalidator.revalidate(), 2_000);
    return () => clearInterval(timer);
  }, [running, revalidator]);
  const counted = directoryChangeKinds.filter((kind) => run.counts[kind] > 0);
  const fieldLabel = (field: string) => {
    const key = `directory.field.${field}`;
    return isMessageKey(key) ? t(key) : field;
  };
  return (
    <>
      <p>
        <Link to="/admin/administration/katalog">{t('directory.report.back')}</Link>
      </p>
      <h1>{t(run.mode === 'preview' ? 'directory.report.previewHeading' : 'directory.report.heading')}</h1>
      <p>
        {run.startedAt.slice(0, 16).replace('T', ' ')} · {t(syncKindLabels[run.kind])} ·{' '}
        <span className={syncStateBadges[run.state]}>{t(syncStateLabels[run.state])}</span>
      </p>
      {running && <p role="status">{t('directory.report.running')}</p>}
      {run.mode === 'preview' && run.state === 'completed' && <p>{t('directory.report.previewNote')}</p>}
      {(run.state === 'failed' || run.state === 'interrupted') && (
        <p className="card notice" role="alert">
          {t(faultLabel(run.faultCode))}
        </p>
      )}
      {canApply && (
        <ValidatedForm schema={directorySyncSchema} method="post" action="/admin/administration/katalog">
          <input type="hidden" name="intent" value="apply" />
          <SubmitButton>{t('directory.action.applyPreview')}</SubmitButton>
        </ValidatedForm>
      )}
      <h2>{t('directory.report.counts')}</h2>
      <dl className="facts">
        {counted.map((kind) => (
          <div key={kind}>
            <dt>{t(changeLabels[kind])}</dt>
            <dd>{run.counts[kind]}</dd>
          </div>
        ))}
        {run.counts.ordersCancelled > 0 && (
          <div>
            <dt>{t('directory.report.ordersCancelled')}</dt>
            <dd>{run.counts.ordersCancelled}</dd>
          </div>
        )}
        <div>
          <dt>{t('directory.report.problemCount')}</dt>
          <dd>{run.counts.problems}</dd>
        </div>
      </dl>
      <h2>{t('directory.report.changes')}</h2>
      {run.changes.length === 0 ? (
        <p>{t('directory.report.noChanges')}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('directory.report.what')}</th>
              <th scope="col">{t('directory.report.hsaId')}</th>
              <th scope="col">{t('directory.report.name')}</th>
              <th scope="col">{t('directory.report.fields')}</th>
            </tr>
          </thead>
          <tbody>
            {run.changes.map((change) => (
              <tr key={change.key}>
                <td>{t(changeLabels[change.kind])}</td>
                <td>{change.name === null ? t('directory.protected') : change.hsaId}</td>
                <td>{change.name ?? t('directory.protected')}</td>
                <td>{change.fields?.map(fieldLabel).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {run.changes.length >= reportCap && <p>{t('directory.report.capped')}</p>}
      <h2>{t('directory.report.problems')}</h2>
      {run.problems.length === 0 ? (
        <p>{t('directory.report.noProblems')}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('directory.report.fault')}</th>
              <th scope="col">{t('directory.report.hsaId')}</th>
              <th scope="col">{t('directory.report.entry')}</th>
            </tr>
          </thead>
          <tbody>
            {run.problems.map((problem) => (
              <tr key={problem.key}>
                <td>{t(problemLabels[problem.code])}</td>
                <td>{problem.hsaId ?? (problem.dn === null ? t('directory.protected') : '')}</td>
                <td>{problem.dn ?? t('directory.protected')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
