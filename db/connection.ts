import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema';

export type AppDatabase = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export const defaultDatabasePath = './data/siths-desk.sqlite';
const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** The SQLite file named by DATABASE_URL (a path, or `file:` URL), or the embedded default. */
export function databasePathFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.DATABASE_URL?.trim();
  if (!url) return defaultDatabasePath;
  if (url === ':memory:') return url;
  return url.startsWith('file:') ? url.slice('file:'.length) : url;
}

export function openDatabase(path: string = databasePathFromEnv()): AppDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  return drizzle(sqlite, { schema }) as AppDatabase;
}

export function migrateDatabase(db: AppDatabase): void {
  migrate(db, { migrationsFolder });
}

/** Opens and migrates: what every process that owns the database does at start. */
export function openMigratedDatabase(path?: string): AppDatabase {
  const db = openDatabase(path);
  migrateDatabase(db);
  return db;
}
