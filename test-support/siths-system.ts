import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from '../app/auth/password.server';
import { cardExists } from '../card-agent/virtual-card/card-state';
import { openDatabase } from '../db/connection';
import { defaultDemoAgentToken, demoCards, demoStaffCards, seedDemoData } from '../db/seed';
import { deriveCardSecrets } from '../server/secrets/card-secrets';
import { loadMasterKey } from '../server/secrets/master-key';
import { directoryEnvironment, firstDemoDirectorySync, startDemoDirectory } from './demo-directory';
import {
  createVirtualCard,
  insertVirtualCard,
  REPO_ROOT,
  runCardCli,
  startPcscd,
  type VirtualCardProcess,
  type VpcdSlot,
  vpcdReaderName,
  waitForCard,
} from './pcscd';
import { personaliseVirtualCards } from './personalise-virtual-card';
import { type ManagedProcess, startProcess, waitForHttpOk } from './processes';
import type { Slapd } from './slapd';
import { type SmtpCatcher, startSmtpCatcher } from './smtp-catcher';

/** The PIN of every demo card; a reserve card's PIN is the security code from its envelope. */
export const demoCardPin = '123456';

const demoVirtualCards: Array<{ serial: string; kind: 'ordinary' | 'reserve'; locked?: boolean }> = [
  { serial: demoCards.lockedOrdinary, kind: 'ordinary', locked: true },
  { serial: demoCards.activeOrdinary, kind: 'ordinary' },
  { serial: demoCards.reserveNotActivated, kind: 'reserve' },
  { serial: demoCards.reserveNoOrder, kind: 'reserve' },
  ...Object.values(demoStaffCards).map((serial) => ({ serial, kind: 'ordinary' as const })),
];

export interface SithsSystemOptions {
  /** Holds the database, the dev master key and the virtual cards' state files. */
  dataDir: string;
  logDir: string;
  port: number;
  host?: string;
  /** Cards put into vpcd's readers at start. */
  insertedCards: Array<{ serial: string; slot: VpcdSlot }>;
  /** Use a pcscd that is already running (the demo does; tests want their own). */
  reusePcscd?: boolean;
  /** How long to wait for another suite's pcscd to stop first. */
  waitForPcscdMs?: number;
  /** Password logins per address and minute; tests log in far more often than people do. */
  loginRateLimitPerMinute?: number;
  /** Where the agent's own "SITHS eID-app" page listens on 127.0.0.1. */
  agentUiPort: number;
  /** Start an SMTP catcher on loopback that the server sends its mail to; on unless false. */
  catchMail?: boolean;
  /** Where the catcher also writes each mail, as text and as the raw message. */
  mailDir?: string;
  /** The demo directory's LDAP port; a free one when left out. */
  directoryPort?: number;
}

export interface SithsSystem {
  baseUrl: string;
  databasePath: string;
  cardStateDir: string;
  insertedCards: VirtualCardProcess[];
  server: ManagedProcess;
  agent: ManagedProcess;
  /** The agent's own page, with its access key. */
  agentUiUrl: string;
  /** The SMTP server the server's mail goes to; null when started with `catchMail: false`. */
  mailCatcher: SmtpCatcher | null;
  /** The region's HSA directory (slapd) the server syncs from. */
  directory: Slapd;
  /** Stops pcscd, so every reader disappears as if unplugged. */
  unplugReaders(): Promise<void>;
  /** Starts pcscd again and waits until the inserted cards are back in their readers. */
  plugReadersBack(): Promise<void>;
  /** Takes the card out of reader `slot` (if any) and inserts the virtual card `serial`; stop() removes it. */
  replaceCard(slot: VpcdSlot, serial: string): Promise<void>;
  /** Kills the agent (SIGKILL, as a crash would) and starts a new one; returns when it is up. */
  restartAgent(options?: { crash?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Migrates the database `databaseUrl` names (SQLite path or PostgreSQL URL) and seeds the demo region: with
 * a directory, its units and persons come from the directory's first sync and the seed adds the rest.
 */
export async function seedDemoDatabase(
  databaseUrl: string,
  directory?: Slapd,
  now = new Date(),
): Promise<void> {
  const db = await openDatabase(databaseUrl);
  try {
    if (directory) await firstDemoDirectorySync(db, directory, now);
    await seedDemoData(db, {
      hashPassword,
      demoAgentToken: defaultDemoAgentToken,
      now,
      peopleFromDirectory: directory !== undefined,
    });
  } finally {
    await db.close();
  }
}

/** The master key the demo's server runs with, kept in `dataDir` so cards made for it keep working. */
export function demoMasterKey(dataDir: string): Buffer {
  return loadMasterKey({ env: process.env, production: false, devKeyFile: join(dataDir, 'master-key') });
}

/**
 * The virtual demo cards in `cardStateDir` (made once, with secrets derived from the master key), each
 * personalised for the seeded database: certificates on the card, registered as eIDs.
 */
export async function prepareDemoCards(options: {
  cardStateDir: string;
  databaseUrl: string;
  masterKey: Buffer;
}): Promise<void> {
  const { cardStateDir, masterKey } = options;
  for (const card of demoVirtualCards) {
    if (cardExists(cardStateDir, card.serial as never)) continue;
    await createVirtualCard({
      stateDir: cardStateDir,
      serial: card.serial,
      kind: card.kind,
      pin: demoCardPin,
      ...deriveCardSecrets(masterKey, card.serial),
    });
    if (card.locked) {
      const { code, output } = await runCardCli([
        'lock',
        '--serial',
        card.serial,
        '--state-dir',
        cardStateDir,
      ]);
      if (code !== 0) throw new Error(`locking demo card failed: ${output}`);
    }
  }
  await personaliseVirtualCards({
    databasePath: options.databaseUrl,
    masterKey,
    stateDir: cardStateDir,
    serials: demoVirtualCards.map((card) => card.serial),
  });
}

export interface CardReaders {
  insertedCards: VirtualCardProcess[];
  /** Stops pcscd, so every reader disappears as if unplugged. */
  unplug(): Promise<void>;
  /** Starts pcscd again and waits until the inserted cards are back in their readers. */
  plugBack(): Promise<void>;
  /** Takes the card out of the slot's reader (if one is in it) and puts the card `serial` in. */
  replaceCard(slot: VpcdSlot, serial: string): Promise<void>;
  /** Takes the cards out and stops pcscd. */
  stop(): Promise<void>;
}

/** pcscd with vpcd's readers and the given virtual cards inserted, each a process of its own. */
export async function startCardReaders(options: {
  cardStateDir: string;
  logDir: string;
  insertedCards: Array<{ serial: string; slot: VpcdSlot }>;
  reusePcscd?: boolean;
  waitForPcscdMs?: number;
}): Promise<CardReaders> {
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    let pcscd = await startPcscd({
      reuseRunning: options.reusePcscd ?? false,
      waitForFreeMs: options.waitForPcscdMs ?? 0,
    });
    stops.push(() => pcscd.stop());
    const insertedCards: VirtualCardProcess[] = [];
    const insert = async (card: { serial: string; slot: VpcdSlot }) => {
      const inserted = await insertVirtualCard({
        stateDir: options.cardStateDir,
        serial: card.serial,
        slot: card.slot,
        logFile: join(options.logDir, `card-${card.serial}.log`),
      });
      insertedCards.push(inserted);
      stops.push(() => inserted.remove());
    };
    for (const card of options.insertedCards) await insert(card);
    return {
      insertedCards,
      async replaceCard(slot, serial) {
        const index = insertedCards.findIndex((card) => card.readerName === vpcdReaderName(slot));
        if (index >= 0) {
          await insertedCards[index]!.remove();
          insertedCards.splice(index, 1);
        }
        await insert({ serial, slot });
      },
      async unplug() {
        await pcscd.stop();
      },
      async plugBack() {
        pcscd = await startPcscd();
        // The virtual cards reconnect to vpcd by themselves once it listens again.
        for (const card of insertedCards) await waitForCard(card.readerName, true, 15_000);
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** What the demo's server process is told: production mode with the demo accounts' passwords and device tokens on, the demo master key, where the agent listens. */
export function demoServerEnvironment(options: {
  host: string;
  port: number;
  databaseUrl: string;
  masterKey: Buffer;
  agentUiPort: number;
  loginRateLimitPerMinute?: number | undefined;
  mailCatcher?: SmtpCatcher | null;
  directory?: Slapd;
}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    // The demo staff's passwords work in the demo and in tests; staff log in with their demo cards too.
    DEMO_PASSWORD_LOGINS: 'true',
    // The demo's agent, and most tests' agents, connect with a device token instead of enrolling.
    AGENT_DEVICE_TOKENS: 'accept',
    HOST: options.host,
    PORT: String(options.port),
    DATABASE_URL: options.databaseUrl,
    SITHS_MASTER_KEY: options.masterKey.toString('base64'),
    SITHS_AGENT_LOCAL_URL: `http://127.0.0.1:${options.agentUiPort}`,
    // Tests start SITHS eID logins from one address far more often than people do.
    ...(options.loginRateLimitPerMinute
      ? {
          LOGIN_RATE_LIMIT_PER_MINUTE: String(options.loginRateLimitPerMinute),
          ANONYMOUS_STARTS_PER_MINUTE: String(options.loginRateLimitPerMinute),
        }
      : {}),
    ...(options.mailCatcher
      ? { SMTP_URL: options.mailCatcher.url, MAIL_ENVIRONMENT_LABEL: 'TEST-miljö' }
      : {}),
    ...(options.directory ? directoryEnvironment(options.directory) : {}),
  };
}

/** The production server (`server/main.ts`) as its own process; stop() ends it by its pid. */
export function startServerProcess(options: {
  name: string;
  env: Record<string, string>;
  logFile: string;
}): ManagedProcess {
  return startProcess({
    name: options.name,
    command: process.execPath,
    args: ['--import', 'tsx', 'server/main.ts'],
    cwd: REPO_ROOT,
    env: options.env,
    logFile: options.logFile,
  });
}

/**
 * The whole system as a user meets it: seeded database, pcscd with vpcd, virtual cards in the readers,
 * the production server and one card-agent. Every process is stopped by its own pid in stop().
 */
export async function startSithsSystem(options: SithsSystemOptions): Promise<SithsSystem> {
  const host = options.host ?? '127.0.0.1';
  const baseUrl = `http://${host}:${options.port}`;
  const databasePath = join(options.dataDir, 'siths-desk.sqlite');
  const cardStateDir = join(options.dataDir, 'cards');
  mkdirSync(options.logDir, { recursive: true, mode: 0o700 });
  mkdirSync(cardStateDir, { recursive: true });
  const now = new Date();
  const directory = await startDemoDirectory({
    dataDir: options.dataDir,
    ...(options.directoryPort === undefined ? {} : { port: options.directoryPort }),
    now,
  });
  await seedDemoDatabase(databasePath, directory, now).catch(async (error: unknown) => {
    await directory.stop();
    throw error;
  });
  const masterKey = demoMasterKey(options.dataDir);
  await prepareDemoCards({ cardStateDir, databaseUrl: databasePath, masterKey });

  const stops: Array<() => Promise<void>> = [() => directory.stop()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    const readers = await startCardReaders({
      cardStateDir,
      logDir: options.logDir,
      insertedCards: options.insertedCards,
      ...(options.reusePcscd === undefined ? {} : { reusePcscd: options.reusePcscd }),
      ...(options.waitForPcscdMs === undefined ? {} : { waitForPcscdMs: options.waitForPcscdMs }),
    });
    stops.push(readers.stop);
    const mailCatcher =
      options.catchMail === false
        ? null
        : await startSmtpCatcher(options.mailDir ? { mailDir: options.mailDir } : {});
    if (mailCatcher) stops.push(() => mailCatcher.stop());
    const server = startServerProcess({
      name: 'server',
      env: demoServerEnvironment({
        host,
        port: options.port,
        databaseUrl: databasePath,
        masterKey,
        agentUiPort: options.agentUiPort,
        loginRateLimitPerMinute: options.loginRateLimitPerMinute,
        mailCatcher,
        directory,
      }),
      logFile: join(options.logDir, 'server.log'),
    });
    stops.push(server.stop);
    await waitForHttpOk(`${baseUrl}/healthz`, 30_000, server);
    const agentUiKey = randomBytes(16).toString('hex');
    const agentUiUrl = `http://127.0.0.1:${options.agentUiPort}/?key=${agentUiKey}`;
    const startAgent = async () =>
      (
        await startCardAgentProcess({
          serverUrl: baseUrl,
          uiPort: options.agentUiPort,
          uiKey: agentUiKey,
          logFile: join(options.logDir, 'card-agent.log'),
        })
      ).process;
    const system: SithsSystem = {
      baseUrl,
      databasePath,
      cardStateDir,
      insertedCards: readers.insertedCards,
      server,
      agent: await startAgent(),
      agentUiUrl,
      mailCatcher,
      directory,
      unplugReaders: readers.unplug,
      plugReadersBack: readers.plugBack,
      replaceCard: readers.replaceCard,
      async restartAgent({ crash = true } = {}) {
        if (crash) process.kill(system.agent.pid, 'SIGKILL');
        await system.agent.stop();
        system.agent = await startAgent();
      },
      stop: stopAll,
    };
    stops.push(() => system.agent.stop());
    return system;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * The card-agent program as its own process with the demo's device token, its own page on `uiPort` with
 * `uiKey`; resolves once the page answers.
 */
export async function startCardAgentProcess(options: {
  serverUrl: string;
  uiPort: number;
  uiKey: string;
  logFile: string;
  logLevel?: string;
  /** Another build of the agent than the repository's source (the installed package); runs in `cwd`. */
  program?: { command: string; args: string[]; cwd: string };
  /** Added to (and over) the agent's environment: another credential than the demo's token. */
  env?: Record<string, string>;
}): Promise<{ process: ManagedProcess; uiUrl: string }> {
  const agent = startProcess({
    name: 'card-agent',
    command: options.program?.command ?? process.execPath,
    args: options.program?.args ?? ['--import', 'tsx', 'card-agent/main.ts'],
    cwd: options.program?.cwd ?? REPO_ROOT,
    env: {
      SITHS_SERVER_URL: options.serverUrl,
      SITHS_AGENT_TOKEN: defaultDemoAgentToken,
      SITHS_AGENT_UI_PORT: String(options.uiPort),
      SITHS_AGENT_UI_KEY: options.uiKey,
      ...(options.logLevel ? { LOG_LEVEL: options.logLevel } : {}),
      ...options.env,
    },
    logFile: options.logFile,
  });
  const uiUrl = `http://127.0.0.1:${options.uiPort}/?key=${options.uiKey}`;
  await waitForHttpOk(uiUrl, 20_000, agent);
  return { process: agent, uiUrl };
}
