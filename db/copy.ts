import { and, asc, count, eq, getTableColumns, gt, is, or, type SQL, sql } from 'drizzle-orm';
import { getTableConfig, type SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { AppDatabase, AppTransaction } from './connection';
import { forEngine, queryRows, runStatement } from './engine';
import * as schema from './schema';

/** Rows of one table in the source snapshot and in the target after the copy. */
export interface TableCount {
  table: string;
  source: number;
  target: number;
}

export interface CopyOptions {
  /** Rows read per keyset step (and handed to the target per step). */
  batchSize?: number;
}

export class TargetNotEmptyError extends Error {
  constructor(readonly tables: string[]) {
    const named =
      tables.length > 4
        ? `${tables.slice(0, 3).join(', ')} and ${tables.length - 3} more tables`
        : tables.join(', ');
    super(`The target database is not empty (rows in ${named}): db:copy only copies into an empty database.`);
    this.name = 'TargetNotEmptyError';
  }
}

type Row = Record<string, unknown>;

/** A column and the property drizzle's select() gives its value under. */
interface KeyColumn {
  column: SQLiteColumn;
  key: string;
}

interface SelfReference {
  /** Property keys of the referencing columns and of the columns they point to. */
  columns: string[];
  parentColumns: string[];
}

interface TablePlan {
  table: SQLiteTable;
  name: string;
  columns: KeyColumn[];
  primaryKey: KeyColumn[];
  /** Foreign keys into the same table (units.parent_id): a child is written after its parent. */
  selfReferences: SelfReference[];
  /** Rows per INSERT, below SQLite's and PostgreSQL's limits on bound parameters. */
  rowsPerInsert: number;
}

const maxParametersPerStatement = 30_000;

/**
 * Every table of db/schema.ts, each after the tables its foreign keys point to, so each row's references
 * exist when it is written. Derived from the table objects: a new table is copied without a list to update.
 */
function copyPlan(): TablePlan[] {
  const tables = (Object.values(schema) as unknown[]).filter((value): value is SQLiteTable =>
    is(value, SQLiteTable),
  );
  const ordered: TablePlan[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();

  const place = (table: SQLiteTable) => {
    const config = getTableConfig(table);
    if (placed.has(config.name)) return;
    if (visiting.has(config.name)) {
      throw new Error(`The foreign keys of ${config.name} form a cycle: no table order copies it.`);
    }
    visiting.add(config.name);
    const keys = new Map(Object.entries(getTableColumns(table)).map(([key, column]) => [column.name, key]));
    const keyOf = (column: SQLiteColumn): KeyColumn => ({
      column,
      key: keys.get(column.name) ?? column.name,
    });
    const selfReferences: SelfReference[] = [];
    for (const foreignKey of config.foreignKeys) {
      const reference = foreignKey.reference();
      const parentName = getTableConfig(reference.foreignTable).name;
      if (parentName === config.name) {
        selfReferences.push({
          columns: reference.columns.map((column) => keyOf(column).key),
          parentColumns: reference.foreignColumns.map((column) => keyOf(column).key),
        });
      } else {
        place(reference.foreignTable);
      }
    }
    visiting.delete(config.name);
    placed.add(config.name);
    const primaryKey = (
      config.primaryKeys[0]?.columns ?? config.columns.filter((column) => column.primary)
    ).map(keyOf);
    if (primaryKey.length === 0) throw new Error(`${config.name} has no primary key to copy it in order by.`);
    ordered.push({
      table,
      name: config.name,
      columns: config.columns.map(keyOf),
      primaryKey,
      selfReferences,
      rowsPerInsert: Math.floor(maxParametersPerStatement / config.columns.length),
    });
  };
  for (const table of tables) place(table);
  return ordered;
}

/**
 * Copies every row of every table from `source` into the empty `target`, ids included, and returns the rows
 * per table on both sides.
 *
 * The source is read inside one transaction (one snapshot), table by table in primary-key order, in keyset
 * batches; the target is written inside one transaction opened within it: a failure, or a target that already
 * holds a row, leaves the target as it was.
 */
export async function copyDatabase(
  source: AppDatabase,
  target: AppDatabase,
  options: CopyOptions = {},
): Promise<TableCount[]> {
  // One database's transactions take turns: a copy into itself would wait for itself forever.
  if (source === target) throw new Error('The source and the target are the same database.');
  const plan = copyPlan();
  const batchSize = options.batchSize ?? 1_000;
  // Deferred: a SQLite source is read as one WAL snapshot without the write lock, so a running region's
  // server goes on writing while it is copied.
  return source.transaction(
    async (from) => {
      // PostgreSQL's default isolation sees other commits between statements; SQLite's transaction is a snapshot.
      const snapshot = forEngine(from, {
        sqlite: null,
        postgres: sql`set transaction isolation level repeatable read, read only`,
      });
      if (snapshot) await runStatement(from, snapshot);
      return target.transaction((to) => copyTables(from, to, plan, batchSize));
    },
    { behavior: 'deferred' },
  );
}

async function copyTables(
  from: AppTransaction,
  to: AppTransaction,
  plan: TablePlan[],
  batchSize: number,
): Promise<TableCount[]> {
  const occupied: string[] = [];
  for (const table of plan) {
    if ((await to.select({ one: sql`1` }).from(table.table).limit(1)).length > 0) occupied.push(table.name);
  }
  if (occupied.length > 0) throw new TargetNotEmptyError(occupied);

  const inserts = new InsertStatements(to);
  const result: TableCount[] = [];
  for (const table of plan) {
    const sourceCount = await countRows(from, table.table);
    const parentsFirst = table.selfReferences.length > 0 ? new ParentsFirst(table) : null;
    let after: Row | undefined;
    for (;;) {
      const rows = (await from
        .select()
        .from(table.table)
        .where(after ? keysetAfter(table.primaryKey, after) : undefined)
        .orderBy(...table.primaryKey.map(({ column }) => asc(column)))
        .limit(batchSize)) as Row[];
      if (rows.length === 0) break;
      after = rows[rows.length - 1];
      const ready = parentsFirst ? parentsFirst.accept(rows) : rows;
      for (let start = 0; start < ready.length; start += table.rowsPerInsert) {
        await inserts.write(table, ready.slice(start, start + table.rowsPerInsert));
      }
      if (rows.length < batchSize) break;
    }
    parentsFirst?.finish();
    result.push({ table: table.name, source: sourceCount, target: 0 });
  }

  await moveIdentitySequencesPastCopiedIds(to, plan);

  for (const [index, table] of plan.entries()) result[index]!.target = await countRows(to, table.table);
  const differing = result.filter((entry) => entry.source !== entry.target);
  if (differing.length > 0) {
    const list = differing.map((entry) => `${entry.table} ${entry.source} -> ${entry.target}`).join(', ');
    throw new Error(`The copy does not hold the source's rows (${list}): nothing was written.`);
  }
  return result;
}

/**
 * One INSERT per table and row count, built once and run with each batch's values: drizzle takes longer to
 * build a 1,000-row statement than PostgreSQL takes to run it. The values go through each column's own
 * mapping (as drizzle's insert does: null stays null), so both engines store what a plain insert would.
 */
class InsertStatements {
  private readonly prepared = new Map<string, PreparedInsert>();

  constructor(private readonly tx: AppTransaction) {}

  async write(plan: TablePlan, rows: Row[]): Promise<void> {
    const id = `${plan.name}:${rows.length}`;
    let statement = this.prepared.get(id);
    if (!statement) {
      const names = rows.map((_, index) => plan.columns.map(({ key }) => `${index}.${key}`));
      const placeholders = names.map((rowNames) =>
        Object.fromEntries(
          plan.columns.map(({ key }, position) => [key, sql`${sql.placeholder(rowNames[position] ?? key)}`]),
        ),
      );
      const prepared = this.tx
        .insert(plan.table)
        .values(placeholders as never)
        .prepare();
      statement = { names, execute: (values) => prepared.execute(values) };
      this.prepared.set(id, statement);
    }
    const values: Record<string, unknown> = {};
    for (const [index, row] of rows.entries()) {
      const rowNames = statement.names[index] ?? [];
      for (const [position, { column, key }] of plan.columns.entries()) {
        const value = row[key] ?? null;
        values[rowNames[position] ?? key] = value === null ? null : column.mapToDriverValue(value);
      }
    }
    await statement.execute(values);
  }
}

interface PreparedInsert {
  /** The placeholder name of each row's each column. */
  names: string[][];
  execute(values: Record<string, unknown>): Promise<unknown>;
}

async function countRows(tx: AppTransaction, table: SQLiteTable): Promise<number> {
  const [row] = await tx.select({ rows: count() }).from(table);
  return row?.rows ?? 0;
}

/** Rows after `last` in primary-key order: (a > x) or (a = x and b > y) ... */
function keysetAfter(primaryKey: KeyColumn[], last: Row): SQL | undefined {
  return or(
    ...primaryKey.map(({ column, key }, position) =>
      and(
        ...primaryKey.slice(0, position).map((earlier) => eq(earlier.column, last[earlier.key])),
        gt(column, last[key]),
      ),
    ),
  );
}

/**
 * Orders the rows of a table that references itself so each parent is written before its children: rows come
 * in primary-key order, and a row whose parent has not been written yet waits for it.
 */
class ParentsFirst {
  private readonly written: Set<string>[];
  private readonly waiting = new Map<string, Row[]>();
  private waitingRows = 0;

  constructor(private readonly plan: TablePlan) {
    this.written = plan.selfReferences.map(() => new Set<string>());
  }

  accept(rows: Row[]): Row[] {
    const ready: Row[] = [];
    const release = (row: Row) => {
      ready.push(row);
      this.plan.selfReferences.forEach((reference, index) => {
        const key = this.key(row, reference.parentColumns);
        this.written[index]?.add(key);
        const children = this.waiting.get(`${index}:${key}`);
        if (children) {
          this.waiting.delete(`${index}:${key}`);
          this.waitingRows -= children.length;
          for (const child of children) this.offer(child, release);
        }
      });
    };
    for (const row of rows) this.offer(row, release);
    return ready;
  }

  finish(): void {
    if (this.waitingRows > 0) {
      throw new Error(
        `${this.plan.name}: ${this.waitingRows} rows reference a parent row that is not in the table (or a cycle).`,
      );
    }
  }

  private offer(row: Row, release: (row: Row) => void): void {
    for (const [index, reference] of this.plan.selfReferences.entries()) {
      if (reference.columns.some((key) => (row[key] ?? null) === null)) continue;
      const key = this.key(row, reference.columns);
      if (this.written[index]?.has(key)) continue;
      const slot = `${index}:${key}`;
      const siblings = this.waiting.get(slot) ?? [];
      siblings.push(row);
      this.waiting.set(slot, siblings);
      this.waitingRows += 1;
      return;
    }
    release(row);
  }

  private key(row: Row, keys: string[]): string {
    return JSON.stringify(keys.map((key) => row[key] ?? null));
  }
}

/**
 * PostgreSQL hands out generated ids from a sequence that explicit ids do not move: each is set past the
 * highest copied id. SQLite's AUTOINCREMENT already follows the highest id written.
 */
async function moveIdentitySequencesPastCopiedIds(tx: AppTransaction, plan: TablePlan[]): Promise<void> {
  const tableNames = sql.join(
    plan.map((table) => sql`${table.name}`),
    sql`, `,
  );
  const identityColumns = forEngine(tx, {
    sqlite: null,
    postgres: sql`select table_name, column_name,
                         pg_get_serial_sequence(quote_ident(table_name), column_name) as sequence
                  from information_schema.columns
                  where table_schema = current_schema() and table_name in (${tableNames})
                    and pg_get_serial_sequence(quote_ident(table_name), column_name) is not null`,
  });
  if (!identityColumns) return;
  const sequences = await queryRows<{ table_name: string; column_name: string; sequence: string }>(
    tx,
    identityColumns,
  );
  for (const { table_name: table, column_name: column, sequence } of sequences) {
    const highest = sql`(select max(${sql.identifier(column)}) from ${sql.identifier(table)})`;
    await runStatement(tx, sql`select setval(${sequence}, coalesce(${highest}, 0) + 1, false)`);
  }
}
