import { z } from 'zod';
import type { AuditOutcome } from '../../db/schema';

/** The schema's outcomes, repeated here so the browser bundle does not pull in the Drizzle schema. */
export const auditOutcomeChoices = [
  'success',
  'refused',
  'failed',
] as const satisfies readonly AuditOutcome[];

const code = (message: 'audit.filter.error.action' | 'audit.filter.error.objectType') =>
  z
    .string()
    .trim()
    .max(100, message)
    .regex(/^[a-z][a-z0-9_]*$/, message)
    .optional();

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'audit.filter.error.date')
  .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)), 'audit.filter.error.date')
  .optional();

/** The audit log's filter as it stands in the URL (and in the filter form, checked in the browser first). */
export const auditFilterSchema = z
  .object({
    actor: z.string().trim().toLowerCase().max(100, 'audit.filter.error.actor').optional(),
    action: code('audit.filter.error.action'),
    objectType: code('audit.filter.error.objectType'),
    objectId: z.string().trim().max(100, 'audit.filter.error.objectId').optional(),
    outcome: z.enum(auditOutcomeChoices, { message: 'audit.filter.error.outcome' }).optional(),
    unit: z.string().max(100, 'audit.filter.error.unit').optional(),
    from: day,
    to: day,
    page: z.coerce.number().int().min(1).max(100_000).catch(1).default(1),
  })
  .refine((filter) => !filter.from || !filter.to || filter.from <= filter.to, {
    path: ['to'],
    message: 'audit.filter.error.dateRange',
  });

export type AuditFilterInput = z.infer<typeof auditFilterSchema>;

/** Midnight in Sweden at the start of `day` (YYYY-MM-DD), whatever the server's own time zone. */
export function startOfSwedishDay(day: string, addDays = 0): Date {
  const utcMidnight = new Date(`${day}T00:00:00Z`);
  utcMidnight.setUTCDate(utcMidnight.getUTCDate() + addDays);
  const offsetMs = swedishOffsetMs(utcMidnight);
  const guess = new Date(utcMidnight.getTime() - offsetMs);
  return new Date(utcMidnight.getTime() - swedishOffsetMs(guess));
}

function swedishOffsetMs(at: Date): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Stockholm',
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const value = (type: string) => Number(parts.find((part) => part.type === type)?.value);
  const local = Date.UTC(
    value('year'),
    value('month') - 1,
    value('day'),
    value('hour'),
    value('minute'),
    value('second'),
  );
  return local - Math.floor(at.getTime() / 1000) * 1000;
}
