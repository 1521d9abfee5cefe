/**
 * The HSA directory sync on a large region (issue 15), on both engines in one run: 100,000 persons in 2,000
 * units (bench/directory-region.ts) loaded into one real slapd on loopback, then for a scratch SQLite file
 * and a throwaway PostgreSQL cluster in turn, each starting empty and migrated:
 *
 *   1. a full sync, preview first and then apply: seconds, persons/s, rows/s (persons + person_units + audit
 *      events written), the time split (directory read, persons, the leavers' tail) and memory held;
 *   2. an incremental sync of 1,000 changes (new surname and mail, one ldapmodify): seconds, changes/s, how
 *      many persons the incremental read returned, memory held;
 *   3. a second full apply with nothing changed: seconds.
 *
 * Figures, never pass/fail. Memory held is the peak during the run minus the baseline just before it (after
 * a garbage collection): RSS sampled every 50 ms from a worker thread (SQLite runs synchronously and starves
 * the main thread's timers), heap used sampled every 50 ms on the main thread and after each batch of persons.
 *
 * Set up so that the figures measure the sync and nothing else:
 * - incremental runs start at the watermark itself (`watermarkOverlapMs: 0`) instead of 5 minutes before it;
 * - before each engine's full sync the root unit is touched a second after the last change, so the watermark
 *   lies in a second no person was modified in. Without it the first incremental run after a bulk load reads
 *   again every person stamped in the watermark's second (modifyTimestamp has whole seconds, read with >=).
 * - SQLite keeps the server's settings (WAL, synchronous = NORMAL); the PostgreSQL cluster runs without fsync
 *   like every throwaway cluster of test-support/postgres-server.ts.
 *
 *   npm run bench -- directory
 *   npx tsx bench/directory-sync.bench.ts
 *   BENCH_QUICK=1 ...        10,000 persons, 200 units, 100 changes
 *   BENCH_KEEP_DB=1 ...      keep the scratch SQLite database (its path is printed)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { count } from 'drizzle-orm';
import { type AppDatabase, openDatabase } from '../db/connection';
import type { DirectorySource } from '../db/directory-entries';
import type { DirectorySyncCounts } from '../db/directory-sync';
import { validateDirectory } from '../db/directory-validation';
import { first } from '../db/engine';
import { auditEvents, persons, personUnits, users } from '../db/schema';
import {
  createDirectorySync,
  type DirectorySync,
  type SyncRequest,
} from '../server/directory/directory-sync-service';
import { createLdapDirectory } from '../server/directory/ldap-directory';
import { replaceAttributesLdif } from '../server/directory/ldif';
import { createLogger } from '../server/logger';
import { startPostgresServer } from '../test-support/postgres-server';
import { type Slapd, startSlapd } from '../test-support/slapd';
import { type BenchRegion, buildRegion, surnameChangesLdif } from './directory-region';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const quick = process.env.BENCH_QUICK === '1';
const size = quick ? { units: 200, persons: 10_000 } : { units: 2_000, persons: 100_000 };
const changeCount = quick ? 100 : 1_000;
const benchUserId = 'directory-bench-admin';
const megabyte = 1_048_576;

const pause = (ms: number) => new Promise((resolvePause) => setTimeout(resolvePause, ms));

/** The process's peak RSS, kept by a worker thread whose timer runs while the main thread is busy. */
function startRssWatch() {
  const peak = new BigInt64Array(new SharedArrayBuffer(8));
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const peak = new BigInt64Array(workerData);
     setInterval(() => {
       const rss = BigInt(process.memoryUsage.rss());
       if (rss > Atomics.load(peak, 0)) Atomics.store(peak, 0, rss);
     }, 50);`,
    { eval: true, workerData: peak.buffer },
  );
  worker.unref();
  return {
    reset: () => Atomics.store(peak, 0, 0n),
    peak: () => Number(Atomics.load(peak, 0)),
    stop: () => worker.terminate(),
  };
}
const rssWatch = startRssWatch();

interface MemoryFigures {
  baselineRssMb: number;
  peakRssMb: number;
  /** Peak RSS minus the baseline before the run. */
  rssHeldMb: number;
  /** Peak heap used minus the baseline before the run. */
  heapHeldMb: number;
  /** Heap used after the run and a garbage collection, minus the baseline: what the run left behind. */
  heapLeftMb: number;
}

/** Samples memory from just before a run to its end; `sample()` adds a sample at a point of interest. */
function watchMemory() {
  collectGarbage();
  const baseline = process.memoryUsage();
  rssWatch.reset();
  let peakHeap = baseline.heapUsed;
  let peakRss = baseline.rss;
  const sample = () => {
    const { heapUsed, rss } = process.memoryUsage();
    peakHeap = Math.max(peakHeap, heapUsed);
    peakRss = Math.max(peakRss, rss);
  };
  const timer = setInterval(sample, 50);
  return {
    sample,
    stop(): MemoryFigures {
      clearInterval(timer);
      sample();
      peakRss = Math.max(peakRss, rssWatch.peak());
      collectGarbage();
      return {
        baselineRssMb: baseline.rss / megabyte,
        peakRssMb: peakRss / megabyte,
        rssHeldMb: (peakRss - baseline.rss) / megabyte,
        heapHeldMb: (peakHeap - baseline.heapUsed) / megabyte,
        heapLeftMb: (process.memoryUsage().heapUsed - baseline.heapUsed) / megabyte,
      };
    },
  };
}

/** What the run in progress has seen so far: read by the timed source and the after-batch hook. */
interface RunProbe {
  readMs: number;
  readEndedAt: number;
  personsRead: number;
  unitsRead: number;
  batchEndedAt: number[];
  sample: () => void;
}

let probe: RunProbe | undefined;

/** The directory, its read timed: the split between reading the directory and applying it. */
function timedSource(source: DirectorySource): DirectorySource {
  return {
    async read(request) {
      const started = performance.now();
      const snapshot = await source.read(request);
      if (probe) {
        probe.readEndedAt = performance.now();
        probe.readMs = probe.readEndedAt - started;
        probe.personsRead = snapshot.persons.length;
        probe.unitsRead = snapshot.units.length;
        probe.sample();
      }
      return snapshot;
    },
  };
}

function ldapSource(slapd: Slapd): DirectorySource {
  return createLdapDirectory({
    url: slapd.url,
    bindDn: slapd.bindDn,
    bindPassword: slapd.bindPassword,
    baseDn: slapd.suffix,
    timeoutMs: 120_000,
  });
}

async function rowCounts(db: AppDatabase) {
  const total = async (table: typeof persons | typeof personUnits | typeof auditEvents) =>
    first(await db.select({ rows: count() }).from(table))?.rows ?? 0;
  return {
    persons: await total(persons),
    personUnits: await total(personUnits),
    auditEvents: await total(auditEvents),
  };
}

interface RunFigures {
  run: string;
  seconds: number;
  readSeconds: number;
  /** From the end of the read to the last batch of persons: validation, units, persons. */
  personsSeconds: number;
  /** After the last batch: held-back entries, gone units, leavers, the run's end. */
  tailSeconds: number;
  batches: number;
  batchMsMedian: number;
  batchMsMax: number;
  personsRead: number;
  unitsRead: number;
  counts: DirectorySyncCounts;
  rowsWritten: { persons: number; personUnits: number; auditEvents: number; total: number };
  personsPerSecond: number;
  rowsPerSecond: number;
  memory: MemoryFigures;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** One run from start to its end, with its figures; fails unless it completed. */
async function measureRun(db: AppDatabase, sync: DirectorySync, label: string, request: SyncRequest) {
  const before = await rowCounts(db);
  const memory = watchMemory();
  const current: RunProbe = {
    readMs: 0,
    readEndedAt: 0,
    personsRead: 0,
    unitsRead: 0,
    batchEndedAt: [],
    sample: memory.sample,
  };
  probe = current;
  const started = performance.now();
  const start = await sync.start(request);
  if (!start.started) throw new Error(`${label} did not start: ${start.reason}`);
  const run = await start.finished;
  const ended = performance.now();
  probe = undefined;
  const memoryFigures = memory.stop();
  if (run.state !== 'completed') throw new Error(`${label} ended ${run.state}: ${run.faultMessage}`);
  const after = await rowCounts(db);

  const lastBatchAt = current.batchEndedAt.at(-1) ?? current.readEndedAt;
  const batchMs = current.batchEndedAt.map((at, index) =>
    index === 0 ? Number.NaN : at - (current.batchEndedAt[index - 1] as number),
  );
  const counts = run.counts;
  // Updates count as rows written too: a changed person or one who came back is a row rewritten.
  const personRows =
    after.persons - before.persons + counts.person_changed + counts.person_returned + counts.person_left;
  const rowsWritten = {
    persons: request.mode === 'apply' ? personRows : 0,
    personUnits: after.personUnits - before.personUnits,
    auditEvents: after.auditEvents - before.auditEvents,
    total: 0,
  };
  rowsWritten.total = rowsWritten.persons + rowsWritten.personUnits + rowsWritten.auditEvents;
  const seconds = (ended - started) / 1000;
  return {
    run: label,
    seconds,
    readSeconds: current.readMs / 1000,
    personsSeconds: (lastBatchAt - current.readEndedAt) / 1000,
    tailSeconds: (ended - lastBatchAt) / 1000,
    batches: current.batchEndedAt.length,
    batchMsMedian: median(batchMs.filter((ms) => !Number.isNaN(ms))),
    batchMsMax: Math.max(0, ...batchMs.filter((ms) => !Number.isNaN(ms))),
    personsRead: current.personsRead,
    unitsRead: current.unitsRead,
    counts,
    rowsWritten,
    personsPerSecond: current.personsRead / seconds,
    rowsPerSecond: rowsWritten.total / seconds,
    memory: memoryFigures,
  } satisfies RunFigures;
}

/** Changes the root unit (a field the sync does not read), so the next watermark is a second of its own. */
async function moveWatermark(slapd: Slapd, region: BenchRegion, round: number) {
  await pause(1_100);
  await slapd.modify(replaceAttributesLdif(region.rootDn, { description: `benchmark round ${round}` }));
}

async function benchEngine(db: AppDatabase, slapd: Slapd, region: BenchRegion, round: number) {
  await db.insert(users).values({ id: benchUserId, username: 'directory.bench', displayName: 'Bench' });
  const sync = createDirectorySync({
    db,
    source: timedSource(ldapSource(slapd)),
    logger: createLogger('silent'),
    watermarkOverlapMs: 0,
    afterBatch: () => {
      probe?.batchEndedAt.push(performance.now());
      probe?.sample();
    },
  });
  const byAdmin = { userId: benchUserId, actorLabel: 'directory.bench', kind: 'full' } as const;
  await moveWatermark(slapd, region, round);
  const runs: RunFigures[] = [];
  runs.push(await measureRun(db, sync, 'full preview (empty db)', { ...byAdmin, mode: 'preview' }));
  runs.push(await measureRun(db, sync, 'full apply (empty db)', { ...byAdmin, mode: 'apply' }));

  const modifyStarted = performance.now();
  await slapd.modify(surnameChangesLdif(region, changeCount, round));
  const modifySeconds = (performance.now() - modifyStarted) / 1000;
  await pause(1_100);
  runs.push(
    await measureRun(db, sync, `incremental (${changeCount} changes)`, {
      mode: 'apply',
      userId: null,
      actorLabel: 'directory_schedule',
      kind: 'incremental',
    }),
  );
  runs.push(await measureRun(db, sync, 'full apply (no changes)', { ...byAdmin, mode: 'apply' }));
  return { runs, modifySeconds };
}

type EngineFigures = Awaited<ReturnType<typeof benchEngine>>;

/** The directory read and its validation on their own, once: also warms slapd's cache for both engines. */
async function readAlone(slapd: Slapd) {
  const started = performance.now();
  const snapshot = await ldapSource(slapd).read({ personsModifiedSince: null });
  const readSeconds = (performance.now() - started) / 1000;
  const validationStarted = performance.now();
  const validated = validateDirectory(snapshot, new Date());
  const validationSeconds = (performance.now() - validationStarted) / 1000;
  if (validated.problems.length > 0) {
    throw new Error(`The generated region has problems: ${JSON.stringify(validated.problems.slice(0, 5))}`);
  }
  return { readSeconds, validationSeconds, persons: validated.persons.length, units: validated.units.length };
}

/** Generates the region and loads it into a fresh slapd; the LDIF is let go once slapadd has read it. */
async function loadRegion() {
  const generationStarted = performance.now();
  const { region, ldif } = buildRegion(size);
  const generationSeconds = (performance.now() - generationStarted) / 1000;
  const loadStarted = performance.now();
  const slapd = await startSlapd({ ldif });
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  console.log(
    `region: ${region.units} units, ${region.persons.length} persons (${region.personsWithMail} with mail, ` +
      `${region.protectedPersons} protected, ${region.personsInTwoUnits} in two units); LDIF ` +
      `${(Buffer.byteLength(ldif) / megabyte).toFixed(1)} MB generated in ${generationSeconds.toFixed(1)} s, ` +
      `slapadd + start ${loadSeconds.toFixed(1)} s`,
  );
  return { region, slapd, generationSeconds, loadSeconds };
}

const { region, slapd, generationSeconds, loadSeconds } = await loadRegion();
const regionFacts = {
  units: region.units,
  persons: region.persons.length,
  protectedPersons: region.protectedPersons,
  personsInTwoUnits: region.personsInTwoUnits,
  personsWithMail: region.personsWithMail,
  generationSeconds,
  slapaddAndStartSeconds: loadSeconds,
};

let alone: Awaited<ReturnType<typeof readAlone>>;
let sqliteFigures: EngineFigures;
let postgresFigures: EngineFigures;
const scratch = mkdtempSync(join(tmpdir(), 'siths-directory-bench-'));
try {
  alone = await readAlone(slapd);
  console.log(
    `directory read alone: ${alone.persons} persons, ${alone.units} units in ${alone.readSeconds.toFixed(1)} s; ` +
      `validation ${alone.validationSeconds.toFixed(2)} s`,
  );

  const databasePath = join(scratch, 'directory.sqlite');
  const sqliteDb = await openDatabase(databasePath);
  try {
    sqliteFigures = await benchEngine(sqliteDb, slapd, region, 1);
  } finally {
    await sqliteDb.close();
  }
  console.log(`SQLite (${databasePath}): measured`);

  const server = await startPostgresServer();
  try {
    const postgresDb = await openDatabase(await server.createDatabase('directory_sync_bench'));
    try {
      postgresFigures = await benchEngine(postgresDb, slapd, region, 2);
    } finally {
      await postgresDb.close();
    }
    console.log(`PostgreSQL (port ${server.port}): measured`);
  } finally {
    await server.stop();
  }
} finally {
  await slapd.stop();
  await rssWatch.stop();
  if (process.env.BENCH_KEEP_DB !== '1') rmSync(scratch, { recursive: true, force: true });
}

const number = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const columns: Array<[string, number, (run: RunFigures) => string]> = [
  ['run', 26, (run) => run.run],
  ['seconds', 8, (run) => number(run.seconds, 2)],
  ['read s', 7, (run) => number(run.readSeconds, 2)],
  ['persons s', 10, (run) => number(run.personsSeconds, 2)],
  ['tail s', 7, (run) => number(run.tailSeconds, 2)],
  [
    'batch ms p50/max',
    17,
    (run) => (run.batches < 2 ? '-' : `${number(run.batchMsMedian)}/${number(run.batchMsMax)}`),
  ],
  ['read', 8, (run) => number(run.personsRead)],
  ['persons/s', 10, (run) => number(run.personsPerSecond)],
  ['changed', 8, (run) => number(run.counts.person_new + run.counts.person_changed + run.counts.person_left)],
  ['rows', 8, (run) => number(run.rowsWritten.total)],
  ['rows/s', 8, (run) => number(run.rowsPerSecond)],
  ['RSS held', 9, (run) => number(run.memory.rssHeldMb)],
  ['heap held', 10, (run) => number(run.memory.heapHeldMb)],
  ['heap left', 10, (run) => number(run.memory.heapLeftMb)],
  ['peak RSS', 9, (run) => number(run.memory.peakRssMb)],
];
const line = (cells: string[]) =>
  cells
    .map((cell, index) => (index === 0 ? cell.padEnd(columns[0]![1]) : cell.padStart(columns[index]![1])))
    .join(' ');

console.log(
  `\ndirectory sync, ${number(regionFacts.persons)} persons in ${number(regionFacts.units)} units; seconds from start() ` +
    'to the end of the run; memory in MB (held = peak minus the baseline before the run, left = heap after a GC):',
);
for (const [label, figures] of [
  ['SQLite (file, WAL, synchronous=NORMAL)', sqliteFigures],
  ['PostgreSQL 15 (throwaway cluster, fsync off)', postgresFigures],
] as const) {
  console.log(`\n${label}; ldapmodify of ${changeCount} changes took ${number(figures.modifySeconds, 2)} s`);
  console.log(line(columns.map(([title]) => title)));
  for (const run of figures.runs) console.log(line(columns.map(([, , cell]) => cell(run))));
}

const summaryOf = (label: string, figures: EngineFigures) => {
  const [, full, incremental, again] = figures.runs as [RunFigures, RunFigures, RunFigures, RunFigures];
  return [
    `${label}: full sync ${number(full.seconds, 1)} s (${number(full.personsPerSecond)} persons/s, ` +
      `${number(full.rowsPerSecond)} rows/s: ${number(full.rowsWritten.total)} rows = ${number(full.rowsWritten.persons)} ` +
      `persons + ${number(full.rowsWritten.personUnits)} person_units + ${number(full.rowsWritten.auditEvents)} audit events; ` +
      `read ${number(full.readSeconds, 1)} s, apply ${number(full.seconds - full.readSeconds, 1)} s), memory held ` +
      `${number(full.memory.rssHeldMb)} MB RSS / ${number(full.memory.heapHeldMb)} MB heap (peak RSS ${number(full.memory.peakRssMb)} MB)`,
    `  incremental ${changeCount} changes: ${number(incremental.seconds, 2)} s (${number(changeCount / incremental.seconds)} changes/s; ` +
      `read returned ${number(incremental.personsRead)} persons, ${number(incremental.counts.person_changed)} changed; ` +
      `read ${number(incremental.readSeconds, 2)} s), memory held ${number(incremental.memory.rssHeldMb)} MB RSS / ` +
      `${number(incremental.memory.heapHeldMb)} MB heap`,
    `  full again, no changes: ${number(again.seconds, 1)} s (${number(again.counts.person_changed + again.counts.person_new + again.counts.person_left)} changes, ` +
      `read ${number(again.readSeconds, 1)} s), memory held ${number(again.memory.rssHeldMb)} MB RSS / ${number(again.memory.heapHeldMb)} MB heap`,
  ].join('\n');
};
console.log(
  `\n=== summary: directory sync, ${number(regionFacts.persons)} persons / ${number(regionFacts.units)} units${quick ? ' (BENCH_QUICK)' : ''}`,
);
console.log(
  `directory: slapd on loopback; a full read alone ${number(alone.readSeconds, 1)} s, validation ${number(alone.validationSeconds, 2)} s; ` +
    'incremental runs with watermarkOverlapMs 0',
);
console.log(summaryOf('SQLite', sqliteFigures));
console.log(summaryOf('PostgreSQL', postgresFigures));

const resultsDirectory = resolve('bench/results');
mkdirSync(resultsDirectory, { recursive: true });
writeFileSync(
  join(resultsDirectory, 'directory-sync.json'),
  `${JSON.stringify(
    {
      at: new Date().toISOString(),
      quick,
      region: regionFacts,
      changeCount,
      directoryReadAlone: alone,
      sqlite: sqliteFigures,
      postgres: postgresFigures,
    },
    null,
    2,
  )}\n`,
);
