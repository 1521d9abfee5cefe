import { labelOf } from '~/i18n/catalogue';
import { useLocale, useT } from '~/i18n/use-translation';
import { HiddenIdentityName, ProtectedIdentityBadge } from '~/people/protected-identity';
import type { JobState } from '../../protocol/jobs';
import type { JobView, ShownHolder } from '../../protocol/support-events';
import { useSupportSocket } from './support-socket';

export function LiveBadge() {
  const t = useT();
  const { live } = useSupportSocket();
  return (
    <span className={live ? 'badge ok' : 'badge'} data-testid="live-state">
      {live ? t('support.live') : t('support.connecting')}
    </span>
  );
}

const stateBadgeClass: Record<JobState, string> = {
  queued: 'badge',
  running: 'badge info',
  succeeded: 'badge ok',
  failed: 'badge error',
  cancelled: 'badge warn',
};

export function JobStateBadge({ state }: { state: JobState }) {
  const t = useT();
  return (
    <span className={stateBadgeClass[state]} data-testid="job-state">
      {labelOf(t, 'jobState', state)}
    </span>
  );
}

export function Age({ since, now }: { since: number; now: number }) {
  const seconds = Math.max(0, Math.round((now - since) / 1000));
  const text =
    seconds < 60
      ? `${seconds} s`
      : seconds < 3600
        ? `${Math.floor(seconds / 60)} min`
        : `${Math.floor(seconds / 3600)} h`;
  return <span suppressHydrationWarning>{text}</span>;
}

export function JobErrorText({ job }: { job: Pick<JobView, 'errorCode'> }) {
  const t = useT();
  if (!job.errorCode) return null;
  return (
    <span className="error-text" data-testid="job-error">
      {labelOf(t, 'jobError', job.errorCode)}
    </span>
  );
}

/** An agent's or a job's holder: Skyddad identitet when hidden from this reader, badged for holders of the right. */
export function HolderName({ holder }: { holder: ShownHolder<{ name: string }> | null }) {
  if (!holder) return '–';
  if (holder.hidden) return <HiddenIdentityName />;
  return (
    <>
      {holder.name} <ProtectedIdentityBadge shown={holder.protectedIdentity} />
    </>
  );
}

/** A holder's details, when this reader may see them. */
export function shownHolder<Details>(holder: ShownHolder<Details> | null): Details | null {
  return holder && !holder.hidden ? holder : null;
}

export function useTimeFormat() {
  const locale = useLocale();
  return new Intl.DateTimeFormat(locale === 'sv' ? 'sv-SE' : 'en-GB', { timeStyle: 'medium' });
}
