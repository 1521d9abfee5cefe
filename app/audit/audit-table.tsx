import { useT } from '~/i18n/use-translation';
import { labelFor, useDateFormat } from '~/people/format';
import { HiddenIdentityName } from '~/people/protected-identity';
import type { AuditEventView } from '../../db/audit';

/** An audit event as the page shows it, its detail already written out. */
export type AuditRow = Omit<AuditEventView, 'detail'> & { detail: string };

export function auditRow({ detail, ...event }: AuditEventView): AuditRow {
  return { ...event, detail: detail ? JSON.stringify(detail) : '' };
}

export function AuditTable({ events }: { events: AuditRow[] }) {
  const t = useT();
  const format = useDateFormat();
  if (events.length === 0) return <p className="card notice">{t('audit.noEvents')}</p>;
  return (
    <table className="table" data-testid="audit-events">
      <thead>
        <tr>
          <th>{t('audit.column.at')}</th>
          <th>{t('audit.column.actor')}</th>
          <th>{t('audit.column.action')}</th>
          <th>{t('audit.column.object')}</th>
          <th>{t('audit.column.unit')}</th>
          <th>{t('audit.column.outcome')}</th>
          <th>{t('audit.column.detail')}</th>
        </tr>
      </thead>
      <tbody>
        {events.map((event) => (
          <tr key={event.id} data-action={event.action} data-outcome={event.outcome}>
            <td>{format.dateTime(event.at)}</td>
            <td>{event.actorHidden ? <HiddenIdentityName /> : event.actorLabel}</td>
            <td title={event.action}>{labelFor(t, 'audit.action', event.action)}</td>
            <td className="mono">
              {event.objectType}
              {event.objectId ? ` ${event.objectId}` : ''}
            </td>
            <td>{event.unitName ?? '–'}</td>
            <td>
              <span className={`badge ${event.outcome === 'success' ? 'ok' : 'error'}`}>
                {labelFor(t, 'audit.outcome', event.outcome)}
              </span>
            </td>
            <td className="audit-detail">{event.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
