import { labelOf, type Translate } from '~/i18n/catalogue';
import type { JobView } from '../../protocol/support-events';

/**
 * What support calls a job: its kind, and for a card authentication what it is for (a login, the
 * registration step of a reserve card's activation, a signed decision).
 */
export function jobKindLabel(t: Translate, job: Pick<JobView, 'kind' | 'purpose'>): string {
  const purpose =
    job.kind === 'authenticate' && job.purpose && job.purpose !== 'login' ? `.${job.purpose}` : '';
  return labelOf(t, 'job', `${job.kind}${purpose}`);
}
