import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { useEffect, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import { requireSection } from '~/auth/section.server';
import { useLocale, useT } from '~/i18n/use-translation';
import type { ReaderState } from '../../protocol/agent-events';
import {
  type ConnectedAgentView,
  type ServerToSupportEvents,
  type SupportToServerEvents,
  supportNamespace,
} from '../../protocol/support-events';

export const meta: MetaFunction = () => [{ title: 'Support – SITHS eID-portalen' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireSection(request, context, 'support');
  return { agents: context.agentRegistry.list() };
}

type ConnectionState = 'connecting' | 'live';

function useLiveAgents(initial: ConnectedAgentView[]) {
  const [agents, setAgents] = useState(initial);
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  useEffect(() => {
    const socket: Socket<ServerToSupportEvents, SupportToServerEvents> = io(supportNamespace, {
      transports: ['websocket'],
    });
    socket.on('connect', () => setConnection('live'));
    socket.on('disconnect', () => setConnection('connecting'));
    socket.on('agents:snapshot', setAgents);
    socket.on('agent:updated', (agent) =>
      setAgents((current) => [
        ...current.filter((existing) => existing.agentSessionId !== agent.agentSessionId),
        agent,
      ]),
    );
    socket.on('agent:disconnected', ({ agentSessionId }) =>
      setAgents((current) => current.filter((agent) => agent.agentSessionId !== agentSessionId)),
    );
    return () => {
      socket.close();
    };
  }, []);
  return { agents: [...agents].sort((a, b) => a.connectedAt - b.connectedAt), connection };
}

function ReaderList({ readers }: { readers: ReaderState[] }) {
  const t = useT();
  if (readers.length === 0) return <span className="muted">{t('support.noReaders')}</span>;
  return (
    <ul className="readers">
      {readers.map((reader) => (
        <li key={reader.name} data-testid="reader">
          <span className="reader-name">{reader.name}</span>{' '}
          <span className={reader.cardPresent ? 'badge ok' : 'badge'}>
            {reader.cardPresent ? t('support.cardPresent') : t('support.noCard')}
          </span>
        </li>
      ))}
    </ul>
  );
}

export default function SupportPage() {
  const t = useT();
  const locale = useLocale();
  const { agents, connection } = useLiveAgents(useLoaderData<typeof loader>().agents);
  const time = new Intl.DateTimeFormat(locale === 'sv' ? 'sv-SE' : 'en-GB', { timeStyle: 'medium' });
  return (
    <>
      <h1>
        {t('support.heading')}{' '}
        <span className={connection === 'live' ? 'badge ok' : 'badge'} data-testid="live-state">
          {connection === 'live' ? t('support.live') : t('support.connecting')}
        </span>
      </h1>
      <p className="muted">{t('support.intro')}</p>
      {agents.length === 0 ? (
        <p className="card notice">{t('support.noAgents')}</p>
      ) : (
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
                <td>{agent.holderName ?? '–'}</td>
                <td>{time.format(agent.connectedAt)}</td>
                <td>
                  <ReaderList readers={agent.readers} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
