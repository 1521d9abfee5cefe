import { Form, useNavigation } from '@remix-run/react';
import { useT } from '~/i18n/use-translation';

/**
 * Supportkod and who the user is: pairs the staff member with the SITHS eID-app that shows the code. On the
 * support live view and on Lås upp kort; both post to /admin/las-upp-kort.
 */
export function SupportCodeForm({
  person,
  refusal,
}: {
  /** The person the staff member opened (from the person page), or none: then they type who it is. */
  person?: { id: string; name: string; hsaId: string } | null;
  refusal?: string | null;
}) {
  const t = useT();
  const navigation = useNavigation();
  return (
    <Form
      method="post"
      action="/admin/las-upp-kort"
      className="card"
      aria-describedby={refusal ? 'pair-refusal' : undefined}
      data-testid="support-code-form"
    >
      <input type="hidden" name="intent" value="pair" />
      {person ? (
        <p>
          <strong>{t('assistedUnlock.personFixed')}:</strong> {person.name} ({person.hsaId})
          <input type="hidden" name="person" value={person.id} />
        </p>
      ) : (
        <div className="field">
          <label htmlFor="assist-person">{t('assistedUnlock.person')}</label>
          <input id="assist-person" name="person" required autoComplete="off" maxLength={40} />
        </div>
      )}
      <div className="field">
        <label htmlFor="assist-support-code">{t('assistedUnlock.supportCode')}</label>
        <input
          id="assist-support-code"
          name="supportCode"
          required
          inputMode="numeric"
          autoComplete="off"
          maxLength={9}
          className="support-code-input"
        />
      </div>
      {refusal ? (
        <p id="pair-refusal" role="alert" className="form-error">
          {refusal}
        </p>
      ) : null}
      <button type="submit" className="primary" disabled={navigation.state !== 'idle'}>
        {t('assistedUnlock.pair')}
      </button>
    </Form>
  );
}
