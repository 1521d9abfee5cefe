import { useT } from '~/i18n/use-translation';
import { LanguageSwitch } from './language-switch';

export function PublicHeader() {
  const t = useT();
  return (
    <header className="topbar">
      <div className="brand">
        <strong>{t('app.title')}</strong>
        <span>{t('app.tagline')}</span>
      </div>
      <nav className="topbar-actions">
        <LanguageSwitch />
      </nav>
    </header>
  );
}
