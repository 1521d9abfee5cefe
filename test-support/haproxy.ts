import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type ManagedProcess, startProcess, waitFor } from './processes';

const haproxyBinary = '/usr/sbin/haproxy';

/** The response header that names the process which answered: tests see where the balancer sent a request. */
export const servedByHeader = 'X-Served-By';

export interface HaproxyBackend {
  /** The server's name in HAProxy, in its logs and in the X-Served-By header. */
  name: string;
  port: number;
}

export interface HaproxyOptions {
  backends: HaproxyBackend[];
  /** The balancer's port on `host`; a free one when not given. */
  port?: number;
  host?: string;
  /** HAProxy's own log (starts, health check changes, one line per request); in its folder when not given. */
  logFile?: string;
}

export interface Haproxy {
  port: number;
  url: string;
  pid: number;
  /** Each server's status as HAProxy's stats say it: `UP`, `DOWN`, `UP 1/2` (going down), `MAINT`... */
  serverStates(): Promise<Record<string, string>>;
  /** Resolves once at least `count` servers pass their health checks: tests must not race them. */
  waitUntilBackendsUp(count: number, timeoutMs?: number): Promise<void>;
  /** Resolves once HAProxy has the named server in `state` (`UP` or `DOWN`). */
  waitUntilServer(name: string, state: 'UP' | 'DOWN', timeoutMs?: number): Promise<void>;
  /** Stops HAProxy by its process id and removes its folder. */
  stop(): Promise<void>;
}

/**
 * The configuration of a balancer for siths-desk's processes: fewest connections first (a WebSocket is one
 * long connection), a process that fails `/readyz` twice (dead, or draining) out within ~1 s, and a request
 * that could not reach a process sent to another. Every client speaks WebSocket only, so no stickiness.
 */
export function haproxyConfig(options: {
  backends: HaproxyBackend[];
  host: string;
  port: number;
  statsSocket: string;
}): string {
  const servers = options.backends.map(
    (backend) => `    server ${backend.name} 127.0.0.1:${backend.port} check`,
  );
  return `global
    log stdout format raw local0
    stats socket ${options.statsSocket} mode 600 level admin
    # Requests a retry may replay must fit one buffer (retry-on); a form is at most 64 kB.
    tune.bufsize 81920

defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    # A WebSocket (agent, support page) stays open for hours; pings keep it alive well within this.
    timeout tunnel 1h
    timeout client-fin 5s

frontend siths
    bind ${options.host}:${options.port}
    # The processes trust X-Forwarded-For (TRUST_PROXY): only the balancer's own word reaches them.
    http-request del-header X-Forwarded-For
    http-request del-header X-Forwarded-Host
    http-request set-header X-Forwarded-Proto http
    option forwardfor
    default_backend siths_processes

backend siths_processes
    balance leastconn
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 500ms fastinter 250ms downinter 500ms fall 2 rise 2
    # A process just killed refuses the connection, or closes it without an answer: the request goes to
    # another process, each retry to another one. Only reads are replayed after they reached a process.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout
    http-request disable-l7-retry unless METH_GET || METH_HEAD
    http-response set-header ${servedByHeader} %[srv_name]
${servers.join('\n')}
`;
}

/**
 * Starts HAProxy in front of the given servers (all on 127.0.0.1) as this process's own child, with its
 * configuration and stats socket in a folder of its own.
 */
export async function startHaproxy(options: HaproxyOptions): Promise<Haproxy> {
  if (!existsSync(haproxyBinary)) {
    throw new Error(
      'HAProxy is not installed: run `npm run setup:debian` (installs the Debian package haproxy).',
    );
  }
  const host = options.host ?? '127.0.0.1';
  const dir = mkdtempSync(join(tmpdir(), 'siths-desk-haproxy-'));
  const configFile = join(dir, 'haproxy.cfg');
  const statsSocket = join(dir, 'admin.sock');
  const logFile = options.logFile ?? join(dir, 'haproxy.log');
  let running: ManagedProcess | undefined;
  const killOnExit = () => {
    if (running) process.kill(running.pid, 'SIGKILL');
  };
  process.on('exit', killOnExit);

  const startOn = async (port: number) => {
    writeFileSync(configFile, haproxyConfig({ backends: options.backends, host, port, statsSocket }));
    const started = startProcess({
      name: 'haproxy',
      command: haproxyBinary,
      args: ['-f', configFile, '-db'],
      cwd: dir,
      logFile,
    });
    running = started;
    let exitCode: number | null | undefined;
    void started.exited.then((code) => {
      exitCode = code;
    });
    try {
      await waitFor(
        async () => {
          if (exitCode !== undefined) throw new Error(`haproxy exited with code ${exitCode}`);
          return (await statsCommand(statsSocket, 'show info').catch(() => '')).includes('Pid:');
        },
        10_000,
        `HAProxy's stats socket ${statsSocket}`,
      );
    } catch (error) {
      running = undefined;
      await started.stop();
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2_000) : '';
      throw new Error(`HAProxy did not start: ${(error as Error).message}\n${log}`, { cause: error });
    }
    return started;
  };

  const removeAll = () => {
    process.removeListener('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
  };
  let port = options.port ?? (await freePort());
  let haproxy: ManagedProcess;
  try {
    haproxy = await startOn(port);
  } catch (error) {
    // A free port may be taken between asking and binding; a port the caller chose is not changed.
    if (options.port !== undefined || !String(error).includes('cannot bind')) {
      removeAll();
      throw error;
    }
    port = await freePort();
    haproxy = await startOn(port).catch((again) => {
      removeAll();
      throw again;
    });
  }

  const serverStates = async () => parseServerStates(await statsCommand(statsSocket, 'show stat'));
  let stopped = false;
  return {
    port,
    url: `http://${host}:${port}`,
    pid: haproxy.pid,
    serverStates,
    async waitUntilBackendsUp(count, timeoutMs = 15_000) {
      await waitFor(
        async () => Object.values(await serverStates()).filter((state) => state === 'UP').length >= count,
        timeoutMs,
        `${count} servers UP in HAProxy`,
      );
    },
    async waitUntilServer(name, state, timeoutMs = 15_000) {
      await waitFor(
        async () => (await serverStates())[name] === state,
        timeoutMs,
        `HAProxy to have ${name} ${state}`,
      );
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      running = undefined;
      await haproxy.stop();
      removeAll();
    },
  };
}

/** The status of every server of every backend, from `show stat`'s CSV (header line `# pxname,svname,...`). */
function parseServerStates(csv: string): Record<string, string> {
  const [header, ...rows] = csv.trim().split('\n');
  const columns = (header ?? '').replace(/^# /, '').split(',');
  const name = columns.indexOf('svname');
  const status = columns.indexOf('status');
  const states: Record<string, string> = {};
  for (const row of rows) {
    const fields = row.split(',');
    const server = fields[name];
    if (!server || server === 'FRONTEND' || server === 'BACKEND') continue;
    states[server] = fields[status] ?? '';
  }
  return states;
}

/** One command on HAProxy's runtime API; the answer is everything it writes before closing. */
function statsCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let answer = '';
    socket.setTimeout(2_000, () => socket.destroy(new Error(`no answer to "${command}"`)));
    socket.once('error', reject);
    socket.once('connect', () => socket.write(`${command}\n`));
    socket.on('data', (data) => {
      answer += data.toString();
    });
    socket.once('end', () => resolve(answer));
  });
}
