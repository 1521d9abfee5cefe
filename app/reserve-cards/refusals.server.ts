import { json } from '@remix-run/node';
import type { FieldErrors } from '~/forms/validation';
import type { MessageKey } from '~/i18n/catalogue';
import type { ReserveCardRefusal } from '../../db/reserve-cards';

interface RefusalResponse {
  field: string;
  message: MessageKey;
  status: number;
}

const refusals: Record<ReserveCardRefusal, RefusalResponse> = {
  serial_length: { field: 'serial', message: 'reserveCards.error.serialLength', status: 400 },
  serial_digits: { field: 'serial', message: 'reserveCards.error.serialDigits', status: 400 },
  serial_check_digit: { field: 'serial', message: 'reserveCards.error.serialCheckDigit', status: 400 },
  duplicate_serial: { field: 'serial', message: 'reserveCards.error.serialTaken', status: 409 },
  invalid_product_code: { field: 'productCode', message: 'reserveCards.error.productCode', status: 400 },
  invalid_trust_level: { field: 'trustLevel', message: 'reserveCards.error.trustLevel', status: 400 },
  invalid_threshold: { field: 'threshold', message: 'reserveCards.error.threshold', status: 400 },
  unknown_unit: { field: 'unitId', message: 'reserveCards.error.unknownUnit', status: 404 },
  unknown_card: { field: 'cardId', message: 'reserveCards.error.unknownCard', status: 404 },
  unknown_order: { field: 'orderId', message: 'reserveCards.error.unknownOrder', status: 404 },
  other_unit: { field: 'form', message: 'reserveCards.error.otherUnit', status: 403 },
  card_not_in_stock: { field: 'cardId', message: 'reserveCards.error.cardNotInStock', status: 409 },
  not_reserve_order: { field: 'orderId', message: 'reserveCards.error.notReserveOrder', status: 422 },
  order_not_ready: { field: 'orderId', message: 'reserveCards.error.orderNotReady', status: 409 },
  order_has_card: { field: 'orderId', message: 'reserveCards.error.orderHasCard', status: 409 },
  trust_level_mismatch: { field: 'cardId', message: 'reserveCards.error.trustLevelMismatch', status: 422 },
};

/** The action's answer to a refused change: the message next to the field it is about, and its status. */
export function refusalResponse(refusal: ReserveCardRefusal, fieldOverride?: string) {
  const { field, message, status } = refusals[refusal];
  const errors: FieldErrors = { [fieldOverride ?? field]: message };
  return json({ errors }, { status });
}
