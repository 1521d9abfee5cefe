/**
 * `npm run bench`: every bench/*.bench.ts in turn (sorted), each in its own process with this
 * environment, the file-descriptor limit raised as far as allowed. Benchmarks report figures and never
 * fail on targets, so this exits non-zero only when a benchmark crashed.
 *
 *   npm run bench                 all of them
 *   npm run bench -- socket       only those whose file name contains "socket"
 *   BENCH_QUICK=1 npm run bench   smoke run, where a benchmark supports it
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const benchDirectory = dirname(fileURLToPath(import.meta.url));
const repositoryRoot = join(benchDirectory, '..');
const filters = process.argv.slice(2);

const benchmarks = readdirSync(benchDirectory)
  .filter((name) => name.endsWith('.bench.ts'))
  .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
  .sort()
  .map((name) => relative(repositoryRoot, join(benchDirectory, name)));

function runBenchmark(file: string): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    const child = spawn(
      'bash',
      [
        '-c',
        'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"',
        process.execPath,
        '--import',
        'tsx',
        file,
      ],
      { cwd: repositoryRoot, env: process.env, stdio: 'inherit' },
    );
    child.on('error', () => resolve({ code: null, signal: 'spawn failed' }));
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
}

const results: Array<{ file: string; seconds: number; crashed: boolean; how: string }> = [];
for (const file of benchmarks) {
  console.log(`\n=== ${file} ${'='.repeat(Math.max(3, 76 - file.length))}\n`);
  const startedAt = performance.now();
  const { code, signal } = await runBenchmark(file);
  const seconds = Math.round((performance.now() - startedAt) / 100) / 10;
  results.push({
    file,
    seconds,
    crashed: code !== 0,
    how: signal ? `signal ${signal}` : `exit code ${code}`,
  });
}

console.log('\n=== summary');
if (benchmarks.length === 0) console.log(`no benchmark matches ${filters.join(', ')}`);
for (const { file, seconds, crashed, how } of results) {
  console.log(`${crashed ? 'CRASHED' : 'ran    '}  ${file}  (${seconds} s${crashed ? `, ${how}` : ''})`);
}
process.exit(results.some((result) => result.crashed) || benchmarks.length === 0 ? 1 : 0);
