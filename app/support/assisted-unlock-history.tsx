import { Link } from '@remix-run/react';
import { useT } from '~/i18n/use-translation';
import { labelFor, useDateFormat } from '~/people/format';
import type { IdentityCheckMethod, IdentityDocumentType } from '../../protocol/domain-values';

export interface AssistedUnlockRow {
  id: string;
  pairedAt: number;
  staffName: string;
  state: string;
  identityCheckMethod: IdentityCheckMethod | null;
  documentType: IdentityDocumentType | null;
  documentNumberEnd: string | null;
  cardSerial: string | null;
}

/** The person page's "Upplåsningar med support": who helped, how identity was checked, which card, how it went. */
export function AssistedUnlockHistory({
  personId,
  unlocks,
  mayAssist,
}: {
  personId: string;
  unlocks: AssistedUnlockRow[];
  mayAssist: boolean;
}) {
  const t = useT();
  const format = useDateFormat();
  if (unlocks.length === 0 && !mayAssist) return null;
  return (
    <section className="profile-section">
      <h2>{t('assistedUnlock.history.heading')}</h2>
      {mayAssist ? (
        <p>
          <Link to={`/admin/las-upp-kort?person=${personId}`}>{t('assistedUnlock.history.start')}</Link>
        </p>
      ) : null}
      {unlocks.length > 0 ? (
        <table className="table" data-testid="assisted-unlocks">
          <thead>
            <tr>
              <th scope="col">{t('assistedUnlock.history.at')}</th>
              <th scope="col">{t('assistedUnlock.history.staff')}</th>
              <th scope="col">{t('assistedUnlock.history.identity')}</th>
              <th scope="col">{t('assistedUnlock.history.card')}</th>
              <th scope="col">{t('assistedUnlock.history.outcome')}</th>
            </tr>
          </thead>
          <tbody>
            {unlocks.map((unlock) => (
              <tr key={unlock.id}>
                <td className="date">{format.dateTime(unlock.pairedAt)}</td>
                <td>{unlock.staffName}</td>
                <td>
                  {unlock.identityCheckMethod === 'id_document' && unlock.documentType
                    ? `${labelFor(t, 'assistedUnlock.document', unlock.documentType)}, …${unlock.documentNumberEnd ?? ''}`
                    : unlock.identityCheckMethod
                      ? labelFor(t, 'assistedUnlock.method', unlock.identityCheckMethod)
                      : '–'}
                </td>
                <td className="date">{unlock.cardSerial ?? '–'}</td>
                <td>{labelFor(t, 'assistedUnlock.outcome', unlock.state)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
