import { and, eq, gte, inArray, or, sql } from 'drizzle-orm';
import type { AppDatabase } from './connection';
import { auditEvents } from './schema';

/**
 * Refused login attempts since `since`, as the audit log has them: events of `actions` with outcome
 * `refused` whose detail names the person (`detail.personId`) or the client address (`detail.clientAddress`).
 * Reads the audit time index, so only the recent window is scanned.
 */
export function countRefusedLogins(
  db: AppDatabase,
  input: { actions: readonly string[]; personId?: string | null; address?: string | null; since: Date },
): { byPerson: number; byAddress: number } {
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
    })
    .from(auditEvents)
    .where(
      and(
        gte(auditEvents.at, input.since),
        eq(auditEvents.outcome, 'refused'),
        inArray(auditEvents.action, [...input.actions]),
        or(personMatch, addressMatch),
      ),
    )
    .get();
  return { byPerson: Number(row?.byPerson ?? 0), byAddress: Number(row?.byAddress ?? 0) };
}
