import {
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation, useRevalidator } from '@remix-run/react';
import { useEffect, useState } from 'react';
import { identityViewerOf } from '~/auth/permissions';
import { requireSection } from '~/auth/section.server';
import { useT } from '~/i18n/use-translation';
import { labelFor } from '~/people/format';
import { requireShownPerson } from '~/people/person-access.server';
import {
  assistActionSchema,
  connectedAgentOf,
  readersOfPersonShown,
  refuseAssist,
  requireOwnAssist,
  startRefusalOf,
} from '~/support/assisted-unlock.server';
import {
  endAssistedUnlock,
  latestJobOfAssistedUnlock,
  recordIdentityCheck,
  reopenAssistedUnlock,
} from '../../db/assisted-unlocks';
import { recordAudit } from '../../db/audit';
import { findJobDetail } from '../../db/jobs';
import { identityCheckMethods, identityDocumentTypes } from '../../protocol/domain-values';

export const meta: MetaFunction = () => [
  { title: 'Lås upp kort med användaren i telefon – SITHS eID-portalen' },
];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'assistedUnlock');
  const assist = await requireOwnAssist(request, context, principal, params.assistId);
  const person = await requireShownPerson(
    request,
    context,
    principal,
    assist.personId,
    'assisted_unlock_view',
  );
  const agent = assist.endedAt ? undefined : await connectedAgentOf(context, assist.agentSessionId);
  const latest = await latestJobOfAssistedUnlock(context.db, assist.id);
  const job = latest && (await findJobDetail(context.db, latest.id, identityViewerOf(principal)));
  return {
    assist: {
      id: assist.id,
      state: assist.state,
      ended: assist.endedAt !== null,
      identityCheckMethod: assist.identityCheckMethod,
    },
    person: { id: person.id, name: `${person.givenName} ${person.surname}`, hsaId: person.hsaId },
    agent: agent ? { name: agent.agentName, hostname: agent.hostname } : null,
    readers: agent ? await readersOfPersonShown(context, agent.readers, person.id) : [],
    job: job
      ? {
          state: job.job.state,
          currentStep: job.job.currentStep,
          progress: job.job.progress,
          errorCode: job.job.errorCode,
          steps: latestStatusOfEachStep(job.steps),
        }
      : null,
  };
}

/** Each step once, as it stands now: the page lists where the job has got, not every report. */
function latestStatusOfEachStep(steps: readonly { step: string; status: string; sequence: number }[]) {
  const byStep = new Map<string, { step: string; status: string; sequence: number }>();
  for (const { step, status, sequence } of steps) byStep.set(step, { step, status, sequence });
  return [...byStep.values()];
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const principal = await requireSection(request, context, 'assistedUnlock');
  const assist = await requireOwnAssist(request, context, principal, params.assistId);
  const input = assistActionSchema.safeParse(Object.fromEntries(await request.formData()));
  const attempt = (action: string) => ({ action, objectType: 'assisted_unlock', objectId: assist.id });
  if (!input.success)
    return refuseAssist(request, context, principal, attempt('assisted_unlock_start'), 'invalid_input');
  const now = new Date();

  if (input.data.intent === 'end') {
    // Ending the pairing ends an unlock still running from it: nothing runs on a pairing that is over.
    const latest = await latestJobOfAssistedUnlock(context.db, assist.id);
    if (latest && (latest.state === 'queued' || latest.state === 'running'))
      await context.jobs.cancel(latest.id);
    if (await endAssistedUnlock(context.db, assist.id, now)) {
      await recordAudit(context.db, {
        actorUserId: principal.userId,
        actorLabel: principal.username,
        action: 'assisted_unlock_end',
        objectType: 'assisted_unlock',
        objectId: assist.id,
        outcome: 'success',
        detail: { personId: assist.personId },
      });
      await context.jobs.notifyPairing(assist.agentSessionId, {
        state: 'ended',
        staffName: principal.displayName,
      });
    }
    return redirect(`/admin/personer/${assist.personId}`);
  }

  if (input.data.intent === 'cancel') {
    const latest = await latestJobOfAssistedUnlock(context.db, assist.id);
    const cancelled = latest ? await context.jobs.cancel(latest.id) : undefined;
    if (!cancelled?.ok)
      return refuseAssist(request, context, principal, attempt('assisted_unlock_cancel'), 'no_running_job');
    await recordAudit(context.db, {
      actorUserId: principal.userId,
      actorLabel: principal.username,
      action: 'assisted_unlock_cancel',
      objectType: 'job',
      objectId: cancelled.jobId,
      outcome: 'success',
      detail: { assistedUnlockId: assist.id },
    });
    return { ok: true as const };
  }

  const start = input.data;
  await requireShownPerson(request, context, principal, assist.personId, 'assisted_unlock_start');
  if (assist.endedAt || (assist.state !== 'paired' && assist.state !== 'failed'))
    return refuseAssist(request, context, principal, attempt('assisted_unlock_start'), 'not_paired');
  const agent = await connectedAgentOf(context, assist.agentSessionId);
  if (!agent)
    return refuseAssist(request, context, principal, attempt('assisted_unlock_start'), 'agent_gone');
  const reader = (await readersOfPersonShown(context, agent.readers, assist.personId)).find(
    (candidate) => candidate.name === start.readerName,
  );
  const refusal = startRefusalOf(reader);
  if (refusal || !reader?.card || !reader.cardSerial)
    return refuseAssist(
      request,
      context,
      principal,
      attempt('assisted_unlock_start'),
      refusal ?? 'no_card_in_reader',
    );
  const check = {
    method: start.method,
    documentType: start.method === 'id_document' ? (start.documentType ?? null) : null,
    documentNumberEnd: start.method === 'id_document' ? (start.documentNumberEnd ?? null) : null,
  };
  if (
    !(await recordIdentityCheck(context.db, {
      assistedUnlockId: assist.id,
      check,
      cardId: reader.card.id,
      now,
    }))
  )
    return refuseAssist(request, context, principal, attempt('assisted_unlock_start'), 'not_paired');
  await recordAudit(context.db, {
    actorUserId: principal.userId,
    actorLabel: principal.username,
    action: 'assisted_unlock_start',
    objectType: 'card',
    objectId: reader.card.id,
    outcome: 'success',
    detail: {
      assistedUnlockId: assist.id,
      personId: assist.personId,
      identityCheck: check.method,
      ...(check.documentType ? { documentType: check.documentType } : {}),
      ...(check.documentNumberEnd ? { documentNumberEnd: check.documentNumberEnd } : {}),
    },
  });
  const started = await context.jobs.startAssistedUnlock({
    assistedUnlockId: assist.id,
    agentSessionId: assist.agentSessionId,
    readerName: reader.name,
    cardSerial: reader.cardSerial,
    personId: assist.personId,
    actor: { userId: principal.userId, sessionId: principal.sessionId },
  });
  if (!started.ok) {
    await reopenAssistedUnlock(context.db, assist.id);
    return refuseAssist(request, context, principal, attempt('assisted_unlock_start'), 'agent_gone');
  }
  return { ok: true as const };
}

/** Reloads the page while something may change: the readers while paired, the steps while the job runs. */
function useLiveRefresh(active: boolean) {
  const revalidator = useRevalidator();
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      if (revalidator.state === 'idle') revalidator.revalidate();
    }, 1_000);
    return () => clearInterval(timer);
  }, [active, revalidator]);
}

export default function AssistedUnlockPage() {
  const { assist, person, agent, readers, job } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const navigation = useNavigation();
  const t = useT();
  const [method, setMethod] = useState<(typeof identityCheckMethods)[number]>('id_document');
  const jobRunning = job?.state === 'queued' || job?.state === 'running';
  useLiveRefresh(!assist.ended && (agent !== null || jobRunning));
  const unlockable = readers.filter((reader) => reader.status === 'unlockable');
  const mayStart =
    !assist.ended && agent && !jobRunning && (assist.state === 'paired' || assist.state === 'failed');
  const busy = navigation.state !== 'idle';

  return (
    <>
      <h1>{t('assistedUnlock.heading')}</h1>
      <p>
        <strong>{t('assistedUnlock.personFixed')}:</strong>{' '}
        <Link to={`/admin/personer/${person.id}`}>{person.name}</Link> ({person.hsaId})
      </p>
      {assist.ended ? (
        <p className="card notice" role="status">
          {t('assistedUnlock.ended')}
        </p>
      ) : !agent ? (
        <p className="card notice" role="alert">
          {t('assistedUnlock.notConnected')}
        </p>
      ) : (
        <section className="card" aria-labelledby="assist-readers">
          <h2 id="assist-readers">
            {t('assistedUnlock.paired')}: {agent.hostname ?? agent.name}
          </h2>
          {readers.length === 0 ? (
            <p>{t('assistedUnlock.noReaders')}</p>
          ) : (
            <table className="table" data-testid="assist-readers">
              <thead>
                <tr>
                  <th scope="col">{t('assistedUnlock.reader')}</th>
                  <th scope="col">{t('assistedUnlock.card')}</th>
                  <th scope="col">{t('assistedUnlock.status')}</th>
                </tr>
              </thead>
              <tbody>
                {readers.map((reader) => (
                  <tr key={reader.name}>
                    <td>{reader.name}</td>
                    <td className="date">{reader.cardSerial ?? '–'}</td>
                    <td>{t(`assistedUnlock.readerStatus.${reader.status}`)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}

      {answer && !answer.ok ? (
        <p role="alert" className="form-error">
          {answer.message}
        </p>
      ) : null}

      {mayStart ? (
        <Form method="post" className="card" aria-labelledby="assist-identity">
          <input type="hidden" name="intent" value="start" />
          <h2 id="assist-identity">{t('assistedUnlock.identity.heading')}</h2>
          <p>{t('assistedUnlock.identity.intro')}</p>
          <fieldset className="choice-list">
            <legend>{t('assistedUnlock.identity.method')}</legend>
            {identityCheckMethods.map((choice) => (
              <label key={choice}>
                <input
                  type="radio"
                  name="method"
                  value={choice}
                  checked={method === choice}
                  onChange={() => setMethod(choice)}
                />
                {t(`assistedUnlock.method.${choice}`)}
              </label>
            ))}
          </fieldset>
          {method === 'id_document' ? (
            <>
              <div className="field">
                <label htmlFor="assist-document-type">{t('assistedUnlock.documentType')}</label>
                <select id="assist-document-type" name="documentType" required>
                  {identityDocumentTypes.map((type) => (
                    <option key={type} value={type}>
                      {t(`assistedUnlock.document.${type}`)}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor="assist-document-number">{t('assistedUnlock.documentNumberEnd')}</label>
                <input
                  id="assist-document-number"
                  name="documentNumberEnd"
                  required
                  maxLength={4}
                  pattern="[0-9A-Za-z]{4}"
                  autoComplete="off"
                />
              </div>
            </>
          ) : null}
          <div className="field">
            <label htmlFor="assist-reader">{t('assistedUnlock.chooseCard')}</label>
            <select id="assist-reader" name="readerName" required defaultValue={unlockable[0]?.name}>
              {readers
                .filter((reader) => reader.cardSerial)
                .map((reader) => (
                  <option key={reader.name} value={reader.name}>
                    {reader.cardSerial} – {reader.name}
                  </option>
                ))}
            </select>
          </div>
          <p className="hint">{t('assistedUnlock.startHint')}</p>
          <button type="submit" className="primary" disabled={busy}>
            {job?.state === 'failed' || job?.state === 'cancelled'
              ? t('assistedUnlock.tryAgain')
              : t('assistedUnlock.start')}
          </button>
        </Form>
      ) : null}

      {job ? (
        <section className="card" aria-labelledby="assist-progress" data-testid="assist-job">
          <h2 id="assist-progress">{t('assistedUnlock.progress')}</h2>
          <p role="status">
            <strong>{labelFor(t, 'assistedUnlock.state', job.state)}</strong>
            {jobRunning && job.currentStep === 'waiting_for_user'
              ? ` – ${t('assistedUnlock.waitingForUser')}`
              : null}
          </p>
          {job.errorCode ? <p className="form-error">{labelFor(t, 'jobError', job.errorCode)}</p> : null}
          <ol className="step-list">
            {job.steps.map((step) => (
              <li key={step.sequence} data-status={step.status}>
                {labelFor(t, 'step', step.step)} – {labelFor(t, 'stepStatus', step.status)}
              </li>
            ))}
          </ol>
          {jobRunning ? (
            <Form method="post">
              <button type="submit" name="intent" value="cancel" className="small danger" disabled={busy}>
                {t('assistedUnlock.cancel')}
              </button>
            </Form>
          ) : null}
        </section>
      ) : null}

      {!assist.ended ? (
        <Form method="post" className="button-row">
          <button type="submit" name="intent" value="end" className="small" disabled={busy || jobRunning}>
            {t('assistedUnlock.end')}
          </button>
        </Form>
      ) : null}
    </>
  );
}
