import { json, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Link, useLoaderData, useNavigate } from '@remix-run/react';
import { type FormEvent, useState } from 'react';
import { identityViewerOf } from '~/auth/permissions';
import { requireSection } from '~/auth/section.server';
import { labelOf, translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import { useT } from '~/i18n/use-translation';
import {
  HolderName,
  JobErrorText,
  JobStateBadge,
  LiveBadge,
  shownHolder,
  useTimeFormat,
} from '~/support/components';
import { jobKindLabel } from '~/support/job-kind';
import { useSupportSocket } from '~/support/support-socket';
import { useLiveJob, useReplay } from '~/support/use-live-job';
import { findJobDetail } from '../../db/jobs';
import type { JobStepView, JobView } from '../../protocol/support-events';

export const meta: MetaFunction = () => [{ title: 'Jobb – Support – SITHS eID-portalen' }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'support');
  const detail = params.jobId
    ? await findJobDetail(context.db, params.jobId, identityViewerOf(principal))
    : undefined;
  if (!detail) {
    const t = translator(await localeOf(request));
    throw json({ message: t('error.notFound') }, { status: 404 });
  }
  return detail;
}

function CardPanel({ job, steps }: { job: JobView; steps: JobStepView[] }) {
  const t = useT();
  const card = Object.assign({}, ...steps.map((step) => step.card ?? {})) as NonNullable<JobStepView['card']>;
  // The serial the server trusts (assigned, or proven by the card's key) apart from what the agent says it read.
  const reportedSerial = card.cardSerial ?? job.reportedCardSerial;
  const rows: Array<[string, string | number | undefined | null]> = [
    [t('support.reader'), card.readerName ?? job.readerName],
    [t('support.atr'), card.atr],
    [t('support.cardSerial'), job.cardSerial],
    ...(reportedSerial && reportedSerial !== job.cardSerial
      ? [[t('support.reportedCardSerial'), reportedSerial] as [string, string]]
      : []),
    [t('support.pinTriesLeft'), card.pinTriesLeft],
  ];
  return (
    <section className="card" aria-label={t('support.readerState')}>
      <h2>{t('support.readerState')}</h2>
      <dl className="facts">
        {rows.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd data-testid={`card-${label}`}>{value ?? '–'}</dd>
          </div>
        ))}
      </dl>
      {job.agentSessionId === null && job.finishedAt === null && (
        <p className="error-text" role="status">
          {t('support.agentOffline')}
        </p>
      )}
    </section>
  );
}

function Timeline({ steps }: { steps: JobStepView[] }) {
  const t = useT();
  const time = useTimeFormat();
  if (steps.length === 0) return <p className="muted">{t('support.noSteps')}</p>;
  const start = steps[0]!.at;
  return (
    <ol className="timeline" data-testid="timeline">
      {steps.map((step) => (
        <li
          key={step.sequence}
          className={`timeline-${step.status}`}
          data-testid="timeline-step"
          data-step={step.step}
        >
          <span className="timeline-time" suppressHydrationWarning>
            {time.format(step.at)} (+{((step.at - start) / 1000).toFixed(1)} s)
          </span>
          <span className="timeline-label">
            {labelOf(t, 'step', step.step)} – {labelOf(t, 'stepStatus', step.status)}
          </span>
          {step.durationMs !== null && <span className="muted"> {step.durationMs} ms</span>}
          {step.card?.pinTriesLeft !== undefined && (
            <span className="muted">
              {' '}
              ({t('support.pinTriesLeft')}: {step.card.pinTriesLeft})
            </span>
          )}
          {step.error && <div className="error-text">{labelOf(t, 'jobError', step.error.code)}</div>}
        </li>
      ))}
    </ol>
  );
}

function SupportActions({ job }: { job: JobView }) {
  const t = useT();
  const { socket } = useSupportSocket();
  const navigate = useNavigate();
  const [notice, setNotice] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [message, setMessage] = useState('');
  const running = job.state === 'queued' || job.state === 'running';

  const run = async (event: 'support:cancel-job' | 'support:retry-job') => {
    if (!socket) return;
    const result = await socket
      .timeout(15_000)
      .emitWithAck(event, { jobId: job.jobId })
      .catch(() => null);
    if (result && 'jobId' in result && result.jobId !== job.jobId)
      navigate(`/admin/support/jobb/${result.jobId}`);
    else if (!result?.ok)
      setNotice({
        kind: 'error',
        text: `${t('support.actionFailed')}${result && !result.ok ? `: ${result.message}` : ''}`,
      });
  };
  const sendMessage = async (event: FormEvent) => {
    event.preventDefault();
    if (!socket || message.trim() === '') return;
    const result = await socket
      .timeout(10_000)
      .emitWithAck('support:send-message', { jobId: job.jobId, text: message })
      .catch(() => null);
    if (result?.ok) {
      setMessage('');
      setNotice({ kind: 'ok', text: t('support.messageSent') });
    } else {
      setNotice({
        kind: 'error',
        text: `${t('support.actionFailed')}${result && !result.ok ? `: ${result.message}` : ''}`,
      });
    }
  };

  return (
    <section className="card actions">
      <form onSubmit={sendMessage} className="inline-form">
        <label htmlFor="support-message">{t('support.sendMessage')}</label>
        <input
          id="support-message"
          value={message}
          maxLength={500}
          onChange={(event) => setMessage(event.target.value)}
          disabled={!running}
        />
        <button type="submit" className="small" disabled={!running || message.trim() === ''}>
          {t('support.send')}
        </button>
      </form>
      <div className="button-row">
        <button
          type="button"
          className="small danger"
          disabled={!running}
          onClick={() => run('support:cancel-job')}
        >
          {t('support.cancelJob')}
        </button>
        <button
          type="button"
          className="small"
          disabled={job.state !== 'failed' && job.state !== 'cancelled'}
          onClick={() => run('support:retry-job')}
        >
          {t('support.retryJob')}
        </button>
      </div>
      {notice && (
        <p
          className={notice.kind === 'ok' ? 'ok-text' : 'error-text'}
          role={notice.kind === 'ok' ? 'status' : 'alert'}
        >
          {notice.text}
        </p>
      )}
    </section>
  );
}

export default function SupportJobPage() {
  const t = useT();
  const { job, steps } = useLiveJob(useLoaderData<typeof loader>());
  const replay = useReplay(steps);
  const finished = job.finishedAt !== null;
  return (
    <>
      <p>
        <Link to="/admin/support">← {t('support.backToList')}</Link>
      </p>
      <h1>
        {jobKindLabel(t, job)} <JobStateBadge state={job.state} /> <LiveBadge />
      </h1>
      <p className="muted" data-testid="job-user">
        <HolderName holder={job.holder} /> {shownHolder(job.holder) && `(${shownHolder(job.holder)?.hsaId})`}{' '}
        · {job.agentName ?? '–'}
        {job.retryOfJobId && (
          <>
            {' · '}
            {t('support.retryOf')}{' '}
            <Link to={`/admin/support/jobb/${job.retryOfJobId}`}>{job.retryOfJobId.slice(0, 8)}</Link>
          </>
        )}
      </p>
      <div
        className="progress"
        role="progressbar"
        aria-valuenow={job.progress}
        aria-valuemin={0}
        aria-valuemax={100}
      >
        <div className="progress-bar" style={{ width: `${job.progress}%` }} />
        <span>
          {job.progress}% · {job.currentStep ? labelOf(t, 'step', job.currentStep) : '–'}
        </span>
      </div>
      <JobErrorText job={job} />
      <div className="columns">
        <section>
          <h2>
            {t('support.timeline')}{' '}
            {finished && steps.length > 0 && (
              <button type="button" className="small" onClick={replay.start} disabled={replay.replaying}>
                {replay.replaying ? t('support.replaying') : t('support.replay')}
              </button>
            )}
          </h2>
          <Timeline steps={replay.visibleSteps} />
        </section>
        <aside>
          <CardPanel job={job} steps={steps} />
          <SupportActions job={job} />
        </aside>
      </div>
    </>
  );
}
