import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * What the machine allows the benchmark's processes, read from /proc (Linux): open files, since every
 * connection is a file descriptor, and the CPU time of a process the benchmark did not write (HAProxy).
 */

export interface OpenFilesLimit {
  soft: number;
  hard: number;
}

/** The calling process's limit; a child spawned by bench-child.ts raises its soft limit to the hard one. */
export function openFilesLimit(pid: number | 'self' = 'self'): OpenFilesLimit {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((row) => row.startsWith('Max open files'));
  const [soft, hard] = (line?.match(/(\d+|unlimited)\s+(\d+|unlimited)/)?.slice(1) ?? []).map((value) =>
    value === 'unlimited' ? Number.POSITIVE_INFINITY : Number(value),
  );
  return { soft: soft ?? Number.NaN, hard: hard ?? Number.NaN };
}

/**
 * HAProxy without a `maxconn` sets its own from its open-files limit: two descriptors per proxied
 * connection (client side and server side), less a few it keeps for itself.
 */
export function haproxyConnectionsFor(limit: number): number {
  return Math.floor((limit - 30) / 2);
}

let ticksPerSecond: number | undefined;

/** User + system CPU time of any process on this machine, from /proc/<pid>/stat. */
export function processCpuMicros(pid: number): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name in parentheses may hold spaces: the fields counted after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / ticksPerSecond) * 1e6;
}
