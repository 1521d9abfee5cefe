import { writeFileSync } from 'node:fs';
import type { DatabaseReport } from './invariants';

/** One case that broke an invariant, with what is needed to replay it (seed and index). */
export interface FuzzFinding {
  index: number;
  seed: number;
  problems: string[];
  where: string;
  route: string;
  detail: string;
  excerpt: string;
  errors: { msg: string; message?: string; stack?: string }[];
}

/**
 * A short summary for the test output: counts, then findings grouped by route and first error, one
 * example case each. With FUZZ_REPORT=<name>.json every finding is also written to <name>-<kind>.json.
 */
export function summarise(
  kind: string,
  run: {
    seed: number;
    cases: number;
    seconds: number;
    statuses: Map<number | string, number>;
    findings: FuzzFinding[];
    database: DatabaseReport;
    bounds: Record<string, number>;
  },
): string {
  const groups = new Map<string, FuzzFinding[]>();
  for (const finding of run.findings) {
    const key = `${finding.route} | ${finding.problems.join(', ')} | ${finding.errors[0]?.message ?? finding.errors[0]?.msg ?? finding.excerpt.slice(0, 80)}`;
    groups.set(key, [...(groups.get(key) ?? []), finding]);
  }
  if (process.env.FUZZ_REPORT) {
    writeFileSync(
      process.env.FUZZ_REPORT.replace(/(\.json)?$/, `-${kind}.json`),
      JSON.stringify({ kind, ...run, statuses: Object.fromEntries(run.statuses) }, null, 2),
    );
  }
  const lines = [
    `fuzz ${kind}: seed ${run.seed}, ${run.cases} cases in ${run.seconds.toFixed(1)} s`,
    `  answers: ${[...run.statuses].map(([status, count]) => `${status}x${count}`).join(' ')}`,
    `  bounds: ${Object.entries(run.bounds)
      .map(([name, value]) => `${name}=${value}`)
      .join(' ')}`,
    `  database: integrity ${run.database.integrity.join(',')}, ${run.database.foreignKeyViolations.length} foreign key violations, ${run.database.invalidRows.length} invalid rows of ${run.database.rowsChecked}`,
    ...run.database.invalidRows
      .slice(0, 20)
      .map((row) => `    invalid ${row.table}.${row.column} (${row.rule}): ${row.value}`),
    `  findings: ${run.findings.length} cases in ${groups.size} groups`,
    ...[...groups].map(
      ([key, cases]) =>
        `    ${cases.length}x ${key}\n      e.g. case #${cases[0]!.index}: ${cases[0]!.where} (${cases[0]!.detail})`,
    ),
  ];
  return lines.join('\n');
}
