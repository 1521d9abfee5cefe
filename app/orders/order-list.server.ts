import type { AppDatabase } from '../../db/connection';
import {
  listOrderPage,
  listOrderPlacers,
  type OrderListFilter,
  type OrderPagePosition,
  streamOrdersCsv,
} from '../../db/order-list';
import { expandUnitSubtrees, listUnits } from '../../db/units';
import { identityViewerOf, type Principal, visibleUnits } from '../auth/permissions';
import { dashboardSections } from '../auth/sections';
import type { Translate } from '../i18n/catalogue';
import { orderCsvColumns } from './order-csv.server';
import type { OrderFilterSearch } from './order-filter';

const orderReaders = dashboardSections.orders.roles;

/** The units whose orders the principal sees: ID-administrators and support all, the others their units. */
export function orderScope(principal: Principal): 'all' | string[] {
  return visibleUnits(principal, orderReaders);
}

/** The database filter for the URL's filter: a chosen unit narrows the principal's scope, never widens it. */
export async function orderListFilter(
  db: AppDatabase,
  principal: Principal,
  search: OrderFilterSearch,
): Promise<OrderListFilter> {
  const visible = orderScope(principal);
  let scope: 'all' | string[] = visible;
  if (search.unitId) {
    const subtree = await expandUnitSubtrees(db, [search.unitId]);
    scope = visible === 'all' ? subtree : subtree.filter((unitId) => visible.includes(unitId));
  }
  const endOfDay = search.to ? new Date(Date.parse(search.to) + 86_400_000) : undefined;
  return {
    scope,
    viewer: identityViewerOf(principal),
    ...(search.type && { types: [search.type] }),
    ...(search.state && { states: [search.state] }),
    ...(search.from && { createdFrom: new Date(Date.parse(search.from)) }),
    ...(endOfDay && { createdBefore: endOfDay }),
    ...(search.placedBy && { placedByUserId: search.placedBy }),
    ...(search.search && { search: search.search }),
  };
}

/** The units a principal may filter the list by. */
export async function filterableUnits(db: AppDatabase, principal: Principal) {
  const visible = orderScope(principal);
  return (await listUnits(db, visible === 'all' ? undefined : visible)).map(({ id, name }) => ({ id, name }));
}

/** What the order list page shows: one page under the URL's filter, and the filter's choices. */
export async function loadOrderList(
  db: AppDatabase,
  principal: Principal,
  search: OrderFilterSearch,
  position: OrderPagePosition,
) {
  const filter = await orderListFilter(db, principal, search);
  return {
    result: await listOrderPage(db, filter, search.sort, position),
    units: await filterableUnits(db, principal),
    placers: await listOrderPlacers(db, orderScope(principal)),
  };
}

/** Every order under the URL's filter as CSV chunks, pulled one at a time. */
export async function orderCsvChunks(
  db: AppDatabase,
  principal: Principal,
  search: OrderFilterSearch,
  t: Translate,
) {
  return streamOrdersCsv(db, await orderListFilter(db, principal, search), search.sort, orderCsvColumns(t));
}
