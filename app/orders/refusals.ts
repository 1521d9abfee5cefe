import type { OrderChangeRefusal, PlaceOrderRefusal } from '../../db/orders';

/** Where a refused order shows its message, and the HTTP status it gets. */
export const placeOrderRefusals: Record<PlaceOrderRefusal, { field: 'person' | 'type'; status: number }> = {
  person_not_found: { field: 'person', status: 404 },
  person_outside_units: { field: 'person', status: 403 },
  age_unknown: { field: 'type', status: 422 },
  under_18: { field: 'type', status: 422 },
  duplicate_open_order: { field: 'type', status: 409 },
  too_many_mobiles: { field: 'type', status: 409 },
};

export const orderChangeRefusalStatus: Record<OrderChangeRefusal, number> = {
  not_found: 404,
  stale: 409,
  wrong_state: 409,
  not_permitted: 403,
  own_order: 403,
  already_approved: 403,
  signature_required: 403,
  signature_spent: 409,
};
