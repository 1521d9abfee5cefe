import { asc, inArray, sql } from 'drizzle-orm';
import type { AppDatabase } from './connection';
import { queryRows } from './engine';
import { units } from './schema';

export interface UnitSummary {
  id: string;
  hsaId: string;
  name: string;
  parentId: string | null;
  organisation: string;
}

/** The given units and every unit below them in the HSA tree. */
export async function expandUnitSubtrees(db: AppDatabase, rootUnitIds: readonly string[]): Promise<string[]> {
  if (rootUnitIds.length === 0) return [];
  const roots = sql.join(
    rootUnitIds.map((id) => sql`${id}`),
    sql`, `,
  );
  const rows = await queryRows<{ id: string }>(
    db,
    sql`
    with recursive subtree(id) as (
      select id from units where id in (${roots})
      union
      select units.id from units join subtree on units.parent_id = subtree.id
    )
    select id from subtree`,
  );
  return rows.map((row) => row.id);
}

export async function listUnits(db: AppDatabase, unitIds?: readonly string[]): Promise<UnitSummary[]> {
  const query = db
    .select({
      id: units.id,
      hsaId: units.hsaId,
      name: units.name,
      parentId: units.parentId,
      organisation: units.organisation,
    })
    .from(units);
  if (unitIds) {
    if (unitIds.length === 0) return [];
    return await query.where(inArray(units.id, [...unitIds])).orderBy(asc(units.name));
  }
  return await query.orderBy(asc(units.name));
}
