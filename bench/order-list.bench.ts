/**
 * The order list on a large region (issue 5): a scratch SQLite file with 100,000 persons in 220 units
 * and 1,000,000 orders over three years, then the server time of one page (count + rows, through
 * db/order-list.ts) for the filters people use, p50/p95 over repeated runs, and the CSV export of
 * 100,000 rows with its peak RSS growth. Figures, never pass/fail; the target is p95 <= 30 ms a page.
 *
 *   npx tsx bench/order-list.bench.ts
 *   BENCH_QUICK=1 ...        100,000 orders instead of 1,000,000, fewer runs
 *   BENCH_KEEP_DB=1 ...      keep the scratch database (its path is printed)
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type AppDatabase, openMigratedDatabase } from '../db/connection';
import { demoGivenNames, demoSurnames, personalIdentityNumber } from '../db/demo-fixtures';
import { listOrders, type OrderListFilter, type OrderSort, streamOrdersCsv } from '../db/order-list';
import type { OrderState, OrderType } from '../db/schema';
import { expandUnitSubtrees } from '../db/units';

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
const next = random(2026);
const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;

interface Region {
  hospitalIds: string[];
  leafIds: string[];
  managerOfLeaf: string[];
}

function seedUnitsAndStaff(db: AppDatabase): Region {
  const client = db.$client;
  const insertUnit = client.prepare(
    'insert into units (id, hsa_id, name, parent_id, organisation) values (?, ?, ?, ?, ?)',
  );
  const insertUser = client.prepare('insert into users (id, username, display_name) values (?, ?, ?)');
  const insertRole = client.prepare(
    'insert into staff_role_assignments (id, user_id, role, unit_id) values (?, ?, ?, ?)',
  );
  const region: Region = { hospitalIds: [], leafIds: [], managerOfLeaf: [] };
  client.transaction(() => {
    insertUnit.run('root', 'SE2321000131-B000000000000', 'Benchregionen', null, 'Benchregionen');
    for (let h = 0; h < hospitals; h++) {
      const hospitalId = `h${h}`;
      region.hospitalIds.push(hospitalId);
      insertUnit.run(
        hospitalId,
        `SE2321000131-B${String(h).padStart(6, '0')}0000`,
        `Sjukhus ${h}`,
        'root',
        'B',
      );
      for (let u = 0; u < unitsPerHospital; u++) {
        const unitId = `h${h}u${u}`;
        const hsaId = `SE2321000131-B${String(h).padStart(6, '0')}${String(u + 1).padStart(4, '0')}`;
        insertUnit.run(unitId, hsaId, `Enhet ${u} sjukhus ${h}`, hospitalId, 'B');
        const userId = `manager-${unitId}`;
        insertUser.run(userId, `chef.${unitId}`, `Chef ${unitId}`);
        insertRole.run(randomUUID(), userId, 'manager', unitId);
        region.leafIds.push(unitId);
        region.managerOfLeaf.push(userId);
      }
    }
  })();
  return region;
}

function seedPersons(db: AppDatabase, region: Region): string[] {
  const client = db.$client;
  const insertPerson = client.prepare(
    'insert into persons (id, hsa_id, personal_identity_number, given_name, surname) values (?, ?, ?, ?, ?)',
  );
  const insertMembership = client.prepare('insert into person_units (person_id, unit_id) values (?, ?)');
  const given = [...demoGivenNames.female, ...demoGivenNames.male];
  const ids: string[] = [];
  client.transaction(() => {
    for (let i = 0; i < personCount; i++) {
      const birth = new Date(Date.UTC(1950, 0, 1) + (i % 20_000) * dayMs);
      const birthDate = birth.toISOString().slice(0, 10).replaceAll('-', '');
      const id = `p${i}`;
      insertPerson.run(
        id,
        `SE2321000131-E${String(i).padStart(9, '0')}`,
        personalIdentityNumber(birthDate, Math.floor(i / 20_000) + 1),
        pick(given),
        pick(demoSurnames),
      );
      insertMembership.run(id, region.leafIds[i % region.leafIds.length]);
      ids.push(id);
    }
  })();
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

function seedOrders(db: AppDatabase, region: Region, personIds: string[]): void {
  const insert = db.$client.prepare(
    `insert into orders (id, type, state, person_id, unit_id, placed_by_user_id, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const batch = db.$client.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const person = Math.floor(next() * personIds.length);
      const leaf = person % region.leafIds.length;
      const type = pick(types);
      const ageDays = next() * 3 * 365;
      const createdAt = Math.floor(now - ageDays * dayMs);
      const state = stateFor(type, ageDays);
      const updatedAt = state === 'placed' ? createdAt : createdAt + Math.floor(next() * 5 * dayMs);
      insert.run(
        randomUUID(),
        type,
        state,
        personIds[person],
        region.leafIds[leaf],
        region.managerOfLeaf[leaf],
        createdAt,
        updatedAt,
      );
    }
  });
  for (let from = 0; from < orderCount; from += 50_000) batch(from, Math.min(orderCount, from + 50_000));
}

interface Scenario {
  name: string;
  filter: OrderListFilter;
  sort?: OrderSort;
  page?: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function measure(db: AppDatabase, scenario: Scenario) {
  const times: number[] = [];
  let total = 0;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const page = listOrders(
      db,
      scenario.filter,
      scenario.sort ?? 'created_desc',
      scenario.page ?? 1,
      new Date(now),
    );
    times.push(performance.now() - started);
    total = page.total;
  }
  times.sort((a, b) => a - b);
  return { scenario: scenario.name, total, p50: percentile(times, 50), p95: percentile(times, 95) };
}

function measureCsv(db: AppDatabase, filter: OrderListFilter) {
  const columns = [
    { header: 'Beställning', value: (row: { id: string }) => row.id },
    { header: 'Person', value: (row: { personName: string }) => row.personName },
    { header: 'Status', value: (row: { state: string }) => row.state },
    { header: 'Enhet', value: (row: { unitName: string }) => row.unitName },
  ];
  collectGarbage();
  const baseline = process.memoryUsage();
  let peak = baseline.rss;
  let heldHeap = 0;
  let bytes = 0;
  let lines = 0;
  let chunks = 0;
  const started = performance.now();
  for (const chunk of streamOrdersCsv(db, filter, 'created_desc', columns)) {
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

const directory = mkdtempSync(join(tmpdir(), 'siths-order-bench-'));
const databasePath = join(directory, 'orders.sqlite');
const db = openMigratedDatabase(databasePath);

// A scratch database: no fsync, and a page cache large enough that the random index inserts stay in memory.
db.$client.pragma('synchronous = off');
db.$client.pragma('cache_size = -1000000');
let started = performance.now();
const region = seedUnitsAndStaff(db);
const personIds = seedPersons(db, region);
seedOrders(db, region, personIds);
const seedSeconds = (performance.now() - started) / 1000;
// Measured as the server runs: SQLite's default page cache, the operating system's file cache warm.
db.$client.pragma('cache_size = -2000');
console.log(
  `seeded ${personCount} persons, ${orderCount} orders in ${seedSeconds.toFixed(1)} s (${databasePath})`,
);

const hospital = expandUnitSubtrees(db, [region.hospitalIds[3] as string]);
const leaf = [region.leafIds[42] as string];
const samplePerson = db.$client
  .prepare('select hsa_id, personal_identity_number, surname from persons where id = ?')
  .get(personIds[4242]) as { hsa_id: string; personal_identity_number: string; surname: string };
const lastMonth = new Date(now - 30 * dayMs);

const scenarios: Scenario[] = [
  { name: 'contact person: hospital subtree, newest first', filter: { scope: hospital } },
  { name: 'hospital subtree, state placed', filter: { scope: hospital, states: ['placed'] } },
  {
    name: 'hospital subtree, type reserve card LoA3',
    filter: { scope: hospital, types: ['reserve_card_loa3'] },
  },
  { name: 'hospital subtree, placed last 30 days', filter: { scope: hospital, createdFrom: lastMonth } },
  { name: 'hospital subtree, page 100 (offset 4,950)', filter: { scope: hospital }, page: 100 },
  { name: 'hospital subtree, oldest first', filter: { scope: hospital }, sort: 'created_asc' },
  { name: 'hospital subtree, by person name', filter: { scope: hospital }, sort: 'person_asc' },
  { name: 'hospital subtree, search surname', filter: { scope: hospital, search: samplePerson.surname } },
  { name: 'manager: one unit, newest first', filter: { scope: leaf } },
  {
    name: 'manager: one unit, placed by them',
    filter: { scope: leaf, placedByUserId: region.managerOfLeaf[42] },
  },
  { name: 'ID-admin: everything, newest first', filter: { scope: 'all' } },
  {
    name: 'ID-admin: awaiting second approval',
    filter: { scope: 'all', states: ['awaiting_second_approval'] },
  },
  {
    name: 'ID-admin: open orders, last 30 days',
    filter: { scope: 'all', states: ['placed', 'ready'], createdFrom: lastMonth },
  },
  { name: 'ID-admin: everything, page 200', filter: { scope: 'all' }, page: 200 },
  { name: 'search personnummer', filter: { scope: 'all', search: samplePerson.personal_identity_number } },
  { name: 'search HSA-id', filter: { scope: 'all', search: samplePerson.hsa_id } },
  {
    name: 'search surname, everything',
    filter: { scope: 'all', search: samplePerson.surname.toLowerCase() },
  },
];

started = performance.now();
const results = scenarios.map((scenario) => measure(db, scenario));
console.log(`\norder list page (50 rows + count), ${runs} runs each, ms:`);
console.log(`${'scenario'.padEnd(52)} ${'matches'.padStart(9)} ${'p50'.padStart(7)} ${'p95'.padStart(7)}`);
for (const result of results) {
  const flag = result.p95 > 30 ? '  > 30 ms' : '';
  console.log(
    `${result.scenario.padEnd(52)} ${String(result.total).padStart(9)} ${result.p50.toFixed(1).padStart(7)} ${result.p95.toFixed(1).padStart(7)}${flag}`,
  );
}

// The same export at a tenth of the size: bounded memory shows as RSS growth that does not scale with
// the rows. A first export warms up (module code, the export's own read connection) and is not reported.
measureCsv(db, { scope: [region.leafIds[7] as string] });
const csvSmall = measureCsv(db, { scope: expandUnitSubtrees(db, region.leafIds.slice(0, 2)) });
const csv = measureCsv(db, { scope: expandUnitSubtrees(db, region.hospitalIds.slice(0, 2)) });
console.log('');
for (const run of [csvSmall, csv]) {
  console.log(
    `CSV export: ${run.rows} rows, ${run.megabytes.toFixed(1)} MB in ${run.seconds.toFixed(2)} s, peak RSS growth ${run.peakRssGrowthMb.toFixed(1)} MB, heap held mid-export ${run.heapHeldMidExportMb.toFixed(1)} MB`,
  );
}

const resultsDirectory = resolve('bench/results');
mkdirSync(resultsDirectory, { recursive: true });
writeFileSync(
  join(resultsDirectory, 'order-list.json'),
  `${JSON.stringify({ at: new Date().toISOString(), quick, personCount, orderCount, runs, seedSeconds, pages: results, csv: [csvSmall, csv] }, null, 2)}\n`,
);
db.$client.close();
if (process.env.BENCH_KEEP_DB !== '1') rmSync(directory, { recursive: true, force: true });
