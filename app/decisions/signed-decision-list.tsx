import { useT } from '~/i18n/use-translation';
import { useDateFormat } from '~/people/format';

export interface SignedDecisionItem {
  id: string;
  /** Shown in full where the page does not already say what was decided. */
  statement?: string;
  signerName: string;
  method: 'card' | 'mobile_siths';
  signedAt: string | number | Date;
}

/**
 * "Signerad av ...": the signer, time and method of one signed decision, and the files that let anyone
 * verify it outside siths-desk (the CMS signature, the statement's text and the CA chain).
 */
export function SignedBy({ decision }: { decision: SignedDecisionItem }) {
  const t = useT();
  const format = useDateFormat();
  return (
    <>
      <p>
        <strong>{t('decision.signedBy')}</strong> {decision.signerName} ·{' '}
        {format.dateTime(new Date(decision.signedAt).getTime())} · {t(`decision.method.${decision.method}`)}
      </p>
      {decision.statement ? <pre className="signed-statement">{decision.statement}</pre> : null}
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
    </>
  );
}

/** Every signed decision about something (a person's cards and eIDs, an order), newest first. */
export function SignedDecisionList({ decisions }: { decisions: readonly SignedDecisionItem[] }) {
  if (decisions.length === 0) return null;
  return (
    <ul className="signed-decisions" data-testid="signed-decisions">
      {decisions.map((decision) => (
        <li key={decision.id} className="card" data-testid="signed-decision">
          <SignedBy decision={decision} />
        </li>
      ))}
    </ul>
  );
}
