import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'ldapts';
import { childDn, splitDn } from '../server/directory/dn';
import { entryLdif, type LdifAttributes } from '../server/directory/ldif';
import { freePort, type ManagedProcess, startProcess, waitFor } from './processes';

export interface SlapdOptions {
  /** Entries below the suffix, loaded when the directory is created (parents before children). */
  ldif?: string;
  /** Default `c=SE`; its first RDN must be `c=`, `o=` or `dc=`. */
  suffix?: string;
  /**
   * A folder that outlives stop(), such as the demo's `data/directory`: a directory already in it is started
   * as it is (`ldif` and `syncPassword` only count when it is created). Default: a fresh temporary folder,
   * removed on stop().
   */
  dir?: string;
  /** Default: a free loopback port. */
  port?: number;
  /** The sync account's password, set when the directory is created. */
  syncPassword?: string;
}

export interface Slapd {
  /** `ldap://127.0.0.1:<port>` */
  url: string;
  port: number;
  suffix: string;
  /** The read-only account a directory sync binds as (read access to everything, no size limit). */
  bindDn: string;
  bindPassword: string;
  /** The running slapd's process id; undefined while stopped. */
  readonly pid: number | undefined;
  dir: string;
  /** Adds the entries of an LDIF (as the directory's administrator). */
  add(ldif: string): Promise<void>;
  /** Applies LDIF change records (`changetype: modify` and the like). */
  modify(ldif: string): Promise<void>;
  delete(dn: string): Promise<void>;
  /** Moves an entry, and everything below it, under another parent; its RDN stays. */
  moveEntry(dn: string, newParentDn: string): Promise<void>;
  /** Stops slapd by its process id, keeping data and port (an outage for tests of what clients do meanwhile). */
  stopServer(): Promise<void>;
  /** Starts the stopped slapd again on the same port, with the same data. */
  startServer(): Promise<void>;
  /** Stops slapd and removes its folder, unless the folder was given in the options. */
  stop(): Promise<void>;
}

export const defaultDirectorySyncPassword = 'demo-directory-password-not-secret';

const slapdBinary = '/usr/sbin/slapd';
const slapadd = '/usr/sbin/slapadd';
const ldapTools = {
  modify: '/usr/bin/ldapmodify',
  delete: '/usr/bin/ldapdelete',
  modifyRdn: '/usr/bin/ldapmodrdn',
};
const hsaSchema = resolve(import.meta.dirname, '../server/directory/hsa.schema');

/**
 * Starts OpenLDAP's slapd as this process's own child on loopback, with a slapd.conf and mdb database of its
 * own in its folder: nothing of /etc/ldap but the standard schema files.
 */
export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd> {
  if (![slapdBinary, slapadd, ldapTools.modify].every((binary) => existsSync(binary))) {
    throw new Error('OpenLDAP is not installed: run `npm run setup:debian` (installs slapd and ldap-utils).');
  }
  const suffix = options.suffix ?? 'c=SE';
  const keepDir = options.dir !== undefined;
  const dir = options.dir ? resolve(options.dir) : mkdtempSync(join(tmpdir(), 'siths-desk-slapd-'));
  mkdirSync(join(dir, 'db'), { recursive: true, mode: 0o700 });
  const port = options.port ?? (await freePort());
  const url = `ldap://127.0.0.1:${port}`;
  const bindDn = childDn('cn', 'siths-desk', suffix);
  const bindPassword = options.syncPassword ?? defaultDirectorySyncPassword;
  const rootDn = childDn('cn', 'admin', suffix);
  // Only our own tools use the administrator, through a file only we read: a new password every start.
  const rootPasswordFile = join(dir, 'admin-password');
  const rootPassword = randomBytes(18).toString('base64url');
  writeFileSync(rootPasswordFile, rootPassword, { mode: 0o600 });
  const configFile = join(dir, 'slapd.conf');
  writeFileSync(configFile, slapdConfig({ dir, suffix, rootDn, rootPassword, bindDn, throwaway: !keepDir }), {
    mode: 0o600,
  });
  const logFile = join(dir, 'slapd.log');

  if (!existsSync(join(dir, 'db', 'data.mdb'))) {
    const initialLdif = join(dir, 'initial.ldif');
    const frame = suffixEntryLdif(suffix) + syncAccountLdif(bindDn, bindPassword);
    writeFileSync(initialLdif, frame + (options.ldif ?? ''), { mode: 0o600 });
    try {
      await runTool(slapadd, ['-q', '-f', configFile, '-l', initialLdif]);
    } catch (error) {
      // A half-loaded database must not pass for a created one on the next start.
      rmSync(keepDir ? join(dir, 'db') : dir, { recursive: true, force: true });
      throw error;
    }
    rmSync(initialLdif);
  }

  let server: ManagedProcess | undefined;
  const killOnExit = () => {
    try {
      if (server) process.kill(server.pid, 'SIGKILL');
    } catch {
      // It ended on its own already.
    }
  };
  process.on('exit', killOnExit);

  const startServer = async () => {
    if (server) return;
    // -d keeps slapd in the foreground, our child; level 32768 ("none") logs only what slapd always logs:
    // start, stop and why it could not start.
    const started = startProcess({
      name: 'slapd',
      command: slapdBinary,
      args: ['-d', '32768', '-f', configFile, '-h', `${url}/`],
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
          if (exitCode !== undefined) throw new Error(`slapd exited with code ${exitCode}`);
          return await bindsAs(url, bindDn, bindPassword);
        },
        10_000,
        `slapd on port ${port}`,
      );
    } catch (error) {
      server = undefined;
      await started.stop();
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2_000) : '';
      throw new Error(`slapd did not start: ${(error as Error).message}\n${log}`, { cause: error });
    }
  };
  const stopServer = async () => {
    const running = server;
    server = undefined;
    await running?.stop();
  };

  const asAdministrator = ['-x', '-H', url, '-D', rootDn, '-y', rootPasswordFile];
  let stopped = false;
  try {
    await startServer();
  } catch (error) {
    process.removeListener('exit', killOnExit);
    if (!keepDir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    port,
    suffix,
    bindDn,
    bindPassword,
    get pid() {
      return server?.pid;
    },
    dir,
    add: (ldif) => runTool(ldapTools.modify, [...asAdministrator, '-a'], ldif),
    modify: (ldif) => runTool(ldapTools.modify, asAdministrator, ldif),
    delete: (dn) => runTool(ldapTools.delete, [...asAdministrator, dn]),
    moveEntry: (dn, newParentDn) =>
      runTool(ldapTools.modifyRdn, [...asAdministrator, '-s', newParentDn, dn, splitDn(dn).rdn]),
    stopServer,
    startServer,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopServer();
      process.removeListener('exit', killOnExit);
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function slapdConfig(settings: {
  dir: string;
  suffix: string;
  rootDn: string;
  rootPassword: string;
  bindDn: string;
  /** A throwaway directory need not survive a crash: no flush to disk after each write. */
  throwaway: boolean;
}): string {
  const { dir, suffix, rootDn, rootPassword, bindDn, throwaway } = settings;
  return `# Written by test-support/slapd.ts on every start.
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include "${hsaSchema}"
pidfile "${join(dir, 'slapd.pid')}"
argsfile "${join(dir, 'slapd.args')}"
modulepath /usr/lib/ldap
moduleload back_mdb

database mdb
maxsize 4294967296
suffix "${suffix}"
rootdn "${rootDn}"
rootpw ${sshaHash(rootPassword)}
directory "${join(dir, 'db')}"
${throwaway ? 'dbnosync' : ''}
index objectClass eq
index hsaIdentity eq
# The sync reads the whole tree in pages: no size or time limit for its account.
limits dn.exact="${bindDn}" size=unlimited size.pr=unlimited size.prtotal=unlimited time=unlimited
access to attrs=userPassword by anonymous auth by * none
access to * by dn.exact="${bindDn}" read by * none
`;
}

const suffixObjectClasses: Record<string, string[]> = {
  c: ['country'],
  o: ['organization'],
  dc: ['dcObject', 'organization'],
};

function suffixEntryLdif(suffix: string): string {
  const [attribute = '', value = ''] = splitDn(suffix).rdn.split('=');
  const objectClass = suffixObjectClasses[attribute.toLowerCase()];
  if (!objectClass) throw new Error(`Suffix ${suffix}: its first RDN must be c=, o= or dc=`);
  const attributes: LdifAttributes = { objectClass, [attribute]: value };
  if (attribute.toLowerCase() === 'dc') attributes.o = value;
  return entryLdif(suffix, attributes);
}

function syncAccountLdif(bindDn: string, password: string): string {
  return entryLdif(bindDn, {
    objectClass: ['organizationalRole', 'simpleSecurityObject'],
    cn: 'siths-desk',
    description: 'siths-desk directory sync (read only)',
    userPassword: sshaHash(password),
  });
}

/** `{SSHA}`, which slapd checks a simple bind against: SHA-1 over password and salt, then the salt. */
function sshaHash(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

async function bindsAs(url: string, dn: string, password: string): Promise<boolean> {
  const client = new Client({ url, timeout: 1_000, connectTimeout: 1_000 });
  try {
    await client.bind(dn, password);
    return true;
  } catch {
    return false;
  } finally {
    await client.unbind().catch(() => {});
  }
}

/** Runs one of OpenLDAP's tools, the LDIF on its standard input; fails with what it wrote to stderr. */
function runTool(command: string, args: string[], input?: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`${command} failed (exit code ${code}): ${stderr.trim()}`));
    });
    child.stdin.end(input ?? '');
  });
}
