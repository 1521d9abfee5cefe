import type { LoaderFunctionArgs } from '@remix-run/node';
import { auditFilterFromRequest } from '~/audit/audit-filter.server';
import { requireSection } from '~/auth/section.server';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import { labelFor } from '~/people/format';
import { type AuditEventView, recordAudit, streamAuditCsv } from '../../db/audit';

const swedishTime = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Europe/Stockholm',
  dateStyle: 'short',
  timeStyle: 'medium',
});

/** The audit log under the page's filter as a CSV file, streamed so a large export needs little memory. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'audit');
  const t = translator(await localeOf(request));
  const parsed = await auditFilterFromRequest(request, context, principal);
  if (!parsed.ok) {
    const messages = Object.values(parsed.errors).map((key) => (key ? t(key) : ''));
    return new Response(messages.join('\n'), {
      status: 400,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
  }
  await recordAudit(context.db, {
    actorUserId: principal.userId,
    actorLabel: principal.username,
    action: 'audit_export',
    objectType: 'audit_log',
    outcome: 'success',
    detail: { filter: parsed.input },
  });
  const header = [
    t('audit.column.at'),
    t('audit.column.actor'),
    t('audit.column.action'),
    t('audit.csv.actionCode'),
    t('audit.csv.objectType'),
    t('audit.csv.objectId'),
    t('audit.column.unit'),
    t('audit.column.outcome'),
    t('audit.column.detail'),
  ];
  const cells = (event: AuditEventView) => [
    swedishTime.format(event.at),
    event.actorHidden ? t('protected.identity') : event.actorLabel,
    labelFor(t, 'audit.action', event.action),
    event.action,
    event.objectType,
    event.objectId ?? '',
    event.unitName ?? '',
    labelFor(t, 'audit.outcome', event.outcome),
    event.detail ? JSON.stringify(event.detail) : '',
  ];
  const day = new Date().toISOString().slice(0, 10);
  return new Response(await streamAuditCsv(context.db, parsed.filter, { header, cells }), {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="granskningslogg-${day}.csv"`,
      'Cache-Control': 'no-store',
    },
  });
}
