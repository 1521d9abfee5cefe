import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData } from '@remix-run/react';
import { hasAnyRole } from '~/auth/permissions';
import { requireSection } from '~/auth/section.server';
import { useLocale, useT } from '~/i18n/use-translation';
import { OrderStateBadge, useDateTimeFormat } from '~/orders/components';
import { orderTypeLabel } from '~/orders/labels';
import {
  filterQuery,
  type OrderFilterSearch,
  orderFilterFromUrl,
  orderPagePositionFromUrl,
} from '~/orders/order-filter';
import { loadOrderList } from '~/orders/order-list.server';
import { orderSortValues, orderStateValues, orderTypeValues } from '~/orders/order-values';
import { HiddenIdentityName, ProtectedIdentityBadge } from '~/people/protected-identity';
import ordersStyles from '~/styles/orders.css';

export const meta: MetaFunction = () => [{ title: 'Beställningar – SITHS eID-portalen' }];
export const links: LinksFunction = () => [{ rel: 'stylesheet', href: ordersStyles }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'orders');
  const url = new URL(request.url);
  const search = orderFilterFromUrl(url);
  return {
    search,
    ...(await loadOrderList(context.db, principal, search, orderPagePositionFromUrl(url))),
    mayPlace: hasAnyRole(principal, ['manager', 'contact_person']),
  };
}

function OrderFilters() {
  const { search, units, placers } = useLoaderData<typeof loader>();
  const t = useT();
  const select = (name: keyof OrderFilterSearch, label: string, options: Array<[string, string]>) => (
    <label>
      {label}
      <select name={name} defaultValue={(search[name] as string | undefined) ?? ''}>
        <option value="">{t('orders.filter.all')}</option>
        {options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <Form method="get" className="filters" aria-label={t('orders.filter.heading')}>
      <label>
        {t('orders.filter.search')}
        <input type="search" name="search" defaultValue={search.search ?? ''} />
      </label>
      {select(
        'unitId',
        t('orders.filter.unit'),
        units.map((unit) => [unit.id, unit.name]),
      )}
      {select(
        'type',
        t('orders.filter.type'),
        orderTypeValues.map((type) => [type, orderTypeLabel(t, type)]),
      )}
      {select(
        'state',
        t('orders.filter.state'),
        orderStateValues.map((state) => [state, t(`orders.state.${state}`)]),
      )}
      <label>
        {t('orders.filter.from')}
        <input type="date" name="from" defaultValue={search.from ?? ''} />
      </label>
      <label>
        {t('orders.filter.to')}
        <input type="date" name="to" defaultValue={search.to ?? ''} />
      </label>
      {select(
        'placedBy',
        t('orders.filter.placedBy'),
        placers.map((placer) => [placer.id, placer.displayName]),
      )}
      <label>
        {t('orders.filter.sort')}
        <select name="sort" defaultValue={search.sort}>
          {orderSortValues.map((sort) => (
            <option key={sort} value={sort}>
              {t(`orders.sort.${sort}`)}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="small">
        {t('orders.filter.apply')}
      </button>
      <Link to="/admin/bestallningar">{t('orders.filter.clear')}</Link>
    </Form>
  );
}

function OrderTable() {
  const { result } = useLoaderData<typeof loader>();
  const t = useT();
  const format = useDateTimeFormat();
  if (result.rows.length === 0) return <p className="card notice">{t('orders.none')}</p>;
  return (
    <table className="table orders-table">
      <thead>
        <tr>
          <th>{t('orders.column.placedAt')}</th>
          <th>{t('orders.column.type')}</th>
          <th>{t('orders.column.person')}</th>
          <th>{t('orders.column.unit')}</th>
          <th>{t('orders.column.placedBy')}</th>
          <th>{t('orders.column.state')}</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {result.rows.map((row) => (
          <tr key={row.id} data-testid="order-row">
            <td suppressHydrationWarning>{format.format(row.createdAt)}</td>
            <td>{orderTypeLabel(t, row.type)}</td>
            {row.person.hidden ? (
              <>
                <td>
                  <HiddenIdentityName />
                </td>
                <td />
              </>
            ) : (
              <>
                <td>
                  {row.person.name} <ProtectedIdentityBadge shown={row.person.protectedIdentity} />
                  <div className="muted">
                    {row.person.hsaId}
                    {row.person.personalIdentityNumber && ` · ${row.person.personalIdentityNumber}`}
                  </div>
                </td>
                <td>{row.person.unitName}</td>
              </>
            )}
            <td>{row.placedByName}</td>
            <td>
              <OrderStateBadge state={row.state} />
            </td>
            <td>
              <Link to={`/admin/bestallningar/${row.id}`}>{t('orders.open')}</Link>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Previous and next page by cursor: a deep page costs what the first one costs. */
function Paging() {
  const { search, result } = useLoaderData<typeof loader>();
  const t = useT();
  if (!result.previous && !result.next) return null;
  return (
    <nav className="orders-paging" aria-label={t('orders.paging')}>
      {result.previous && (
        <>
          <Link to={filterQuery(search)}>{t('orders.first')}</Link>
          <Link to={filterQuery(search, { before: result.previous })} rel="prev">
            {t('orders.previous')}
          </Link>
        </>
      )}
      {result.next && (
        <Link to={filterQuery(search, { after: result.next })} rel="next">
          {t('orders.next')}
        </Link>
      )}
    </nav>
  );
}

function OrderCount() {
  const { result } = useLoaderData<typeof loader>();
  const t = useT();
  const count = new Intl.NumberFormat(useLocale() === 'sv' ? 'sv-SE' : 'en-GB').format(result.total);
  return (
    <p className="orders-summary" data-testid="order-count">
      {result.totalIsLowerBound ? `${t('orders.moreThan')} ${count}` : count} {t('orders.count')}
    </p>
  );
}

export default function OrdersPage() {
  const { search, mayPlace } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <>
      <div className="orders-header">
        <h1>{t('orders.heading')}</h1>
        <div className="actions">
          <a
            className="orders-link-button"
            href={`/admin/bestallningar/export${filterQuery(search)}`}
            download
          >
            {t('orders.exportCsv')}
          </a>
          {mayPlace && (
            <Link className="orders-link-button" to="/admin/bestallningar/ny">
              {t('orders.new')}
            </Link>
          )}
        </div>
      </div>
      <p className="muted">{t('orders.intro')}</p>
      <OrderFilters />
      <OrderCount />
      <OrderTable />
      <Paging />
    </>
  );
}
