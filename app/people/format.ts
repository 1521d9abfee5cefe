import { useMemo } from 'react';
import { isMessageKey, type Translate } from '~/i18n/catalogue';
import { useLocale } from '~/i18n/use-translation';

/** Dates and times as staff in Sweden read them, whatever time zone the server or browser runs in. */
export function useDateFormat() {
  const locale = useLocale();
  return useMemo(() => {
    const tag = locale === 'sv' ? 'sv-SE' : 'en-GB';
    const date = new Intl.DateTimeFormat(tag, { timeZone: 'Europe/Stockholm', dateStyle: 'short' });
    const dateTime = new Intl.DateTimeFormat(tag, {
      timeZone: 'Europe/Stockholm',
      dateStyle: 'short',
      timeStyle: 'medium',
    });
    return { date: (ms: number) => date.format(ms), dateTime: (ms: number) => dateTime.format(ms) };
  }, [locale]);
}

/** The catalogue text for a domain value under `prefix` (a state, a reason, an action), or the value itself. */
export function labelFor(t: Translate, prefix: string, value: string): string {
  const key = `${prefix}.${value}`;
  return isMessageKey(key) ? t(key) : value;
}
