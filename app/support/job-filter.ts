import { z } from 'zod';
import { jobStates } from '../../protocol/jobs';
import type { JobListFilter, JobView } from '../../protocol/support-events';

export const jobAgeChoices = [15, 60, 1440, 10080] as const;

/** The job list's filter as it stands in the URL; anything unknown is ignored rather than refused. */
export const jobFilterSearchSchema = z.object({
  state: z.enum(jobStates).optional().catch(undefined),
  unitId: z.string().max(100).optional().catch(undefined),
  maxAgeMinutes: z.coerce
    .number()
    .refine((value) => (jobAgeChoices as readonly number[]).includes(value))
    .optional()
    .catch(undefined),
  search: z.string().trim().max(100).optional().catch(undefined),
});

export function jobFilterFromUrl(url: URL): JobListFilter {
  const raw = Object.fromEntries([...url.searchParams].filter(([, value]) => value !== ''));
  const parsed = jobFilterSearchSchema.parse(raw);
  return Object.fromEntries(
    Object.entries(parsed).filter(([, value]) => value !== undefined),
  ) as JobListFilter;
}

/** Whether a job that changed live belongs in the list under this filter (the server applies the same rules). */
export function jobMatchesFilter(job: JobView, filter: JobListFilter, now: number): boolean {
  if (filter.state && job.state !== filter.state) return false;
  // A holder hidden from this reader has no HSA-id or unit to match, as on the server.
  const holder = job.holder && !job.holder.hidden ? job.holder : null;
  if (filter.unitId && !holder?.units.some((unit) => unit.id === filter.unitId)) return false;
  if (filter.maxAgeMinutes && job.createdAt < now - filter.maxAgeMinutes * 60_000) return false;
  if (filter.search) {
    const term = filter.search.toLowerCase();
    const matches = [holder?.hsaId, job.cardSerial].some((value) => value?.toLowerCase().includes(term));
    if (!matches) return false;
  }
  return true;
}
