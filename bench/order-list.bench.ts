/**
 * The order list on a large region (issues 5 and 12), on both engines in one run: the same 100,000 persons
 * in 220 units and 1,000,000 orders over three years, seeded into a scratch SQLite file and into a
 * throwaway PostgreSQL cluster, then the server time of one page (count + rows, through db/order-list.ts)
 * for the filters people use, p50/p95 over repeated runs side by side, and the CSV export of 100,000 rows
 * with its rate and memory. Figures, never pass/fail; the target is p95 <= 30 ms a page on both engines.
 *
 *   npm run bench -- order-list
 *   BENCH_QUICK=1 ...        100,000 orders instead of 1,000,000, fewer runs
 *   BENCH_KEEP_DB=1 ...      keep the scratch SQLite database (its path is printed)
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { eq, getTableColumns, sql } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { type AppDatabase, openDatabase } from '../db/connection';
import { demoGivenNames, demoSurnames, personalIdentityNumber } from '../db/demo-fixtures';
import { first, runStatement } from '../db/engine';
import { sqlitePageCacheKib } from '../db/engines/sqlite';
import {
  listOrderPage,
  type OrderCursor,
  type OrderListFilter,
  type OrderListRow,
  type OrderSort,
  streamOrdersCsv,
} from '../db/order-list';
import {
  type OrderState,
  type OrderType,
  orders,
  persons,
  personUnits,
  staffRoleAssignments,
  units,
  users,
} from '../db/schema';
import { expandUnitSubtrees } from '../db/units';
import { startPostgresServer } from '../test-support/postgres-server';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const quick = process.env.BENCH_QUICK === '1';
const personCount = 100_000;
const orderCount = quick ? 100_000 : 1_000_000;
const runs = quick ? 15 : 60;
const hospitals = 20;
const unitsPerHospital = 10;
const dayMs = 86_400_000;
const now = Date.UTC(2026, 10, 1);

/** Deterministic PRNG (mulberry32) so every run measures the same data. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
/** Restarted for each engine, so both hold the same data. */
let next = random(2026);
const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;

interface Region {
  hospitalIds: string[];
  leafIds: string[];
  managerOfLeaf: string[];
}

/** Rows per multi-row insert: every column is a bound parameter, and SQLite allows 32,766 of them. */
const rowsPerInsert = (table: SQLiteTable) => Math.floor(30_000 / Object.keys(getTableColumns(table)).length);

function chunksOf<T>(rows: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let from = 0; from < rows.length; from += size) chunks.push(rows.slice(from, from + size));
  return chunks;
}

async function seedUnitsAndStaff(db: AppDatabase): Promise<Region> {
  const region: Region = { hospitalIds: [], leafIds: [], managerOfLeaf: [] };
  const unitRows: Array<typeof units.$inferInsert> = [
    {
      id: 'root',
      hsaId: 'SE2321000131-B000000000000',
      name: 'Benchregionen',
      parentId: null,
      organisation: 'Benchregionen',
    },
  ];
  const userRows: Array<typeof users.$inferInsert> = [];
  const roleRows: Array<typeof staffRoleAssignments.$inferInsert> = [];
  for (let h = 0; h < hospitals; h++) {
    const hospitalId = `h${h}`;
    region.hospitalIds.push(hospitalId);
    unitRows.push({
      id: hospitalId,
      hsaId: `SE2321000131-B${String(h).padStart(6, '0')}0000`,
      name: `Sjukhus ${h}`,
      parentId: 'root',
      organisation: 'B',
    });
    for (let u = 0; u < unitsPerHospital; u++) {
      const unitId = `h${h}u${u}`;
      const hsaId = `SE2321000131-B${String(h).padStart(6, '0')}${String(u + 1).padStart(4, '0')}`;
      unitRows.push({
        id: unitId,
        hsaId,
        name: `Enhet ${u} sjukhus ${h}`,
        parentId: hospitalId,
        organisation: 'B',
      });
      const userId = `manager-${unitId}`;
      userRows.push({ id: userId, username: `chef.${unitId}`, displayName: `Chef ${unitId}` });
      roleRows.push({ id: randomUUID(), userId, role: 'manager', unitId });
      region.leafIds.push(unitId);
      region.managerOfLeaf.push(userId);
    }
  }
  await db.transaction(async (tx) => {
    await tx.insert(units).values(unitRows);
    await tx.insert(users).values(userRows);
    await tx.insert(staffRoleAssignments).values(roleRows);
  });
  return region;
}

async function seedPersons(db: AppDatabase, region: Region): Promise<string[]> {
  const given = [...demoGivenNames.female, ...demoGivenNames.male];
  const ids: string[] = [];
  const personRows: Array<typeof persons.$inferInsert> = [];
  const membershipRows: Array<typeof personUnits.$inferInsert> = [];
  for (let i = 0; i < personCount; i++) {
    const birth = new Date(Date.UTC(1950, 0, 1) + (i % 20_000) * dayMs);
    const birthDate = birth.toISOString().slice(0, 10).replaceAll('-', '');
    const id = `p${i}`;
    personRows.push({
      id,
      hsaId: `SE2321000131-E${String(i).padStart(9, '0')}`,
      personalIdentityNumber: personalIdentityNumber(birthDate, Math.floor(i / 20_000) + 1),
      givenName: pick(given),
      surname: pick(demoSurnames),
    });
    membershipRows.push({ personId: id, unitId: region.leafIds[i % region.leafIds.length] as string });
    ids.push(id);
  }
  await db.transaction(async (tx) => {
    for (const chunk of chunksOf(personRows, rowsPerInsert(persons))) await tx.insert(persons).values(chunk);
    for (const chunk of chunksOf(membershipRows, rowsPerInsert(personUnits))) {
      await tx.insert(personUnits).values(chunk);
    }
  });
  return ids;
}

const types: OrderType[] = ['eid_on_card', 'reserve_card_loa2', 'reserve_card_loa3', 'mobile'];

function stateFor(type: OrderType, ageDays: number): OrderState {
  const roll = next();
  if (ageDays > 92) return roll < 0.8 ? 'fulfilled' : roll < 0.9 ? 'cancelled' : 'expired';
  if (roll < 0.2) return 'placed';
  if (roll < 0.3 && type === 'reserve_card_loa3') return 'awaiting_second_approval';
  if (roll < 0.45) return 'ready';
  return roll < 0.93 ? 'fulfilled' : 'cancelled';
}

async function seedOrders(db: AppDatabase, region: Region, personIds: string[]): Promise<void> {
  const batchSize = 50_000;
  for (let from = 0; from < orderCount; from += batchSize) {
    const rows: Array<typeof orders.$inferInsert> = [];
    for (let i = from; i < Math.min(orderCount, from + batchSize); i++) {
      const person = Math.floor(next() * personIds.length);
      const leaf = person % region.leafIds.length;
      const type = pick(types);
      const ageDays = next() * 3 * 365;
      const createdAt = Math.floor(now - ageDays * dayMs);
      const state = stateFor(type, ageDays);
      const updatedAt = state === 'placed' ? createdAt : createdAt + Math.floor(next() * 5 * dayMs);
      rows.push({
        id: randomUUID(),
        type,
        state,
        personId: personIds[person] as string,
        unitId: region.leafIds[leaf] as string,
        placedByUserId: region.managerOfLeaf[leaf] as string,
        createdAt: new Date(createdAt),
        updatedAt: new Date(updatedAt),
      });
    }
    await db.transaction(async (tx) => {
      for (const chunk of chunksOf(rows, rowsPerInsert(orders))) await tx.insert(orders).values(chunk);
    });
  }
}

/** SQLite's connection settings for the scratch database; PostgreSQL keeps its own. */
async function sqlitePragma(db: AppDatabase, pragma: string): Promise<void> {
  if (db.engine === 'sqlite') await runStatement(db, sql.raw(`pragma ${pragma}`));
}

interface Scenario {
  name: string;
  filter: OrderListFilter;
  sort?: OrderSort;
  /** The page after this row: a deep page, reached page by page beforehand. */
  after?: OrderCursor;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function measure(db: AppDatabase, scenario: Scenario) {
  const times: number[] = [];
  let total = 0;
  let moreThanTotal = false;
  for (let run = 0; run < runs; run++) {
    const sort = scenario.sort ?? 'created_desc';
    const started = performance.now();
    const page = await listOrderPage(db, scenario.filter, sort, { after: scenario.after }, new Date(now));
    times.push(performance.now() - started);
    total = page.total;
    moreThanTotal = page.totalIsLowerBound;
  }
  times.sort((a, b) => a - b);
  return {
    scenario: scenario.name,
    matches: `${moreThanTotal ? '>' : ''}${total}`,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
  };
}

async function measureCsv(db: AppDatabase, filter: OrderListFilter) {
  const columns = [
    { header: 'Beställning', value: (row: { id: string }) => row.id },
    { header: 'Person', value: (row: OrderListRow) => (row.person.hidden ? '' : row.person.name) },
    { header: 'Status', value: (row: { state: string }) => row.state },
    { header: 'Enhet', value: (row: OrderListRow) => (row.person.hidden ? '' : row.person.unitName) },
  ];
  collectGarbage();
  const baseline = process.memoryUsage();
  let peak = baseline.rss;
  let heldHeap = 0;
  let bytes = 0;
  let lines = 0;
  let chunks = 0;
  const started = performance.now();
  for await (const chunk of streamOrdersCsv(db, filter, 'created_desc', columns)) {
    bytes += Buffer.byteLength(chunk);
    lines += chunk.split('\r\n').length - 1;
    peak = Math.max(peak, process.memoryUsage().rss);
    // Once, with the cursor open: what the export really holds, as opposed to garbage not yet collected.
    if (++chunks === 10) {
      collectGarbage();
      heldHeap = process.memoryUsage().heapUsed - baseline.heapUsed;
    }
  }
  return {
    rows: lines - 1,
    megabytes: bytes / 1_048_576,
    seconds: (performance.now() - started) / 1000,
    peakRssGrowthMb: (peak - baseline.rss) / 1_048_576,
    heapHeldMidExportMb: heldHeap / 1_048_576,
  };
}

/** The cursor that page `page` starts after, reached page by page as a user would. */
async function cursorOfPage(db: AppDatabase, filter: OrderListFilter, sort: OrderSort, page: number) {
  let cursor: OrderCursor | undefined;
  for (let before = 1; before < page; before++) {
    cursor = (await listOrderPage(db, filter, sort, { after: cursor }, new Date(now))).next;
  }
  return cursor;
}

type PageResult = Awaited<ReturnType<typeof measure>>;
type CsvResult = Awaited<ReturnType<typeof measureCsv>>;

interface EngineResult {
  seedSeconds: number;
  pages: PageResult[];
  csv: CsvResult[];
}

/** Seeds the region into an empty, migrated database and measures it. */
async function benchEngine(db: AppDatabase, label: string): Promise<EngineResult> {
  next = random(2026);
  // A scratch database: no fsync, and a page cache large enough that the random index inserts stay in memory.
  await sqlitePragma(db, 'synchronous = off');
  await sqlitePragma(db, 'cache_size = -1000000');
  const seedStarted = performance.now();
  const region = await seedUnitsAndStaff(db);
  const personIds = await seedPersons(db, region);
  await seedOrders(db, region, personIds);
  // What autovacuum does shortly after a bulk load, done now: statistics for the planner, and the visibility
  // map without which PostgreSQL reads the table as well as a covering index.
  if (db.engine === 'postgres') await runStatement(db, sql`vacuum analyze`);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  // Measured as the server runs: the server's page cache, the operating system's file cache warm.
  await sqlitePragma(db, `cache_size = -${sqlitePageCacheKib}`);
  console.log(`${label}: seeded ${personCount} persons, ${orderCount} orders in ${seedSeconds.toFixed(1)} s`);

  const hospital = await expandUnitSubtrees(db, [region.hospitalIds[3] as string]);
  const leaf = [region.leafIds[42] as string];
  const samplePerson = first(
    await db
      .select({
        hsaId: persons.hsaId,
        personalIdentityNumber: persons.personalIdentityNumber,
        surname: persons.surname,
      })
      .from(persons)
      .where(eq(persons.id, personIds[4242] as string))
      .limit(1),
  )!;
  const lastMonth = new Date(now - 30 * dayMs);

  // Deep pages that exist in the quick run's tenth of the orders too.
  const [allPage, hospitalPage, personPage] = quick ? [1000, 90, 30] : [1000, 900, 300];
  const deepAll = await cursorOfPage(db, { scope: 'all' }, 'created_desc', allPage);
  const deepHospital = await cursorOfPage(db, { scope: hospital }, 'created_desc', hospitalPage);
  const deepByPerson = await cursorOfPage(db, { scope: hospital }, 'person_asc', personPage);

  const scenarios: Scenario[] = [
    { name: 'contact person: hospital subtree, newest first', filter: { scope: hospital } },
    { name: 'hospital subtree, state placed', filter: { scope: hospital, states: ['placed'] } },
    {
      name: 'hospital subtree, type reserve card LoA3',
      filter: { scope: hospital, types: ['reserve_card_loa3'] },
    },
    { name: 'hospital subtree, placed last 30 days', filter: { scope: hospital, createdFrom: lastMonth } },
    { name: `hospital subtree, page ${hospitalPage}`, filter: { scope: hospital }, after: deepHospital },
    { name: 'hospital subtree, oldest first', filter: { scope: hospital }, sort: 'created_asc' },
    { name: 'hospital subtree, by person name', filter: { scope: hospital }, sort: 'person_asc' },
    {
      name: `hospital subtree, by person, page ${personPage}`,
      filter: { scope: hospital },
      sort: 'person_asc',
      after: deepByPerson,
    },
    { name: 'hospital subtree, search surname', filter: { scope: hospital, search: samplePerson.surname } },
    { name: 'manager: one unit, newest first', filter: { scope: leaf } },
    {
      name: 'manager: one unit, placed by them',
      filter: { scope: leaf, placedByUserId: region.managerOfLeaf[42] },
    },
    { name: 'ID-admin: everything, page 1', filter: { scope: 'all' } },
    { name: `ID-admin: everything, page ${allPage}`, filter: { scope: 'all' }, after: deepAll },
    {
      name: 'ID-admin: awaiting second approval',
      filter: { scope: 'all', states: ['awaiting_second_approval'] },
    },
    {
      name: 'ID-admin: open orders, last 30 days',
      filter: { scope: 'all', states: ['placed', 'ready'], createdFrom: lastMonth },
    },
    { name: 'search personnummer', filter: { scope: 'all', search: samplePerson.personalIdentityNumber! } },
    { name: 'search HSA-id', filter: { scope: 'all', search: samplePerson.hsaId } },
    {
      name: 'search surname, everything',
      filter: { scope: 'all', search: samplePerson.surname.toLowerCase() },
    },
  ];

  const pages: PageResult[] = [];
  for (const scenario of scenarios) pages.push(await measure(db, scenario));

  // The same export at a tenth of the size: bounded memory shows as RSS growth that does not scale with
  // the rows. A first export warms up (module code, the statement cache) and is not reported.
  await measureCsv(db, { scope: [region.leafIds[7] as string] });
  const csvSmall = await measureCsv(db, { scope: await expandUnitSubtrees(db, region.leafIds.slice(0, 2)) });
  const csv = await measureCsv(db, { scope: await expandUnitSubtrees(db, region.hospitalIds.slice(0, 2)) });
  console.log(`${label}: measured`);
  return { seedSeconds, pages, csv: [csvSmall, csv] };
}

const directory = mkdtempSync(join(tmpdir(), 'siths-order-bench-'));
const databasePath = join(directory, 'orders.sqlite');
const sqliteDb = await openDatabase(databasePath);
const sqliteResult = await benchEngine(sqliteDb, `SQLite (${databasePath})`);
await sqliteDb.close();
if (process.env.BENCH_KEEP_DB !== '1') rmSync(directory, { recursive: true, force: true });

const server = await startPostgresServer();
let postgresResult: EngineResult;
try {
  const postgresDb = await openDatabase(await server.createDatabase('order_list_bench'));
  try {
    postgresResult = await benchEngine(postgresDb, `PostgreSQL (port ${server.port})`);
  } finally {
    await postgresDb.close();
  }
} finally {
  await server.stop();
}

const ms = (value: number) => value.toFixed(1).padStart(7);
const over = (result: PageResult) => (result.p95 > 30 ? '!' : ' ');
console.log(`\norder list page (50 rows + count up to 10,000), ${runs} runs each, ms; ! marks p95 > 30 ms:`);
console.log(
  `${'scenario'.padEnd(46)} ${'matches'.padStart(8)} | ${'SQLite p50'.padStart(10)} ${'p95'.padStart(7)}  | ${'PG p50'.padStart(10)} ${'p95'.padStart(7)}`,
);
sqliteResult.pages.forEach((lite, index) => {
  const postgres = postgresResult.pages[index] as PageResult;
  const matches = lite.matches === postgres.matches ? lite.matches : `${lite.matches}/${postgres.matches}`;
  console.log(
    `${lite.scenario.padEnd(46)} ${matches.padStart(8)} | ${ms(lite.p50).padStart(10)} ${ms(lite.p95)}${over(lite)} | ${ms(postgres.p50).padStart(10)} ${ms(postgres.p95)}${over(postgres)}`,
  );
});
console.log('');
for (const [label, result] of [
  ['SQLite', sqliteResult],
  ['PostgreSQL', postgresResult],
] as const) {
  console.log(`${label}: seed ${result.seedSeconds.toFixed(1)} s`);
  for (const run of result.csv) {
    console.log(
      `  CSV export: ${run.rows} rows, ${run.megabytes.toFixed(1)} MB in ${run.seconds.toFixed(2)} s (${Math.round(run.rows / run.seconds)} rows/s), peak RSS growth ${run.peakRssGrowthMb.toFixed(1)} MB, heap held mid-export ${run.heapHeldMidExportMb.toFixed(1)} MB`,
    );
  }
}

const resultsDirectory = resolve('bench/results');
mkdirSync(resultsDirectory, { recursive: true });
writeFileSync(
  join(resultsDirectory, 'order-list.json'),
  `${JSON.stringify({ at: new Date().toISOString(), quick, personCount, orderCount, runs, sqlite: sqliteResult, postgres: postgresResult }, null, 2)}\n`,
);
