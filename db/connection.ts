import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppDatabase, DatabaseEngine } from './engine';
import { openPostgresDatabase } from './engines/postgres';
import { openSqliteDatabase } from './engines/sqlite';

export type { AppDatabase, AppTransaction, Queryable } from './engine';

export const defaultDatabaseUrl = './data/siths-desk.sqlite';
const here = dirname(fileURLToPath(import.meta.url));
const migrationsFolders: Record<DatabaseEngine, string> = {
  sqlite: resolve(here, 'migrations'),
  postgres: resolve(here, 'postgres', 'migrations'),
};

export type DatabaseLocation = { engine: 'sqlite'; path: string } | { engine: 'postgres'; url: string };

/** DATABASE_URL, or the embedded SQLite file when it is not set. */
export function databaseUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATABASE_URL?.trim() || defaultDatabaseUrl;
}

/** `postgres://` or `postgresql://` is PostgreSQL; a path, `file:` URL or `:memory:` is SQLite. */
export function databaseLocation(url: string): DatabaseLocation {
  if (/^postgres(ql)?:\/\//i.test(url)) return { engine: 'postgres', url };
  return { engine: 'sqlite', path: url.startsWith('file:') ? url.slice('file:'.length) : url };
}

/** Opens the database DATABASE_URL names and brings its schema up to date: what every process does at start. */
export async function openDatabase(url: string = databaseUrlFromEnv()): Promise<AppDatabase> {
  const location = databaseLocation(url);
  if (location.engine === 'postgres') return openPostgresDatabase(location.url, migrationsFolders.postgres);
  return openSqliteDatabase(location.path, migrationsFolders.sqlite);
}
