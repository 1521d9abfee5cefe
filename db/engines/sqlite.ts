import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle as drizzleOnBetterSqlite } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { drizzle } from 'drizzle-orm/sqlite-proxy';
import { type AppDatabase, objectRowsMarker } from '../engine';
import * as schema from '../schema';
import { type OpenTransaction, TransactionGuard } from './transaction-context';

type Method = 'run' | 'all' | 'values' | 'get';

const statementCacheSize = 500;
const busyRetryMs = 5;
const busyGiveUpMs = 5_000;

const isBusy = (error: unknown) => (error as { code?: unknown } | null)?.code === 'SQLITE_BUSY';
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a statement, waiting without blocking while another connection (process) holds the write lock. */
async function whenNotBusy<T>(run: () => T): Promise<T> {
  const giveUpAt = Date.now() + busyGiveUpMs;
  for (;;) {
    try {
      return run();
    } catch (error) {
      if (!isBusy(error) || Date.now() >= giveUpAt) throw error;
      await pause(busyRetryMs);
    }
  }
}

/**
 * The page cache of the process's one connection, in KiB (SQLite's default is 2 MiB). A page of the order
 * list on a million orders touches some 10 MB of index and table pages; with the default cache each page
 * read them from the file again (30-40 ms a search instead of 10-15).
 */
export const sqlitePageCacheKib = 64 * 1024;

/**
 * SQLite through better-sqlite3 behind drizzle's async proxy driver. better-sqlite3 has one connection and
 * runs every statement synchronously, so an async transaction must own that connection until it ends:
 * transactions take turns, and a statement from any other call chain waits until the open one has
 * committed or rolled back instead of slipping into it.
 */
export function openSqliteDatabase(path: string, migrationsFolder: string): AppDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const connection = new Database(path);
  connection.pragma('journal_mode = WAL');
  connection.pragma('foreign_keys = ON');
  // A busy wait inside better-sqlite3 blocks the event loop, and with it the transaction that holds the lock
  // when both connections live in this process: the engine waits for a busy database asynchronously instead.
  connection.pragma('busy_timeout = 0');
  connection.pragma('synchronous = NORMAL');
  connection.pragma(`cache_size = -${sqlitePageCacheKib}`);
  migrate(drizzleOnBetterSqlite(connection), { migrationsFolder });

  const statements = new Map<string, Database.Statement>();
  function execute(query: string, params: unknown[], method: Method): { rows: unknown[] } {
    let statement = statements.get(query);
    if (!statement) {
      statement = connection.prepare(query);
      if (statements.size >= statementCacheSize) statements.delete(statements.keys().next().value as string);
      statements.set(query, statement);
    }
    if (!statement.reader) {
      statement.run(...params);
      return { rows: [] };
    }
    const asObjects = query.startsWith(objectRowsMarker);
    statement.raw(!asObjects);
    if (method === 'get') return { rows: statement.get(...params) as unknown[] };
    return { rows: statement.all(...params) };
  }

  const guard = new TransactionGuard();
  let current: (OpenTransaction & { ended: Promise<void> }) | null = null;
  let queue: Promise<void> = Promise.resolve();

  const db = drizzle(
    async (query, params, method) => {
      guard.refuseStatementInsideTransaction();
      while (current) await current.ended;
      return whenNotBusy(() => execute(query, params, method));
    },
    { schema },
  );
  const transactionDb = drizzle(
    async (query, params, method) => {
      if (!current || guard.current() !== current) {
        throw new Error('A transaction statement ran outside its transaction.');
      }
      return whenNotBusy(() => execute(query, params, method));
    },
    { schema },
  );

  /**
   * `behavior: 'deferred'` is for long readers (db:copy): under WAL it reads one snapshot without taking the
   * write lock, so another process's writers go on. Everything else begins immediate: a read-then-write
   * transaction holds the one write lock from its first statement.
   */
  const transaction: AppDatabase['transaction'] = async (work, config) => {
    guard.refuseStatementInsideTransaction();
    const turn = queue;
    let endTurn = () => {};
    queue = new Promise<void>((resolve) => {
      endTurn = resolve;
    });
    await turn;
    const opened = { open: true, ended: queue };
    current = opened;
    try {
      return await guard.run(opened, () =>
        transactionDb.transaction(work, {
          behavior: config?.behavior === 'deferred' ? 'deferred' : 'immediate',
        }),
      );
    } finally {
      opened.open = false;
      current = null;
      endTurn();
    }
  };

  return Object.assign(db, {
    engine: 'sqlite' as const,
    transaction,
    async close() {
      connection.close();
    },
  }) as AppDatabase;
}
