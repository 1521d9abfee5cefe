import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createTestDatabaseLocation,
  type TestDatabaseLocation,
  testDatabaseEngine,
} from '../test-support/test-database';
import { type AppDatabase, openDatabase } from './connection';
import { claimRun } from './directory-sync-runs';

const now = new Date('2026-12-03T09:00:00Z');
const request = {
  kind: 'full',
  mode: 'apply',
  userId: null,
  personsModifiedSince: null,
  now,
  staleAfterMs: 300_000,
} as const;

async function connected(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

async function waitUntilBlocked(observer: pg.Client, queryStart: string): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const { rowCount } = await observer.query(
      "select 1 from pg_stat_activity where wait_event_type = 'Lock' and query ilike $1",
      [`${queryStart}%`],
    );
    if (rowCount) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`No session started "${queryStart}" and waited for a lock.`);
}

// Only PostgreSQL has two connections that can race; SQLite's one writer serialises the claims.
describe.runIf(testDatabaseEngine() === 'postgres')('claiming a directory sync run across processes', () => {
  let location: TestDatabaseLocation;
  let db: AppDatabase;
  const clients: pg.Client[] = [];

  beforeEach(async () => {
    location = await createTestDatabaseLocation();
    db = await openDatabase(location.url);
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) await client.end();
    await db.close();
    await location.remove();
  });

  it('is refused as busy with the winning run even when that run ended before the refusal was read', async () => {
    const winner = await connected(location.url);
    const finisher = await connected(location.url);
    const observer = await connected(location.url);
    clients.push(winner, finisher, observer);

    await winner.query('begin');
    await winner.query(
      `insert into directory_sync_runs (id, kind, mode, state, started_at, heartbeat_at)
       values ('winning-run', 'full', 'apply', 'running', $1, $1)`,
      [now.getTime()],
    );
    const claim = claimRun(db, request);
    await waitUntilBlocked(observer, 'insert into "directory_sync_runs"');

    // Queued behind both inserts, so it ends the winning run after the claim's insert is refused and before
    // the claim can read which run is running.
    const finishing = (async () => {
      await finisher.query('begin');
      await finisher.query('lock table directory_sync_runs in access exclusive mode');
      await finisher.query(
        "update directory_sync_runs set state = 'completed', heartbeat_at = $1, finished_at = $1 where id = 'winning-run'",
        [now.getTime() + 1_000],
      );
      await finisher.query('commit');
    })();
    await waitUntilBlocked(observer, 'lock table directory_sync_runs');
    await winner.query('commit');
    await finishing;

    const result = await claim;
    expect(result.claimed).toBe(false);
    if (result.claimed) return;
    expect(result.running.id).toBe('winning-run');
    expect(result.running.state).toBe('completed');
    const { rows } = await observer.query<{ id: string }>('select id from directory_sync_runs');
    expect(rows.map((row) => row.id)).toEqual(['winning-run']);
  });
});
