/**
 * Adds up the JSON reports of vitest and Playwright into the one closing line CI reads:
 * "tests: N passed, N failed, N skipped". A missing report (a runner that never got to run) is a failure.
 */
import { existsSync, readFileSync } from 'node:fs';

interface Totals {
  passed: number;
  failed: number;
  skipped: number;
}

function vitestTotals(path: string): Totals {
  const report = JSON.parse(readFileSync(path, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
  };
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests,
    skipped: report.numPendingTests + report.numTodoTests,
  };
}

function playwrightTotals(path: string): Totals {
  const { stats } = JSON.parse(readFileSync(path, 'utf8')) as {
    stats: { expected: number; unexpected: number; flaky: number; skipped: number };
  };
  return { passed: stats.expected, failed: stats.unexpected + stats.flaky, skipped: stats.skipped };
}

// The Playwright report comes last; every report before it is a vitest run (one per project).
const reports = process.argv.slice(2);
const playwrightReport = reports.pop();
const totals: Totals = { passed: 0, failed: 0, skipped: 0 };
for (const [path, read] of [
  ...reports.map((report) => [report, vitestTotals] as const),
  [playwrightReport, playwrightTotals] as const,
]) {
  if (!path || !existsSync(path)) {
    console.error(`missing test report: ${path}`);
    totals.failed += 1;
    continue;
  }
  const part = read(path);
  totals.passed += part.passed;
  totals.failed += part.failed;
  totals.skipped += part.skipped;
}
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
