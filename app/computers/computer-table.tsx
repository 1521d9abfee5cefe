import { Link } from '@remix-run/react';
import { useT } from '~/i18n/use-translation';
import { useDateFormat } from '~/people/format';
import { HiddenIdentityName } from '~/people/protected-identity';
import type { ComputerRow } from './rows';

/** "Ansluten", "Inte ansluten" or "Spärrad", as a badge. */
export function ComputerStatus({ computer }: { computer: Pick<ComputerRow, 'connected' | 'revokedAt'> }) {
  const t = useT();
  if (computer.revokedAt !== null)
    return <span className="badge error">{t('computers.status.revoked')}</span>;
  return computer.connected ? (
    <span className="badge ok">{t('computers.status.connected')}</span>
  ) : (
    <span className="badge">{t('computers.status.notConnected')}</span>
  );
}

/** The version the computer last reported, with "Uppdatera" or "Stöds inte" when the server says so. */
export function AgentVersion({ computer }: { computer: Pick<ComputerRow, 'agentVersion' | 'verdict'> }) {
  const t = useT();
  if (!computer.agentVersion) return <>–</>;
  return (
    <>
      {computer.agentVersion}{' '}
      {computer.verdict === 'outdated' && (
        <span className="badge warn" title={t('computers.version.outdatedHint')}>
          {t('computers.version.outdated')}
        </span>
      )}
      {computer.verdict === 'unsupported' && (
        <span className="badge error" title={t('computers.version.unsupportedHint')}>
          {t('computers.version.unsupported')}
        </span>
      )}
    </>
  );
}

export function LastUser({ computer }: { computer: Pick<ComputerRow, 'lastUser'> }) {
  if (!computer.lastUser) return <>–</>;
  if (computer.lastUser.hidden) return <HiddenIdentityName />;
  return <>{computer.lastUser.name}</>;
}

export function ComputerTable({ computers }: { computers: ComputerRow[] }) {
  const t = useT();
  const format = useDateFormat();
  return (
    <div className="table-scroll">
      <table className="table" data-testid="computers">
        <thead>
          <tr>
            <th scope="col">{t('computers.column.name')}</th>
            <th scope="col">{t('computers.column.lastUser')}</th>
            <th scope="col">{t('computers.column.versionAndOs')}</th>
            <th scope="col">{t('computers.column.readers')}</th>
            <th scope="col">{t('computers.column.status')}</th>
            <th scope="col">{t('computers.column.lastSeen')}</th>
            <th scope="col">{t('computers.column.enrolled')}</th>
          </tr>
        </thead>
        <tbody>
          {computers.map((computer) => (
            <tr key={computer.id}>
              <td>
                <Link to={`/admin/datorer/${computer.id}`}>{computer.name}</Link>
                {computer.hostname && computer.hostname !== computer.name && (
                  <div className="muted">{computer.hostname}</div>
                )}
              </td>
              <td>
                <LastUser computer={computer} />
              </td>
              <td>
                <AgentVersion computer={computer} />
                {computer.os && <div className="muted">{computer.os}</div>}
              </td>
              <td>{computer.readers ? computer.readers.join(', ') || '–' : '–'}</td>
              <td>
                <ComputerStatus computer={computer} />
              </td>
              <td className="date">
                {computer.lastSeenAt ? format.dateTime(computer.lastSeenAt) : t('computers.never')}
              </td>
              <td>
                {computer.enrolledAt ? (
                  <>
                    <span className="date">{format.date(computer.enrolledAt)}</span>
                    {computer.enrolledBy && (
                      <div className="muted">
                        {t('computers.by')} {computer.enrolledBy}
                      </div>
                    )}
                  </>
                ) : (
                  <span className="muted">{t('computers.notEnrolled')}</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
