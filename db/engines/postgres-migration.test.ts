import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgresServer } from '../../test-support/postgres-server';
import { type AppDatabase, openDatabase } from '../connection';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgresServer();
});
afterAll(() => server?.stop());

const journalEntries = (folder: string) =>
  (JSON.parse(readFileSync(join(folder, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] }).entries
    .length;

describe('migrations on PostgreSQL', () => {
  it('are applied once when several server processes start on an empty database at the same moment', async () => {
    const url = await server.createDatabase('starting_together');
    const starts = await Promise.allSettled(Array.from({ length: 4 }, () => openDatabase(url)));
    const opened = starts.flatMap((start) => (start.status === 'fulfilled' ? [start.value] : []));
    try {
      expect(
        starts.filter((start) => start.status === 'rejected').map((start) => String(start.reason)),
      ).toEqual([]);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const applied = await client.query('select count(*)::int as n from drizzle.__drizzle_migrations');
        expect(applied.rows[0].n).toBe(journalEntries('db/postgres/migrations'));
      } finally {
        await client.end();
      }
    } finally {
      await Promise.all(opened.map((db: AppDatabase) => db.close()));
    }
  });
});
