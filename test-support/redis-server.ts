import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type ManagedProcess, startProcess, waitFor } from './processes';

export interface RedisServer {
  port: number;
  url: string;
  /** Stops the server by its process id, keeping its port (an outage for tests of what clients do meanwhile). */
  stopServer(): Promise<void>;
  /** Starts the stopped server again on the same port (empty: nothing is saved). */
  startServer(): Promise<void>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts a throwaway Redis on a free loopback port, as this process's own child: no persistence (Redis is
 * the Socket.IO adapter's bus and the shared counters' store; nothing in it must outlive a restart).
 */
export async function startRedisServer(): Promise<RedisServer> {
  if (!existsSync('/usr/bin/redis-server')) {
    throw new Error(
      'Redis is not installed: run `npm run setup:debian` (installs the Debian package redis-server).',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'siths-desk-redis-'));
  const logFile = join(dir, 'redis.log');
  const port = await freePort();
  let server: ManagedProcess | undefined;
  const killOnExit = () => {
    if (server) process.kill(server.pid, 'SIGKILL');
  };
  process.on('exit', killOnExit);

  const startServer = async () => {
    if (server) return;
    const started = startProcess({
      name: 'redis-server',
      command: '/usr/bin/redis-server',
      args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      cwd: dir,
      logFile,
    });
    server = started;
    let exitCode: number | null | undefined;
    void started.exited.then((code) => {
      exitCode = code;
    });
    try {
      await waitFor(
        async () => {
          if (exitCode !== undefined) throw new Error(`redis-server exited with code ${exitCode}`);
          return await answersPing(port);
        },
        10_000,
        `Redis on port ${port}`,
      );
    } catch (error) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2_000) : '';
      throw new Error(`Redis did not start: ${(error as Error).message}\n${log}`, { cause: error });
    }
  };
  const stopServer = async () => {
    const running = server;
    server = undefined;
    await running?.stop();
  };

  await startServer();
  let stopped = false;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stopServer,
    startServer,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopServer();
      process.removeListener('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One PING over a plain socket: whether Redis accepts commands yet. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
