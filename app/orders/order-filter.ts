import { z } from 'zod';
import type { OrderCursor, OrderPagePosition } from '../../db/order-list';
import { orderSortValues, orderStateValues, orderTypeValues } from './order-values';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine((value) => !Number.isNaN(Date.parse(value)))
  .optional()
  .catch(undefined);

/**
 * A page link's cursor as it stands in the address: `<placed at ms>.<row key>.<person id>`. The row key is
 * SQLite's rowid (digits) or PostgreSQL's order id; the person id comes last, so it may hold anything.
 */
const cursorSchema = z
  .string()
  .max(300)
  .transform((text, context): OrderCursor => {
    const match = /^(\d{1,15})\.([^.]{1,100})\.(.{1,100})$/.exec(text);
    if (!match) {
      context.addIssue({ code: z.ZodIssueCode.custom, message: 'malformed cursor' });
      return z.NEVER;
    }
    const [, createdAt, rowKey, personId] = match as unknown as [string, string, string, string];
    return {
      createdAt: Number(createdAt),
      rowKey: /^\d{1,15}$/.test(rowKey) ? Number(rowKey) : rowKey,
      personId,
    };
  })
  .optional()
  .catch(undefined);

export function cursorParameter({ createdAt, rowKey, personId }: OrderCursor): string {
  return `${createdAt}.${rowKey}.${personId}`;
}

/** The order list's filter as it stands in the URL; anything unknown or malformed is ignored, not refused. */
export const orderFilterSearchSchema = z.object({
  search: z.string().trim().max(100).optional().catch(undefined),
  unitId: z.string().max(100).optional().catch(undefined),
  type: z.enum(orderTypeValues).optional().catch(undefined),
  state: z.enum(orderStateValues).optional().catch(undefined),
  from: day,
  to: day,
  placedBy: z.string().max(100).optional().catch(undefined),
  sort: z.enum(orderSortValues).catch('created_desc'),
});

export type OrderFilterSearch = z.infer<typeof orderFilterSearchSchema>;

export function orderFilterFromUrl(url: URL): OrderFilterSearch {
  return orderFilterSearchSchema.parse(nonEmptyParameters(url));
}

/** Which page of the list the URL asks for: after a row, before one, or the first. */
export function orderPagePositionFromUrl(url: URL): OrderPagePosition {
  const parameters = nonEmptyParameters(url);
  const after = cursorSchema.parse(parameters.after);
  const before = cursorSchema.parse(parameters.before);
  return { ...(after && { after }), ...(before && { before }) };
}

function nonEmptyParameters(url: URL): Record<string, string> {
  return Object.fromEntries([...url.searchParams].filter(([, value]) => value !== ''));
}

/** The filter as a query string, with the page's position for the paging links. */
export function filterQuery(filter: OrderFilterSearch, position: OrderPagePosition = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filter)) {
    if (value === undefined || (name === 'sort' && value === 'created_desc')) continue;
    params.set(name, String(value));
  }
  if (position.after) params.set('after', cursorParameter(position.after));
  else if (position.before) params.set('before', cursorParameter(position.before));
  const query = params.toString();
  return query ? `?${query}` : '';
}
