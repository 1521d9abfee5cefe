import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, fchmodSync, openSync } from 'node:fs';
import { createServer } from 'node:net';

export interface ManagedProcess {
  name: string;
  pid: number;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Starts a long-running child with its output appended to `logFile`; stop() ends it by its own pid. */
/** Opens a log for appending that only its owner reads, a file left from before too. */
export function openPrivateLog(file: string): number {
  const fd = openSync(file, 'a', 0o600);
  // Logs carry addresses and ids (pcscd's APDU log even PIN blocks).
  fchmodSync(fd, 0o600);
  return fd;
}

export function startProcess(options: {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env?: Record<string, string>;
  logFile: string;
}): ManagedProcess {
  const fd = openPrivateLog(options.logFile);
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${options.name} did not start (${options.command})`);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name: options.name, pid: child.pid, exited, stop: () => stopChild(child) };
}

/** SIGTERM, then SIGKILL if the process lingers past the grace period. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function waitFor(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export async function waitForHttpOk(url: string, timeoutMs: number, process?: ManagedProcess): Promise<void> {
  let exitCode: number | null | undefined;
  void process?.exited.then((code) => {
    exitCode = code;
  });
  await waitFor(
    async () => {
      if (exitCode !== undefined)
        throw new Error(`${process?.name} exited with code ${exitCode} before ${url} answered`);
      try {
        return (await fetch(url)).ok;
      } catch {
        return false;
      }
    },
    timeoutMs,
    url,
  );
}

/** A port that was free on loopback a moment ago: a server started on it may still lose it to another. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
