import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireSection } from '~/auth/section.server';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import { csvResponse, orderCsvColumns } from '~/orders/order-csv.server';
import { orderFilterFromUrl } from '~/orders/order-filter';
import { orderListFilter } from '~/orders/order-scope.server';
import { recordAudit } from '../../db/audit';
import { streamOrdersCsv } from '../../db/order-list';

/** The order list's current filter as a CSV file, streamed row by row. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'orders');
  const search = orderFilterFromUrl(new URL(request.url));
  const filter = orderListFilter(context.db, principal, search);
  const t = translator(await localeOf(request));
  recordAudit(context.db, {
    actorUserId: principal.userId,
    actorLabel: principal.username,
    action: 'orders_export_csv',
    objectType: 'order_list',
    outcome: 'success',
    detail: { filter: { ...search, page: undefined } },
  });
  const chunks = streamOrdersCsv(context.db, filter, search.sort, orderCsvColumns(t));
  return csvResponse(chunks, t('orders.csv.fileName'));
}
