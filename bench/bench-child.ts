import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The IPC between a benchmark and the process it measures. The measured process runs alone, so its
 * RSS and CPU are its own and the load generator never shares its event loop.
 */
export type ParentRequest = { type: 'measure'; collectGarbage: boolean } | { type: 'stop' };

export interface Measurement {
  type: 'measurement';
  rssBytes: number;
  heapUsedBytes: number;
  /** User + system CPU time since the process started. */
  cpuMicros: number;
  /** Agents connected to this process's /agent namespace (the Socket.IO server only). */
  agentConnections: number | null;
}

export interface Ready {
  type: 'ready';
  url: string;
  /** Support's session cookie (the Socket.IO server only). */
  cookieHeader?: string;
  /** Agent `i` authenticates with `${agentTokenPrefix}${i}` (the Socket.IO server only). */
  agentTokenPrefix?: string;
  /** What a load process holds once it has connected its share (bench/idle-load.ts only). */
  held?: HeldConnections;
}

export interface HeldConnections {
  reached: number;
  /** The first refusal or timeout, after which the load process connected no more. */
  stoppedBecause: string | null;
}

type ChildReply = Ready | Measurement;

export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Runs `node --expose-gc --import tsx script` with the file-descriptor limit raised to the hard limit,
 * so thousands of sockets fit; bash keeps the IPC channel open across its exec.
 */
export function spawnMeasured(script: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(
    'bash',
    [
      '-c',
      'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"',
      process.execPath,
      '--expose-gc',
      ...profileArguments(),
      '--import',
      'tsx',
      resolve(repositoryRoot, script),
    ],
    {
      cwd: repositoryRoot,
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
}

/** BENCH_PROFILE_DIR=dir: each measured process writes a CPU profile there (open it in Chrome DevTools). */
function profileArguments(): string[] {
  const directory = process.env.BENCH_PROFILE_DIR;
  return directory ? ['--cpu-prof', `--cpu-prof-dir=${resolve(directory)}`] : [];
}

/** A measured child process driven over IPC. */
export class MeasuredProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly ready: Ready,
  ) {}

  static async start(
    script: string,
    env: Record<string, string> = {},
    readyTimeoutMs = 120_000,
  ): Promise<MeasuredProcess> {
    const child = spawnMeasured(script, env);
    const ready = await nextReply(child, 'ready', readyTimeoutMs).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw error;
    });
    return new MeasuredProcess(child, ready);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Collecting garbage first gives the memory that stays; without, the process is not disturbed. */
  measure(collectGarbage = true): Promise<Measurement> {
    const reply = nextReply(this.child, 'measurement', 30_000);
    this.child.send({ type: 'measure', collectGarbage } satisfies ParentRequest);
    return reply;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' } satisfies ParentRequest);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

function nextReply<Type extends ChildReply['type']>(
  child: ChildProcess,
  type: Type,
  timeoutMs: number,
): Promise<Extract<ChildReply, { type: Type }>> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: ChildReply) => {
      if (message.type !== type) return;
      cleanup();
      resolve(message as Extract<ChildReply, { type: Type }>);
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`measured process exited (code ${code}, signal ${signal}) before '${type}'`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no '${type}' from the measured process within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** The child's side: answers measurement requests and stops cleanly when asked. */
export function answerParent(
  ready: Ready,
  stop: () => Promise<void>,
  counts: { agentConnections?: () => number } = {},
): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('run this from a benchmark: it needs an IPC channel to its parent');
  process.on('message', (request: ParentRequest) => {
    if (request.type === 'measure') {
      send({ ...measureSelf(request.collectGarbage), agentConnections: counts.agentConnections?.() ?? null });
    }
    if (request.type === 'stop') void stop().finally(() => process.exit(0));
  });
  // The parent died: nobody will ask us to stop.
  process.on('disconnect', () => void stop().finally(() => process.exit(0)));
  send(ready);
}

function measureSelf(collectGarbage: boolean): Omit<Measurement, 'agentConnections'> {
  if (collectGarbage) {
    // Two passes: the first frees objects whose finalisers the second can then reclaim.
    globalThis.gc?.();
    globalThis.gc?.();
  }
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return {
    type: 'measurement',
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    cpuMicros: cpu.user + cpu.system,
  };
}
