import { and, eq, gte, or, sql } from 'drizzle-orm';
import type { AppDatabase } from './connection';
import { auditEvents } from './schema';

export interface FailedLoginCounts {
  byPerson: number;
  byAddress: number;
  lastByPerson: Date | null;
  lastByAddress: Date | null;
}

/**
 * Failed login attempts since `since`, as the audit log has them: refused events marked
 * `detail.countsTowardLimit` whose detail names the person (`detail.personId`) or the client address
 * (`detail.clientAddress`), with the time of the latest of each. Reads the audit time index, so only the
 * recent window is scanned.
 */
export function countFailedLogins(
  db: AppDatabase,
  input: { personId?: string | null; address?: string | null; since: Date },
): FailedLoginCounts {
  const personMatch = input.personId
    ? sql`json_extract(${auditEvents.detail}, '$.personId') = ${input.personId}`
    : sql`0`;
  const addressMatch = input.address
    ? sql`json_extract(${auditEvents.detail}, '$.clientAddress') = ${input.address}`
    : sql`0`;
  const row = db
    .select({
      byPerson: sql<number>`coalesce(sum(case when ${personMatch} then 1 else 0 end), 0)`,
      byAddress: sql<number>`coalesce(sum(case when ${addressMatch} then 1 else 0 end), 0)`,
      lastByPerson: sql<number | null>`max(case when ${personMatch} then ${auditEvents.at} end)`,
      lastByAddress: sql<number | null>`max(case when ${addressMatch} then ${auditEvents.at} end)`,
    })
    .from(auditEvents)
    .where(
      and(
        gte(auditEvents.at, input.since),
        eq(auditEvents.outcome, 'refused'),
        sql`json_extract(${auditEvents.detail}, '$.countsTowardLimit') = 1`,
        or(personMatch, addressMatch),
      ),
    )
    .get();
  const dateOf = (ms: number | null | undefined) => (ms == null ? null : new Date(Number(ms)));
  return {
    byPerson: Number(row?.byPerson ?? 0),
    byAddress: Number(row?.byAddress ?? 0),
    lastByPerson: dateOf(row?.lastByPerson),
    lastByAddress: dateOf(row?.lastByAddress),
  };
}
