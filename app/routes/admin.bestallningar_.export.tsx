import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireSection } from '~/auth/section.server';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import { csvResponse } from '~/orders/order-csv.server';
import { orderFilterFromUrl } from '~/orders/order-filter';
import { orderCsvChunks } from '~/orders/order-list.server';
import { recordAudit } from '../../db/audit';

/** The order list's current filter as a CSV file, streamed row by row. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'orders');
  const search = orderFilterFromUrl(new URL(request.url));
  const t = translator(await localeOf(request));
  await recordAudit(context.db, {
    actorUserId: principal.userId,
    actorLabel: principal.username,
    action: 'orders_export_csv',
    objectType: 'order_list',
    outcome: 'success',
    detail: { filter: search },
  });
  return csvResponse(await orderCsvChunks(context.db, principal, search, t), t('orders.csv.fileName'));
}
