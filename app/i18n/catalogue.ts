import { en } from './en';
import { type MessageKey, sv } from './sv';

export const locales = ['sv', 'en'] as const;
export type Locale = (typeof locales)[number];
export type { MessageKey };

const catalogues: Record<Locale, Record<MessageKey, string>> = { sv, en };

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (locales as readonly string[]).includes(value);
}

export function translator(locale: Locale) {
  const catalogue = catalogues[locale];
  return (key: MessageKey): string => catalogue[key];
}

export type Translate = ReturnType<typeof translator>;

export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(sv, key);
}

/** The text for a domain value (a step, a state, an error code), or the value itself when it has none. */
export function labelOf(
  t: Translate,
  prefix: 'step' | 'job' | 'jobState' | 'jobError' | 'stepStatus',
  value: string,
) {
  const key = `${prefix}.${value}`;
  return isMessageKey(key) ? t(key) : value;
}
