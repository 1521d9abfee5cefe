import type { MessageKey } from '~/i18n/catalogue';
import type { CardState } from '../../db/schema';

export const cardStateLabels: Record<CardState, MessageKey> = {
  in_stock: 'reserveCards.state.in_stock',
  assigned: 'reserveCards.state.assigned',
  active: 'reserveCards.state.active',
  locked: 'reserveCards.state.locked',
  revoked: 'reserveCards.state.revoked',
  expired: 'reserveCards.state.expired',
};

export const cardStateBadges: Record<CardState, string> = {
  in_stock: 'badge ok',
  assigned: 'badge info',
  active: 'badge',
  locked: 'badge warn',
  revoked: 'badge error',
  expired: 'badge',
};

export function trustLevelLabel(level: number): MessageKey {
  return level === 3 ? 'reserveCards.trustLevel.3' : 'reserveCards.trustLevel.2';
}

export function orderTypeLabel(type: 'reserve_card_loa2' | 'reserve_card_loa3'): MessageKey {
  return `reserveCards.orderType.${type}`;
}

/** Dates as Swedish staff write them (2026-03-02), whatever the browser's locale. */
export function formatDate(value: string | Date): string {
  return new Date(value).toISOString().slice(0, 10);
}
