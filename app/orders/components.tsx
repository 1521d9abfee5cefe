import type { OrderState } from '../../db/schema';
import { useLocale, useT } from '../i18n/use-translation';
import { orderStateBadgeClass, orderStateLabel } from './labels';

export function OrderStateBadge({ state }: { state: OrderState }) {
  const t = useT();
  return (
    <span className={orderStateBadgeClass(state)} data-testid="order-state">
      {orderStateLabel(t, state)}
    </span>
  );
}

/** Date and time in Swedish time, the way the user's language writes it. */
export function useDateTimeFormat() {
  const locale = useLocale();
  return new Intl.DateTimeFormat(locale === 'sv' ? 'sv-SE' : 'en-GB', {
    dateStyle: 'short',
    timeStyle: 'short',
    timeZone: 'Europe/Stockholm',
  });
}
