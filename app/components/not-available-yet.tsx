import { type DashboardSectionName, dashboardSections } from '~/auth/sections';
import { useT } from '~/i18n/use-translation';

/** A navigation target for a part of the dashboard that is not built yet; it says so instead of pretending. */
export function NotAvailableYet({ section }: { section: DashboardSectionName }) {
  const t = useT();
  return (
    <>
      <h1>{t(dashboardSections[section].label)}</h1>
      <div className="card notice">
        <h2>{t('notAvailable.heading')}</h2>
        <p>{t('notAvailable.body')}</p>
      </div>
    </>
  );
}
