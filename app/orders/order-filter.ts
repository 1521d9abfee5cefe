import { z } from 'zod';
import { orderSortValues, orderStateValues, orderTypeValues } from './order-values';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine((value) => !Number.isNaN(Date.parse(value)))
  .optional()
  .catch(undefined);

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
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
});

export type OrderFilterSearch = z.infer<typeof orderFilterSearchSchema>;

export function orderFilterFromUrl(url: URL): OrderFilterSearch {
  const raw = Object.fromEntries([...url.searchParams].filter(([, value]) => value !== ''));
  return orderFilterSearchSchema.parse(raw);
}

/** The filter as a query string without the page: for the CSV link and the paging links. */
export function filterQuery(filter: OrderFilterSearch, page?: number): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filter)) {
    if (name === 'page' || value === undefined || (name === 'sort' && value === 'created_desc')) continue;
    params.set(name, String(value));
  }
  if (page && page > 1) params.set('page', String(page));
  const query = params.toString();
  return query ? `?${query}` : '';
}
