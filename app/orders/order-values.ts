import type { OrderState, OrderType } from '../../db/schema';

// The browser bundle gets these lists without the Drizzle schema; `satisfies` keeps them in step with it.
export const orderTypeValues = [
  'eid_on_card',
  'reserve_card_loa2',
  'reserve_card_loa3',
  'mobile',
] as const satisfies readonly OrderType[];

export const orderStateValues = [
  'placed',
  'awaiting_second_approval',
  'ready',
  'fulfilled',
  'cancelled',
  'expired',
] as const satisfies readonly OrderState[];

export const orderSortValues = ['created_desc', 'created_asc', 'person_asc'] as const;
