import type { CsvColumn, OrderListPerson, OrderListRow } from '../../db/order-list';
import type { Translate } from '../i18n/catalogue';
import { orderStateLabel, orderTypeLabel } from './labels';

const isoMinute = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

/** A person's field, or nothing for a protected identity hidden from the reader. */
const personField =
  (field: (person: OrderListPerson) => string | null) =>
  (row: OrderListRow): string =>
    row.person.hidden ? '' : (field(row.person) ?? '');

/** The export's columns with Swedish (or the user's language) headers and labels, as on the list page. */
export function orderCsvColumns(t: Translate): CsvColumn[] {
  return [
    { header: t('orders.column.order'), value: (row) => row.id },
    { header: t('orders.column.placedAt'), value: (row) => isoMinute(row.createdAt) },
    { header: t('orders.column.type'), value: (row) => orderTypeLabel(t, row.type) },
    { header: t('orders.column.state'), value: (row) => orderStateLabel(t, row.state) },
    {
      header: t('orders.column.person'),
      value: (row) =>
        row.person.hidden
          ? t('protected.identity')
          : `${row.person.name}${row.person.protectedIdentity ? ` (${t('protected.identity')})` : ''}`,
    },
    { header: t('orders.column.hsaId'), value: personField((person) => person.hsaId) },
    {
      header: t('orders.column.personalIdentityNumber'),
      value: personField((person) => person.personalIdentityNumber),
    },
    { header: t('orders.column.unit'), value: personField((person) => person.unitName) },
    { header: t('orders.column.placedBy'), value: (row) => row.placedByName },
    { header: t('orders.column.updatedAt'), value: (row) => isoMinute(row.updatedAt) },
  ];
}

/** A streamed CSV response: the UTF-8 byte order mark first, so Excel reads å, ä and ö right. */
export function csvResponse(chunks: Iterator<string> | AsyncIterator<string>, fileName: string): Response {
  const encoder = new TextEncoder();
  let started = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      const text = (started ? '' : '\uFEFF') + (next.done ? '' : next.value);
      started = true;
      if (text) controller.enqueue(encoder.encode(text));
      if (next.done) controller.close();
    },
    async cancel() {
      await chunks.return?.();
    },
  });
  return new Response(body, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${fileName}.csv"`,
      'Cache-Control': 'no-store',
    },
  });
}
