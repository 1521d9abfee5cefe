/**
 * Test and demo harness for real PC/SC: starts pcscd (with vpcd's two virtual readers) and
 * virtual cards as child processes, waits until pcsclite sees them, and stops each by its own pid.
 *
 * Only one pcscd can run on a machine. A pcscd this harness did not start (a running demo, a
 * system service) makes startPcscd fail with a clear message, because its reader slots may hold
 * someone else's cards; pass `reuseRunning: true` to use it anyway (stop() then leaves it alone).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { ReaderMonitor, type ReaderState } from '../card-agent/pcsc/reader-monitor.js';
import { vpcdPort, vpcdReaderName } from '../card-agent/virtual-card/vpcd-link.js';
import { openPrivateLog, stopChild } from './processes';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CARD_CLI = join(REPO_ROOT, 'card-agent/virtual-card/cli.ts');
const PCSCD_SOCKET = '/run/pcscd/pcscd.comm';
export const VPCD_SLOTS = [0, 1] as const;
export type VpcdSlot = (typeof VPCD_SLOTS)[number];
export { vpcdReaderName };

export interface PcscdHandle {
  /** Undefined when an already running pcscd was reused. */
  pid: number | undefined;
  reused: boolean;
  stop(): Promise<void>;
}

export interface StartPcscdOptions {
  /** Use a pcscd that is already running instead of failing. */
  reuseRunning?: boolean;
  /** pcscd's --debug --apdu output (APDUs in hex: PIN blocks included) to this file. */
  debugLogFile?: string;
  timeoutMs?: number;
  /** When another pcscd is running, wait this long for it to go away before failing (one machine, many suites). */
  waitForFreeMs?: number;
}

export async function startPcscd(options: StartPcscdOptions = {}): Promise<PcscdHandle> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const waitUntilFree = Date.now() + (options.reuseRunning ? 0 : (options.waitForFreeMs ?? 0));
  while (Date.now() < waitUntilFree && (await canConnect({ path: PCSCD_SOCKET }))) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (await canConnect({ path: PCSCD_SOCKET })) {
    if (options.reuseRunning) return { pid: undefined, reused: true, stop: async () => {} };
    throw new Error(
      `pcscd is already running (${PCSCD_SOCKET} answers${runningPcscdPid()}). Only one pcscd can run per ` +
        'machine: stop it (e.g. the demo) before running these tests, or pass { reuseRunning: true }.',
    );
  }
  // vpcd binds its ports once, when pcscd loads it, and does not try again: a pcscd started while an
  // exiting one still holds them has no virtual readers for its whole life.
  await waitForVpcdPortsFree(Math.max(options.waitForFreeMs ?? 0, VPCD_PORTS_FREE_WAIT_MS));
  try {
    return await spawnPcscd(options, timeoutMs);
  } catch (error) {
    if (!(error instanceof VpcdNotListening)) throw error;
    await waitForVpcdPortsFree(VPCD_PORTS_FREE_WAIT_MS);
    return spawnPcscd(options, timeoutMs).catch((again: unknown) => {
      throw new Error(`${again instanceof Error ? again.message : String(again)}; ${vpcdPortHolders()}`);
    });
  }
}

const VPCD_PORTS_FREE_WAIT_MS = 30_000;

class VpcdNotListening extends Error {}

async function spawnPcscd(options: StartPcscdOptions, timeoutMs: number): Promise<PcscdHandle> {
  const args = ['--foreground', ...(options.debugLogFile ? ['--debug', '--apdu'] : [])];
  const child = spawnLogged('pcscd', args, options.debugLogFile);
  const stop = () => stopChild(child);
  try {
    await waitUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`pcscd exited with code ${child.exitCode}`);
        return (
          (await canConnect({ path: PCSCD_SOCKET })) &&
          (await canConnect({ port: vpcdPort(0), host: '127.0.0.1' }))
        );
      },
      timeoutMs,
      'pcscd and vpcd to listen',
    );
  } catch (error) {
    await stop();
    const message = error instanceof Error ? error.message : String(error);
    throw child.exitCode === null || child.signalCode !== null ? new VpcdNotListening(message) : error;
  }
  return { pid: child.pid, reused: false, stop };
}

async function waitForVpcdPortsFree(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await vpcdPortsFree()) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function vpcdPortsFree(): Promise<boolean> {
  for (const slot of VPCD_SLOTS) {
    if (!(await canListen(vpcdPort(slot)))) return false;
  }
  return true;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Who holds vpcd's ports, for the error message of a pcscd whose readers never came. */
function vpcdPortHolders(): string {
  const ports = VPCD_SLOTS.map((slot) => `:${vpcdPort(slot)}`);
  const result = spawnSync('ss', ['-Htanp'], { encoding: 'utf8' });
  if (result.error) return `could not list who holds vpcd's ports (ss: ${result.error.message})`;
  const lines = (result.stdout ?? '').split('\n').filter((line) => ports.some((port) => line.includes(port)));
  return lines.length > 0 ? `vpcd's ports are held: ${lines.join(' | ')}` : "nothing holds vpcd's ports";
}

function runningPcscdPid(): string {
  try {
    return `, pid ${Number.parseInt(readFileSync('/run/pcscd/pcscd.pid', 'utf8'), 10)}`;
  } catch {
    return '';
  }
}

export interface VirtualCardSecrets {
  pin: string;
  puk: string;
  /** Hex: 32 digits for AES-128, 48 for 3DES. */
  managementKey: string;
}

export interface CreateVirtualCardOptions extends VirtualCardSecrets {
  stateDir: string;
  serial: string;
  kind?: 'ordinary' | 'reserve';
  force?: boolean;
}

/** Runs the card CLI's `create`, handing the secrets over in its environment (never argv). */
export async function createVirtualCard(options: CreateVirtualCardOptions): Promise<void> {
  const args = [
    'create',
    '--serial',
    options.serial,
    '--kind',
    options.kind ?? 'ordinary',
    '--state-dir',
    options.stateDir,
  ];
  if (options.force) args.push('--force');
  const env = { VCARD_PIN: options.pin, VCARD_PUK: options.puk, VCARD_MANAGEMENT_KEY: options.managementKey };
  const { code, output } = await runCardCli(args, env);
  if (code !== 0) throw new Error(`creating virtual card ${options.serial} failed: ${output}`);
}

/** Runs one card CLI command to completion (show, lock, remove, create). */
export function runCardCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CARD_CLI, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, output })));
}

export interface InsertVirtualCardOptions {
  stateDir: string;
  serial: string;
  slot?: VpcdSlot;
  protocol?: 'T1' | 'T0';
  yankAfterApdus?: number;
  /** A fault in the card-faults.ts command-line form, e.g. `power@7` or `sw6f00@3`. */
  fault?: string;
  /** The card process's stdout and stderr (pino JSON) go here, appended. */
  logFile?: string;
  timeoutMs?: number;
}

export interface VirtualCardProcess {
  pid: number;
  slot: VpcdSlot;
  readerName: string;
  /** Resolves when the card process has exited (after remove(), a yank or a crash). */
  exited: Promise<number | null>;
  /** Pulls the card: SIGTERM to its process, then waits until pcsclite no longer sees it. */
  remove(): Promise<void>;
}

/** Starts `cli.ts insert` as a child and waits until pcsclite reports the card present. */
export async function insertVirtualCard(options: InsertVirtualCardOptions): Promise<VirtualCardProcess> {
  const slot = options.slot ?? 0;
  const readerName = vpcdReaderName(slot);
  const args = [
    'insert',
    '--serial',
    options.serial,
    '--slot',
    String(slot),
    '--state-dir',
    options.stateDir,
  ];
  args.push('--protocol', options.protocol ?? 'T1');
  if (options.yankAfterApdus) args.push('--yank-after-apdus', String(options.yankAfterApdus));
  if (options.fault) args.push('--fault', options.fault);
  if ((await readerState(readerName, options.timeoutMs ?? 10_000)).cardPresent) {
    throw new Error(`"${readerName}" already holds a card; remove it first`);
  }
  const child = spawnLogged(process.execPath, ['--import', 'tsx', CARD_CLI, ...args], options.logFile);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitForCard(readerName, true, options.timeoutMs ?? 10_000);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return {
    pid: child.pid!,
    slot,
    readerName,
    exited,
    remove: async () => {
      await stopChild(child);
      await waitForCard(readerName, false, options.timeoutMs ?? 10_000);
    },
  };
}

/** The reader as pcsclite sees it now. */
export function readerState(readerName: string, timeoutMs = 10_000): Promise<ReaderState> {
  return watchReader(readerName, () => true, timeoutMs, 'did not appear');
}

/** Waits until pcsclite sees a card in (present) or out of (absent) the reader. */
export function waitForCard(readerName: string, present: boolean, timeoutMs = 10_000): Promise<ReaderState> {
  const failure = present ? 'got no card' : 'still holds a card';
  return watchReader(readerName, (state) => state.cardPresent === present, timeoutMs, failure);
}

async function watchReader(
  readerName: string,
  matches: (state: ReaderState) => boolean,
  timeoutMs: number,
  failure: string,
): Promise<ReaderState> {
  const monitor = new ReaderMonitor({ retryMs: 200, logger: pino({ level: 'silent' }) });
  monitor.on('error', () => {});
  try {
    return await new Promise<ReaderState>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`"${readerName}" ${failure} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const check = (state: ReaderState) => {
        if (state.name !== readerName || !matches(state)) return;
        clearTimeout(timer);
        resolve(state);
      };
      monitor.on('reader-added', check);
      monitor.on('card-inserted', check);
      monitor.on('card-removed', check);
      monitor.start();
    });
  } finally {
    monitor.stop();
  }
}

function spawnLogged(command: string, args: string[], logFile: string | undefined): ChildProcess {
  const fd = logFile ? openPrivateLog(logFile) : undefined;
  const output = fd ?? 'ignore';
  const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', output, output] });
  if (fd !== undefined) closeSync(fd);
  child.on('error', () => {});
  return child;
}

function canConnect(target: { path: string } | { port: number; host: string }): Promise<boolean> {
  if ('path' in target && !existsSync(target.path)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = connect(target as never);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
