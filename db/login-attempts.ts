import { and, eq, gte, or, sql } from 'drizzle-orm';
import { auditDetail } from './audit';
import type { AppDatabase } from './connection';
import { first } from './engine';
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
export async function countFailedLogins(
  db: AppDatabase,
  input: { personId?: string | null; address?: string | null; since: Date },
): Promise<FailedLoginCounts> {
  const detail = auditDetail(db);
  const personMatch = input.personId ? sql`${detail.text('personId')} = ${input.personId}` : sql`1 = 0`;
  const addressMatch = input.address ? sql`${detail.text('clientAddress')} = ${input.address}` : sql`1 = 0`;
  const row = first(
    await db
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
          detail.isTrue('countsTowardLimit'),
          or(personMatch, addressMatch),
        ),
      )
      .limit(1),
  );
  const dateOf = (ms: number | null | undefined) => (ms == null ? null : new Date(Number(ms)));
  return {
    byPerson: Number(row?.byPerson ?? 0),
    byAddress: Number(row?.byAddress ?? 0),
    lastByPerson: dateOf(row?.lastByPerson),
    lastByAddress: dateOf(row?.lastByAddress),
  };
}
