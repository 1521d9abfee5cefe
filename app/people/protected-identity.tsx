import { useT } from '~/i18n/use-translation';

/** Beside a protected identity's name, for the viewers who may see it. */
export function ProtectedIdentityBadge({ shown }: { shown: boolean }) {
  const t = useT();
  if (!shown) return null;
  return (
    <span className="badge warn" title={t('protected.badge.title')} data-testid="protected-identity">
      {t('protected.identity')}
    </span>
  );
}

/** Where a list names a person the viewer may not see: only that it is a protected identity. */
export function HiddenIdentityName() {
  const t = useT();
  return (
    <span className="muted" data-testid="hidden-identity">
      {t('protected.identity')}
    </span>
  );
}
