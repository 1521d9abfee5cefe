import { type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { SqliteRemoteDatabase } from 'drizzle-orm/sqlite-proxy';
import type * as schema from './schema';

export type DatabaseEngine = 'sqlite' | 'postgres';

/**
 * The database every domain module is written against. Both engines are typed as drizzle's async SQLite
 * database: the query builders PostgreSQL runs from the same table objects have the same surface, except
 * the SQLite-only `.get()/.all()/.run()/.values()` (forbidden in db/, checked by the lint step).
 */
export type AppDatabase = SqliteRemoteDatabase<typeof schema> & {
  readonly engine: DatabaseEngine;
  close(): Promise<void>;
};

export type AppTransaction = Parameters<Parameters<AppDatabase['transaction']>[0]>[0];

/** What a query runs on: the database, or the transaction the caller opened and passed down. */
export type Queryable = AppDatabase | AppTransaction;

export function engineOf(q: Queryable): DatabaseEngine {
  return (q as unknown as { dialect: unknown }).dialect instanceof PgDialect ? 'postgres' : 'sqlite';
}

/** The one place per module where an engine needs its own SQL. */
export function forEngine<T>(q: Queryable, choices: Record<DatabaseEngine, T>): T {
  return choices[engineOf(q)];
}

/**
 * Tells the SQLite driver to answer rows as objects keyed by column name (drizzle's own builders want
 * arrays in select order). Only `queryRows` adds it.
 */
export const objectRowsMarker = '/* rows as objects */ ';

export async function queryRows<Row>(q: Queryable, query: SQL): Promise<Row[]> {
  if (engineOf(q) === 'postgres') {
    const result = await (q as unknown as { execute(query: SQL): Promise<{ rows: Row[] }> }).execute(query);
    return result.rows;
  }
  return (await q.all(sql`${sql.raw(objectRowsMarker)}${query}`)) as Row[];
}

export async function runStatement(q: Queryable, query: SQL): Promise<void> {
  if (engineOf(q) === 'postgres') {
    await (q as unknown as { execute(query: SQL): Promise<unknown> }).execute(query);
    return;
  }
  await q.run(query);
}

export function first<Row>(rows: readonly Row[]): Row | undefined {
  return rows[0];
}

/** drizzle wraps what the driver threw ("Failed query: ...") and keeps it as the cause. */
export function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current && chain.length < 5; current = (current as { cause?: unknown }).cause) {
    chain.push(current);
  }
  return chain;
}

function driverCode(error: unknown): unknown {
  return causeChain(error)
    .map((link) => (link as { code?: unknown }).code)
    .find((code) => code !== undefined);
}

export function isUniqueViolation(error: unknown): boolean {
  const code = driverCode(error);
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

export function isCheckViolation(error: unknown): boolean {
  const code = driverCode(error);
  return code === 'SQLITE_CONSTRAINT_CHECK' || code === '23514';
}

/** A refusal raised by a trigger (append-only tables): SQLite's RAISE(ABORT) or PostgreSQL's RAISE EXCEPTION. */
export function isTriggerRefusal(error: unknown): boolean {
  const code = driverCode(error);
  return code === 'SQLITE_CONSTRAINT_TRIGGER' || code === 'P0001';
}

/**
 * A select that locks the rows it reads until the transaction ends. PostgreSQL needs `FOR UPDATE` for a
 * read-then-write to hold against another process; SQLite's immediate transaction already holds the one
 * write lock, so the query is left as it is there.
 */
export function forUpdate<Query>(q: Queryable, query: Query, options: { skipLocked?: boolean } = {}): Query {
  if (engineOf(q) !== 'postgres') return query;
  const lockable = query as unknown as { for(strength: 'update', config?: { skipLocked?: boolean }): Query };
  return lockable.for('update', options.skipLocked ? { skipLocked: true } : undefined);
}
