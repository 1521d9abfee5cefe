import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type AppDatabase, openDatabase } from '../db/connection';
import { postgresDatabases } from './postgres-server';

/**
 * Which engine the db, server and route suites run on: SQLite by default, PostgreSQL when the vitest project
 * for it sets TEST_DATABASE_ENGINE=postgres and its global setup has started a throwaway cluster
 * (TEST_POSTGRES_ADMIN_URL, with a migrated template database to copy from).
 */
export function testDatabaseEngine(): 'sqlite' | 'postgres' {
  return process.env.TEST_DATABASE_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
}

export const postgresTemplateDatabase = 'siths_template';

export interface TestDatabaseLocation {
  /** What DATABASE_URL would say: several connections or processes may open it. */
  url: string;
  remove(): Promise<void>;
}

/** A new empty database with the schema applied, that several connections or processes can open. */
export async function createTestDatabaseLocation(): Promise<TestDatabaseLocation> {
  if (testDatabaseEngine() === 'postgres') {
    const adminUrl = process.env.TEST_POSTGRES_ADMIN_URL;
    if (!adminUrl)
      throw new Error('TEST_POSTGRES_ADMIN_URL is not set: the PostgreSQL global setup did not run.');
    const databases = postgresDatabases(adminUrl);
    const name = `test_${randomBytes(6).toString('hex')}`;
    const url = await databases.createDatabase(name, { template: postgresTemplateDatabase });
    return { url, remove: () => databases.dropDatabase(name) };
  }
  const folder = mkdtempSync(join(tmpdir(), 'siths-desk-db-'));
  return {
    url: join(folder, 'test.sqlite'),
    async remove() {
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/**
 * One PostgreSQL database per test file, emptied between tests: copying the template takes 100-300 ms on this
 * machine, emptying it about 10. A test that opens a second database while the first is still
 * open gets its own copy.
 */
let reusable: { location: TestDatabaseLocation; inUse: boolean } | null = null;

async function emptyDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ name: string }>(
      "select quote_ident(tablename) as name from pg_tables where schemaname = 'public'",
    );
    const { rows: sequences } = await client.query<{ name: string }>(
      "select quote_ident(sequencename) as name from pg_sequences where schemaname = 'public'",
    );
    // Row deletes beat TRUNCATE for a few rows in 20 tables (10 ms against 100). The append-only triggers
    // refuse deletes; emptying a test database is not a delete of history, so they are off for this session.
    await client.query(
      [
        'set session_replication_role = replica',
        ...tables.map((table) => `delete from ${table.name}`),
        ...sequences.map((sequence) => `alter sequence ${sequence.name} restart`),
      ].join(';\n'),
    );
  } finally {
    await client.end();
  }
}

/**
 * A fresh migrated database for one test on the engine under test: SQLite in memory, or an empty PostgreSQL
 * database of this test file. `close()` closes it (and drops a database made only for this test).
 */
export async function openTestDatabase(): Promise<AppDatabase> {
  if (testDatabaseEngine() === 'sqlite') return openDatabase(':memory:');
  let location: TestDatabaseLocation;
  let release: () => Promise<void>;
  if (reusable && !reusable.inUse) {
    const held = reusable;
    held.inUse = true;
    await emptyDatabase(held.location.url);
    location = held.location;
    release = async () => {
      held.inUse = false;
    };
  } else {
    const created = await createTestDatabaseLocation();
    location = created;
    if (!reusable) {
      const held = { location: created, inUse: true };
      reusable = held;
      release = async () => {
        held.inUse = false;
      };
    } else {
      release = () => created.remove();
    }
  }
  const db = await openDatabase(location.url);
  const close = db.close.bind(db);
  return Object.assign(db, {
    async close() {
      await close();
      await release();
    },
  });
}
