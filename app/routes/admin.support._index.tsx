import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData, useNavigate } from '@remix-run/react';
import { useCallback, useState } from 'react';
import { hasAnyRole, identityViewerOf } from '~/auth/permissions';
import { requireSection } from '~/auth/section.server';
import { dashboardSections } from '~/auth/sections';
import { labelOf } from '~/i18n/catalogue';
import { useT } from '~/i18n/use-translation';
import {
  Age,
  HolderName,
  JobErrorText,
  JobStateBadge,
  LiveBadge,
  shownHolder,
  useTimeFormat,
} from '~/support/components';
import { jobAgeChoices, jobFilterFromUrl, jobMatchesFilter } from '~/support/job-filter';
import { jobKindLabel } from '~/support/job-kind';
import { SupportCodeForm } from '~/support/support-code-form';
import { useNow, useSupportEvent, useSupportSocket } from '~/support/support-socket';
import { agentShownTo } from '../../db/agents';
import { listJobViews } from '../../db/jobs';
import { listUnits } from '../../db/units';
import type { ReaderState } from '../../protocol/agent-events';
import { jobStates } from '../../protocol/jobs';
import type { ConnectedAgentView, JobView } from '../../protocol/support-events';

export const meta: MetaFunction = () => [{ title: 'Support – SITHS eID-portalen' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'support');
  const viewer = identityViewerOf(principal);
  const filter = jobFilterFromUrl(new URL(request.url));
  return {
    filter,
    agents: context.agentRegistry.list().map((agent) => agentShownTo(viewer, agent)),
    jobs: await listJobViews(context.db, filter, new Date(), viewer),
    units: (await listUnits(context.db)).map(({ id, name }) => ({ id, name })),
    mayAssistUnlock: hasAnyRole(principal, dashboardSections.assistedUnlock.roles),
  };
}

function useLiveAgents(initial: ConnectedAgentView[]) {
  const [agents, setAgents] = useState(initial);
  useSupportEvent('agents:snapshot', setAgents);
  useSupportEvent(
    'agent:updated',
    useCallback(
      (agent: ConnectedAgentView) =>
        setAgents((current) => [...current.filter((a) => a.agentSessionId !== agent.agentSessionId), agent]),
      [],
    ),
  );
  useSupportEvent(
    'agent:disconnected',
    useCallback(
      ({ agentSessionId }: { agentSessionId: string }) =>
        setAgents((current) => current.filter((agent) => agent.agentSessionId !== agentSessionId)),
      [],
    ),
  );
  return [...agents].sort((a, b) => a.connectedAt - b.connectedAt);
}

function useLiveJobs(initial: JobView[], filter: ReturnType<typeof jobFilterFromUrl>) {
  const [jobs, setJobs] = useState(initial);
  const [previousInitial, setPreviousInitial] = useState(initial);
  if (initial !== previousInitial) {
    setPreviousInitial(initial);
    setJobs(initial);
  }
  useSupportEvent(
    'job:updated',
    useCallback(
      (job: JobView) =>
        setJobs((current) => {
          const others = current.filter((existing) => existing.jobId !== job.jobId);
          return jobMatchesFilter(job, filter, Date.now()) ? [job, ...others] : others;
        }),
      [filter],
    ),
  );
  return [...jobs].sort((a, b) => b.createdAt - a.createdAt);
}

function ReaderRow({ agent, reader }: { agent: ConnectedAgentView; reader: ReaderState }) {
  const t = useT();
  const { socket } = useSupportSocket();
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const startCardCheck = async () => {
    if (!socket) return;
    setError(null);
    const result = await socket
      .timeout(15_000)
      .emitWithAck('support:start-card-check', {
        agentSessionId: agent.agentSessionId,
        readerName: reader.name,
      })
      .catch(() => ({ ok: false as const, message: t('support.startFailed') }));
    if ('jobId' in result) navigate(`/admin/support/jobb/${result.jobId}`);
    else setError(`${t('support.startFailed')}: ${'message' in result ? result.message : ''}`);
  };
  return (
    <li data-testid="reader">
      <span className="reader-name">{reader.name}</span>{' '}
      <span className={reader.cardPresent ? 'badge ok' : 'badge'}>
        {reader.cardPresent ? t('support.cardPresent') : t('support.noCard')}
      </span>
      {reader.cardPresent && reader.cardSerial ? (
        <span className="reader-card" title={t('support.reportedSerial')}>
          {reader.cardSerial}
        </span>
      ) : null}
      {reader.cardPresent && (
        <button type="button" className="small" onClick={startCardCheck} disabled={!socket?.connected}>
          {t('support.startCardCheck')}
        </button>
      )}
      {error && (
        <span className="error-text" role="alert">
          {error}
        </span>
      )}
    </li>
  );
}

function AgentTable({ agents }: { agents: ConnectedAgentView[] }) {
  const t = useT();
  const time = useTimeFormat();
  if (agents.length === 0) return <p className="card notice">{t('support.noAgents')}</p>;
  return (
    <table className="table">
      <thead>
        <tr>
          <th>{t('support.agent')}</th>
          <th>{t('support.holder')}</th>
          <th>{t('support.connectedAt')}</th>
          <th>{t('support.readers')}</th>
        </tr>
      </thead>
      <tbody>
        {agents.map((agent) => (
          <tr key={agent.agentSessionId} data-testid="agent-row">
            <td>
              {agent.agentName}
              {agent.hostname && <div className="muted">{agent.hostname}</div>}
            </td>
            <td>
              <HolderName holder={agent.holder} />
            </td>
            <td suppressHydrationWarning>{time.format(agent.connectedAt)}</td>
            <td>
              {agent.readers.length === 0 ? (
                <span className="muted">{t('support.noReaders')}</span>
              ) : (
                <ul className="readers">
                  {agent.readers.map((reader) => (
                    <ReaderRow key={reader.name} agent={agent} reader={reader} />
                  ))}
                </ul>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function JobFilterForm() {
  const t = useT();
  const { filter, units } = useLoaderData<typeof loader>();
  return (
    <Form method="get" className="filters" key={JSON.stringify(filter)}>
      <label>
        {t('support.filter.state')}
        <select name="state" defaultValue={filter.state ?? ''}>
          <option value="">{t('support.filter.all')}</option>
          {jobStates.map((state) => (
            <option key={state} value={state}>
              {labelOf(t, 'jobState', state)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('support.filter.unit')}
        <select name="unitId" defaultValue={filter.unitId ?? ''}>
          <option value="">{t('support.filter.all')}</option>
          {units.map((unit) => (
            <option key={unit.id} value={unit.id}>
              {unit.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('support.filter.age')}
        <select name="maxAgeMinutes" defaultValue={filter.maxAgeMinutes ?? ''}>
          <option value="">{t('support.filter.all')}</option>
          {jobAgeChoices.map((minutes) => (
            <option key={minutes} value={minutes}>
              {t(`support.age.${minutes}`)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('support.filter.search')}
        <input type="search" name="search" defaultValue={filter.search ?? ''} />
      </label>
      <button type="submit" className="small">
        {t('support.filter.apply')}
      </button>
    </Form>
  );
}

function JobTable({ jobs }: { jobs: JobView[] }) {
  const t = useT();
  const now = useNow();
  if (jobs.length === 0) return <p className="card notice">{t('support.noJobs')}</p>;
  return (
    <table className="table">
      <thead>
        <tr>
          <th>{t('support.column.job')}</th>
          <th>{t('support.column.user')}</th>
          <th>{t('support.column.unit')}</th>
          <th>{t('support.column.card')}</th>
          <th>{t('support.column.step')}</th>
          <th>{t('support.column.age')}</th>
          <th>{t('support.column.status')}</th>
        </tr>
      </thead>
      <tbody>
        {jobs.map((job) => (
          <tr key={job.jobId} data-testid="job-row">
            <td data-testid="job-kind">
              <Link to={`/admin/support/jobb/${job.jobId}`}>{jobKindLabel(t, job)}</Link>
            </td>
            <td data-testid="job-user">
              <HolderName holder={job.holder} />
              {shownHolder(job.holder) && <div className="muted">{shownHolder(job.holder)?.hsaId}</div>}
            </td>
            <td>
              {shownHolder(job.holder)
                ?.units.map((unit) => unit.name)
                .join(', ') || '–'}
            </td>
            <td>{job.cardSerial ?? '–'}</td>
            <td data-testid="job-step">{job.currentStep ? labelOf(t, 'step', job.currentStep) : '–'}</td>
            <td>
              <Age since={job.createdAt} now={now} />
            </td>
            <td>
              <JobStateBadge state={job.state} /> <JobErrorText job={job} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export default function SupportPage() {
  const t = useT();
  const data = useLoaderData<typeof loader>();
  const agents = useLiveAgents(data.agents);
  const jobs = useLiveJobs(data.jobs, data.filter);
  return (
    <>
      <h1>
        {t('support.heading')} <LiveBadge />
      </h1>
      <p className="muted">{t('support.intro')}</p>
      {data.mayAssistUnlock ? (
        <section aria-labelledby="assist-heading">
          <h2 id="assist-heading">{t('assistedUnlock.heading')}</h2>
          <p className="muted">{t('assistedUnlock.intro')}</p>
          <SupportCodeForm />
        </section>
      ) : null}
      <h2>{t('support.agentsHeading')}</h2>
      <AgentTable agents={agents} />
      <h2>{t('support.jobsHeading')}</h2>
      <JobFilterForm />
      <JobTable jobs={jobs} />
    </>
  );
}
