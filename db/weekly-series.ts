import { sql } from 'drizzle-orm';
import type { AppDatabase } from './connection';
import { first, queryRows } from './engine';
import { isEmptyUnitScope, type UnitScope, unitScopeCondition } from './unit-scope';

const weekMs = 7 * 24 * 60 * 60 * 1000;

export interface WeekPoint {
  /** Monday 00:00 UTC. */
  weekStart: Date;
  isoWeek: number;
  value: number;
}

export function weekStartOf(moment: Date): Date {
  const start = new Date(Date.UTC(moment.getUTCFullYear(), moment.getUTCMonth(), moment.getUTCDate()));
  const daysSinceMonday = (start.getUTCDay() + 6) % 7;
  return new Date(start.getTime() - daysSinceMonday * 24 * 60 * 60 * 1000);
}

/** ISO 8601 week number: the week with the year's first Thursday is week 1. */
export function isoWeekOf(moment: Date): number {
  const thursday = new Date(weekStartOf(moment).getTime() + 3 * 24 * 60 * 60 * 1000);
  const firstOfYear = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  return Math.floor((thursday.getTime() - firstOfYear) / weekMs) + 1;
}

/** The starts of the last `weeks` weeks, oldest first, the current week last. */
export function lastWeekStarts(now: Date, weeks: number): Date[] {
  const current = weekStartOf(now).getTime();
  return Array.from({ length: weeks }, (_, index) => new Date(current - (weeks - 1 - index) * weekMs));
}

function scopeSql(column: string, scope: UnitScope) {
  const condition = unitScopeCondition(sql.raw(column), scope);
  return condition ? sql` and ${condition}` : sql``;
}

/**
 * Reserve cards in stock at the end of each week (now, for the current week). A card that has left stock
 * counts until its last change: the cards table keeps no history of its own, and for a reserve card the
 * last change is nearly always the one that took it out of stock (assigned or withdrawn).
 */
export async function reserveStockPerWeek(db: AppDatabase, scope: UnitScope, now = new Date(), weeks = 12) {
  const starts = lastWeekStarts(now, weeks);
  if (isEmptyUnitScope(scope)) return starts.map((start) => point(start, 0));
  const ends = starts.map((start) => Math.min(start.getTime() + weekMs - 1, now.getTime()));
  const columns = sql.join(
    ends.map(
      (end, index) =>
        sql`coalesce(sum(case when created_at <= ${end} and (state = 'in_stock' or updated_at > ${end}) then 1 else 0 end), 0) as ${sql.raw(`w${index}`)}`,
    ),
    sql`, `,
  );
  const row = first(
    await queryRows<Record<string, number>>(
      db,
      sql`
    select ${columns} from cards
    where kind = 'reserve' and created_at <= ${now.getTime()}
      and (state = 'in_stock' or updated_at > ${starts[0]!.getTime()})${scopeSql('unit_id', scope)}`,
    ),
  );
  return starts.map((start, index) => point(start, row?.[`w${index}`] ?? 0));
}

/** Orders placed in each of the last `weeks` weeks. */
export async function ordersPlacedPerWeek(db: AppDatabase, scope: UnitScope, now = new Date(), weeks = 12) {
  const starts = lastWeekStarts(now, weeks);
  if (isEmptyUnitScope(scope)) return starts.map((start) => point(start, 0));
  const from = starts[0]!.getTime();
  const rows = await queryRows<{ bucket: number; value: number }>(
    db,
    sql`
    select cast((created_at - ${from}) / ${weekMs} as integer) as bucket, count(*) as value from orders
    where created_at >= ${from} and created_at <= ${now.getTime()}${scopeSql('unit_id', scope)}
    group by bucket`,
  );
  const byBucket = new Map(rows.map((row) => [row.bucket, row.value]));
  return starts.map((start, index) => point(start, byBucket.get(index) ?? 0));
}

function point(weekStart: Date, value: number): WeekPoint {
  return { weekStart, isoWeek: isoWeekOf(weekStart), value };
}
