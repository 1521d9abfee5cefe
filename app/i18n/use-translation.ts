import { useRouteLoaderData } from '@remix-run/react';
import { type Locale, translator } from './catalogue';

export function useLocale(): Locale {
  const data = useRouteLoaderData<{ locale: Locale }>('root');
  return data?.locale ?? 'sv';
}

export function useT() {
  return translator(useLocale());
}
