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
      className="card form"
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
        <label>
          {t('assistedUnlock.person')}
          <input name="person" required autoComplete="off" maxLength={40} />
        </label>
      )}
      <label>
        {t('assistedUnlock.supportCode')}
        <input name="supportCode" required inputMode="numeric" autoComplete="off" maxLength={9} />
      </label>
      {refusal ? (
        <p id="pair-refusal" role="alert" className="form-error">
          {refusal}
        </p>
      ) : null}
      <button type="submit" className="button primary" disabled={navigation.state !== 'idle'}>
        {t('assistedUnlock.pair')}
      </button>
    </Form>
  );
}
