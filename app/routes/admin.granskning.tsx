import { json, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Link, useLoaderData, useLocation } from '@remix-run/react';
import { auditFilterSchema, auditOutcomeChoices } from '~/audit/audit-filter';
import { auditFilterFromRequest, filterUnits } from '~/audit/audit-filter.server';
import { type AuditRow, AuditTable, auditRow } from '~/audit/audit-table';
import { QueryForm } from '~/audit/query-form';
import { requireSection } from '~/auth/section.server';
import { Field } from '~/forms/validated-form';
import { useT } from '~/i18n/use-translation';
import personsStyles from '~/styles/persons.css';
import { listAuditEvents } from '../../db/audit';

export const meta: MetaFunction = () => [{ title: 'Granskningslogg – SITHS eID-portalen' }];
export const links = () => [{ rel: 'stylesheet', href: personsStyles }];

const pageSize = 50;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'audit');
  const units = await filterUnits(context, principal);
  const parsed = await auditFilterFromRequest(request, context, principal);
  if (!parsed.ok) {
    return json(
      {
        values: parsed.input,
        errors: parsed.errors,
        units,
        events: [] as AuditRow[],
        page: 1,
        hasNextPage: false,
      },
      { status: 400 },
    );
  }
  const { page, ...values } = parsed.input;
  const { events, hasNextPage } = await listAuditEvents(context.db, parsed.filter, { page, pageSize });
  return json({
    values: values as Record<string, string | undefined>,
    errors: null,
    units,
    events: events.map(auditRow),
    page,
    hasNextPage,
  });
}

function Filters() {
  const { values, errors, units } = useLoaderData<typeof loader>();
  const t = useT();
  const text = (name: 'actor' | 'action' | 'objectType' | 'objectId', label: Parameters<typeof t>[0]) => (
    <Field name={name} label={t(label)} defaultValue={values[name] ?? ''} />
  );
  return (
    <QueryForm
      schema={auditFilterSchema}
      serverErrors={errors ?? undefined}
      className="card audit-filters"
      aria-label={t('audit.filter.heading')}
    >
      {text('actor', 'audit.filter.actor')}
      {text('action', 'audit.filter.action')}
      {text('objectType', 'audit.filter.objectType')}
      {text('objectId', 'audit.filter.objectId')}
      <Field as="select" name="outcome" label={t('audit.filter.outcome')} defaultValue={values.outcome ?? ''}>
        <option value="">{t('audit.filter.all')}</option>
        {auditOutcomeChoices.map((outcome) => (
          <option key={outcome} value={outcome}>
            {t(`audit.outcome.${outcome}`)}
          </option>
        ))}
      </Field>
      <Field as="select" name="unit" label={t('audit.filter.unit')} defaultValue={values.unit ?? ''}>
        <option value="">{t('audit.filter.all')}</option>
        {units.map((unit) => (
          <option key={unit.id} value={unit.id}>
            {unit.name}
          </option>
        ))}
      </Field>
      <Field name="from" type="date" label={t('audit.filter.from')} defaultValue={values.from ?? ''} />
      <Field name="to" type="date" label={t('audit.filter.to')} defaultValue={values.to ?? ''} />
      <div className="button-row">
        <button type="submit" className="primary">
          {t('audit.filter.apply')}
        </button>
        <Link to="/admin/granskning">{t('audit.filter.reset')}</Link>
      </div>
    </QueryForm>
  );
}

function pageLink(search: string, page: number): string {
  const params = new URLSearchParams(search);
  params.set('page', String(page));
  return `?${params}`;
}

export default function AuditLogPage() {
  const { events, page, hasNextPage, errors } = useLoaderData<typeof loader>();
  const t = useT();
  const { search } = useLocation();
  const exportParams = new URLSearchParams(search);
  exportParams.delete('page');
  return (
    <>
      <h1>{t('audit.heading')}</h1>
      <p className="muted">{t('audit.intro')}</p>
      <Filters />
      {!errors && (
        <p>
          <a href={`/admin/granskning/export.csv?${exportParams}`} download>
            {t('audit.export')}
          </a>
        </p>
      )}
      <AuditTable events={events} />
      <nav className="paging" aria-label={t('audit.paging')}>
        {page > 1 && <Link to={pageLink(search, page - 1)}>{t('audit.previous')}</Link>}
        <span>
          {t('audit.page')} {page}
        </span>
        {hasNextPage && <Link to={pageLink(search, page + 1)}>{t('audit.next')}</Link>}
      </nav>
    </>
  );
}
