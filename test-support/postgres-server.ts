import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './processes';

const run = promisify(execFile);

export const defaultPostgresBinDir = '/usr/lib/postgresql/15/bin';

/** The role initdb creates; it owns every database of the throwaway cluster. */
const superuser = 'siths';

export interface PostgresServer {
  port: number;
  /** A connection URL for one database of this cluster. */
  url(database: string): string;
  /** The `postgres` maintenance database, for statements such as CREATE DATABASE. */
  adminUrl: string;
  /** With a template, a copy of it (PostgreSQL copies the files: much faster than migrating again). */
  createDatabase(name: string, options?: { template?: string }): Promise<string>;
  /** Drops the database even while clients are still connected to it. */
  dropDatabase(name: string): Promise<void>;
  /** Stops the server, keeping its data folder and port (an outage for tests of what clients do meanwhile). */
  stopServer(): Promise<void>;
  /** Starts the stopped server again on the same port with the same data. */
  startServer(): Promise<void>;
  /** Stops the cluster by its process id and removes its folder. */
  stop(): Promise<void>;
}

export interface PostgresServerOptions {
  /** Where initdb and pg_ctl live. */
  binDir?: string;
  /** Extra server settings (`-c name=value`), e.g. max_connections. */
  settings?: Record<string, string>;
}

/**
 * Starts a throwaway PostgreSQL cluster: its own folder under the temporary directory, its own free port on
 * loopback, trust authentication for the superuser `siths`. Durability is switched off (a test cluster
 * never outlives its test run). PostgreSQL refuses to run as root, so as root the cluster runs as `postgres`.
 */
export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const binDir = options.binDir ?? defaultPostgresBinDir;
  if (!existsSync(join(binDir, 'initdb')) || !existsSync(join(binDir, 'pg_ctl'))) {
    throw new Error(
      `PostgreSQL 15 is not installed (no initdb in ${binDir}): run \`npm run setup:debian\` ` +
        '(installs the Debian package postgresql).',
    );
  }
  const asPostgres = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), 'siths-desk-pg-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  // In the cluster's own folder: `postgres` may not be allowed into the caller's working directory.
  const exec = (command: string, args: string[]) =>
    asPostgres
      ? run('runuser', ['-u', 'postgres', '--', join(binDir, command), ...args], { cwd: dir })
      : run(join(binDir, command), args, { cwd: dir });

  let postmasterPid: number | undefined;
  const removeFolder = () => rmSync(dir, { recursive: true, force: true });
  // A test run that dies without stop() must not leave a server behind.
  const killOnExit = () => {
    if (postmasterPid !== undefined) killQuietly(postmasterPid, 'SIGQUIT');
    removeFolder();
  };
  process.once('exit', killOnExit);

  try {
    if (asPostgres) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: group } = await run('id', ['-g', 'postgres']);
      chownSync(dir, Number(stdout.trim()), Number(group.trim()));
    }
    // UTF-8 with the C locale: text sorts by code point and lower() folds ASCII only, as SQLite does.
    await exec('initdb', ['-D', dataDir, '-A', 'trust', '-U', superuser, '-E', 'UTF8', '--locale=C']);
    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      ...options.settings,
    };
    const startOn = async (candidate: number) => {
      const serverOptions = [
        `-p ${candidate}`,
        `-k ${dir}`,
        ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`),
      ].join(' ');
      await exec('pg_ctl', ['-D', dataDir, '-o', serverOptions, '-l', logFile, '-w', '-t', '60', 'start']);
      postmasterPid = readPostmasterPid(dataDir);
    };
    const stopServer = async () => {
      try {
        await exec('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', 'stop']);
      } catch {
        if (postmasterPid !== undefined) await killAndWait(postmasterPid);
      }
      postmasterPid = undefined;
    };
    const port = await startOnFreePort(startOn, logFile);

    const adminUrl = `postgres://${superuser}@127.0.0.1:${port}/postgres`;
    const databases = postgresDatabases(adminUrl);

    let stopped = false;
    return {
      port,
      adminUrl,
      url: databases.url,
      createDatabase: databases.createDatabase,
      dropDatabase: databases.dropDatabase,
      stopServer,
      async startServer() {
        if (postmasterPid === undefined) await startOn(port);
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopServer();
        removeFolder();
        process.removeListener('exit', killOnExit);
      },
    };
  } catch (error) {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2_000) : '';
    killOnExit();
    process.removeListener('exit', killOnExit);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`PostgreSQL did not start: ${reason}${log ? `\n${log}` : ''}`, { cause: error });
  }
}

/** Asks the system for a free loopback port and tries again when another process took it meanwhile. */
async function startOnFreePort(start: (port: number) => Promise<void>, logFile: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      await start(port);
      return port;
    } catch (error) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      if (attempt >= 3 || !log.includes('Address already in use')) throw error;
    }
  }
}

/** The first line of postmaster.pid is the server's process id. */
function readPostmasterPid(dataDir: string): number {
  const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no process id in ${dataDir}/postmaster.pid`);
  return pid;
}

/** SIGQUIT is PostgreSQL's immediate shutdown; SIGKILL if it still lingers. */
async function killAndWait(pid: number): Promise<void> {
  killQuietly(pid, 'SIGQUIT');
  const deadline = Date.now() + 5_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (isAlive(pid)) killQuietly(pid, 'SIGKILL');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

export type PostgresDatabases = Pick<PostgresServer, 'url' | 'createDatabase' | 'dropDatabase'>;

/** Creating and dropping databases of a running cluster, given its maintenance database's URL. */
export function postgresDatabases(adminUrl: string): PostgresDatabases {
  const url = (database: string) => {
    const address = new URL(adminUrl);
    address.pathname = `/${encodeURIComponent(database)}`;
    return address.toString();
  };
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  return {
    url,
    async createDatabase(name, options = {}) {
      const template = options.template ? ` template ${pg.escapeIdentifier(options.template)}` : '';
      // FILE_COPY copies the template's files after a checkpoint; with fsync off that takes a few ms
      // where PostgreSQL 15's default (WAL_LOG, block by block through the WAL) takes ten times longer.
      await admin(`create database ${pg.escapeIdentifier(name)}${template} strategy file_copy`);
      return url(name);
    },
    async dropDatabase(name) {
      await admin(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
    },
  };
}
