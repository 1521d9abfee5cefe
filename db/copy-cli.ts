import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type AppDatabase, databaseLocation, databaseUrlFromEnv, openDatabase } from './connection';
import { copyDatabase, type TableCount } from './copy';
import { causeChain } from './engine';
import { redactedUrl } from './engines/postgres';

const usage =
  'usage: npm run db:copy -- --to postgres://user@host:port/database [--from ./data/siths-desk.sqlite]';

/**
 * `npm run db:copy -- --to postgres://...`: copies a region's database (DATABASE_URL or --from) into an empty
 * database, usually PostgreSQL, and prints the rows per table on both sides. Exit code 0 only when every
 * table holds the same number of rows on both.
 */
async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { from: { type: 'string' }, to: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const from = values.from?.trim() || databaseUrlFromEnv();
  const to = values.to?.trim();
  if (!to) throw new Error(`--to is missing (${usage})`);
  if (from === to) throw new Error('--from and --to name the same database.');
  const source = databaseLocation(from);
  // Opening a path that does not exist would create an empty SQLite database and copy nothing.
  if (source.engine === 'sqlite' && (source.path === ':memory:' || !existsSync(source.path))) {
    throw new Error(`There is no SQLite database at ${source.path} to copy.`);
  }

  const opened: AppDatabase[] = [];
  try {
    const target = await openDatabase(to);
    opened.push(target);
    const sourceDb = await openDatabase(from);
    opened.push(sourceDb);
    const started = performance.now();
    const counts = await copyDatabase(sourceDb, target);
    const seconds = (performance.now() - started) / 1000;
    printCounts(counts);
    const rows = counts.reduce((sum, entry) => sum + entry.target, 0);
    console.log(
      `Copied ${rows} rows from ${shown(from)} to ${shown(to)} in ${seconds.toFixed(1)} s ` +
        `(${Math.round(rows / Math.max(seconds, 0.001))} rows/s).`,
    );
  } finally {
    for (const db of opened) await db.close();
  }
}

function printCounts(counts: TableCount[]): void {
  const width = Math.max(5, ...counts.map((entry) => entry.table.length));
  const line = (table: string, source: string, target: string) =>
    `${table.padEnd(width)}  ${source.padStart(10)}  ${target.padStart(10)}`;
  console.log(line('table', 'source', 'target'));
  for (const entry of counts) console.log(line(entry.table, String(entry.source), String(entry.target)));
}

function shown(url: string): string {
  const location = databaseLocation(url);
  return location.engine === 'postgres' ? redactedUrl(location.url) : location.path;
}

/** One line: the reason the driver gave, not the statement drizzle wraps around it. */
function reason(error: unknown): string {
  const innermost = causeChain(error).at(-1);
  const message = innermost instanceof Error ? innermost.message : String(innermost ?? error);
  return message.replace(/\s+/g, ' ').trim();
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  console.error(`db:copy: ${reason(error)}`);
  process.exitCode = 1;
}
