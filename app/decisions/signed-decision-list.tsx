import { useT } from '~/i18n/use-translation';
import { useDateFormat } from '~/people/format';

export interface SignedDecisionItem {
  id: string;
  statement: string;
  signerName: string;
  method: 'card' | 'mobile_siths';
  signedAt: string | number | Date;
}

/**
 * "Signerad av ...": each signed decision with its statement, signer, time and method, and the files that
 * let anyone verify it outside siths-desk (the CMS signature, the statement's text and the CA chain).
 */
export function SignedDecisionList({ decisions }: { decisions: readonly SignedDecisionItem[] }) {
  const t = useT();
  const format = useDateFormat();
  if (decisions.length === 0) return null;
  return (
    <ul className="signed-decisions" data-testid="signed-decisions">
      {decisions.map((decision) => (
        <li key={decision.id} className="card">
          <p>
            <strong>{t('decision.signedBy')}</strong> {decision.signerName} ·{' '}
            {format.dateTime(new Date(decision.signedAt).getTime())} ·{' '}
            {t(`decision.method.${decision.method}`)}
          </p>
          <pre className="signed-statement">{decision.statement}</pre>
          <p className="button-row">
            <a href={`/admin/beslut/${decision.id}.p7s`} download>
              {t('decision.download.cms')}
            </a>
            <a href={`/admin/beslut/${decision.id}.txt`} download>
              {t('decision.download.statement')}
            </a>
            <a href="/admin/beslut/ca-kedja.pem" download>
              {t('decision.download.chain')}
            </a>
          </p>
        </li>
      ))}
    </ul>
  );
}
