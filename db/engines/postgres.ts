import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { type AppDatabase, causeChain } from '../engine';
import * as schema from '../schema';
import { type OpenTransaction, TransactionGuard } from './transaction-context';

// Counts, sums and the bigint columns that hold timestamps in milliseconds are far below 2^53; the domain
// modules read them as numbers on both engines.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));

export class DatabaseUnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    const reason = causeChain(cause).at(-1);
    super(`PostgreSQL at ${redactedUrl(url)} cannot be used: ${(reason as Error)?.message ?? reason}`);
    this.name = 'DatabaseUnreachableError';
  }
}

export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unreadable address)';
  }
}

/** The key of the advisory lock that migrations run under; any number the database uses for nothing else. */
const migrationLockKey = 5_746_940_201;

/**
 * Migrates while holding a session advisory lock, so that processes starting at the same moment apply the
 * migrations once: the first applies them, the others wait and then find nothing left to do. Without the
 * lock each saw an empty database and all but one failed to start.
 */
async function migrateUnderLock(pool: pg.Pool, migrationsFolder: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [migrationLockKey]);
    try {
      await migrate(drizzle(client, { schema }), { migrationsFolder });
    } finally {
      await client.query('select pg_advisory_unlock($1)', [migrationLockKey]);
    }
  } finally {
    client.release();
  }
}

/**
 * PostgreSQL through a node-postgres pool. The SQLite table objects build the queries (the storage types are
 * mirrored by db/postgres/schema.ts); a transaction gets its own pooled connection, and a statement sent
 * through the pool from inside an open transaction is refused (it would wait for a second connection).
 */
export async function openPostgresDatabase(url: string, migrationsFolder: string): Promise<AppDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
  // An idle connection dropped by a server restart must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  // The same for a connection held by a transaction between two statements: its next statement (or the
  // rollback) fails instead, and the pool drops the connection when it comes back.
  pool.on('connect', (client) => client.on('error', () => {}));
  const guard = new TransactionGuard();
  const poolQuery = pool.query.bind(pool);
  pool.query = ((...args: Parameters<typeof pool.query>) => {
    guard.refuseStatementInsideTransaction();
    return poolQuery(...args);
  }) as typeof pool.query;

  const db = drizzle(pool, { schema });
  try {
    await migrateUnderLock(pool, migrationsFolder);
  } catch (error) {
    await pool.end().catch(() => {});
    throw new DatabaseUnreachableError(url, error);
  }

  const nativeTransaction = db.transaction.bind(db);
  const transaction = (async (work: (tx: unknown) => Promise<unknown>) => {
    guard.refuseStatementInsideTransaction();
    const opened: OpenTransaction = { open: true };
    try {
      return await guard.run(opened, () => nativeTransaction(work as never));
    } finally {
      opened.open = false;
    }
  }) as unknown as AppDatabase['transaction'];

  return Object.assign(db, {
    engine: 'postgres' as const,
    transaction,
    async close() {
      await pool.end();
    },
  }) as unknown as AppDatabase;
}
