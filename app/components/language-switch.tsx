import { Form, useLocation } from '@remix-run/react';
import { useLocale, useT } from '~/i18n/use-translation';

export function LanguageSwitch() {
  const t = useT();
  const locale = useLocale();
  const location = useLocation();
  return (
    <Form method="post" action="/sprak" className="inline">
      <input type="hidden" name="locale" value={locale === 'sv' ? 'en' : 'sv'} />
      <input type="hidden" name="returnTo" value={`${location.pathname}${location.search}`} />
      <button type="submit" className="link-button">
        {t('nav.language')}
      </button>
    </Form>
  );
}
