import type { OrderState, OrderType } from '../../db/schema';
import { isMessageKey, type Translate } from '../i18n/catalogue';

export const orderTypeLabel = (t: Translate, type: OrderType) => t(`orders.type.${type}`);
export const orderStateLabel = (t: Translate, state: OrderState) => t(`orders.state.${state}`);

/** A timeline note: a code the system wrote has a text in the catalogue; a person's note is shown as written. */
export function orderNoteText(t: Translate, note: string): string {
  const key = `orders.note.${note}`;
  return isMessageKey(key) ? t(key) : note;
}

const stateBadgeClass: Record<OrderState, string> = {
  placed: 'badge info',
  awaiting_second_approval: 'badge warn',
  ready: 'badge ok',
  fulfilled: 'badge ok',
  cancelled: 'badge',
  expired: 'badge error',
};

export const orderStateBadgeClass = (state: OrderState) => stateBadgeClass[state];
