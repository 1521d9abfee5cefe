/**
 * The fault sweep's laboratory: the real server (without Remix) on a copy of a seeded SQLite file, the real
 * card-agent, and the demo's virtual cards in vpcd's reader through pcscd. Each run starts from the same
 * database and card state, so a fault at APDU i is tested on exactly the card and data the clean run saw.
 * What "the card and the database agree" means is written down once, in cardAndDatabaseAgree.
 */

import { spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { and, eq, like } from 'drizzle-orm';
import { pino } from 'pino';
import { type Agent, startAgent } from '../../card-agent/agent';
import type { ReaderSource } from '../../card-agent/jobs/card-access';
import { until } from '../../card-agent/jobs/local-ui-client';
import type { PinPrompt } from '../../card-agent/jobs/pin-prompts';
import { ReaderMonitor, type ReaderState } from '../../card-agent/pcsc/reader-monitor';
import { SLOT_CERTIFICATE_OBJECT, TAG } from '../../card-agent/piv/piv-constants';
import { findTlv } from '../../card-agent/piv/tlv';
import { autoStartWithServer } from '../../card-agent/server-link';
import { CardInReader } from '../../card-agent/virtual-card/card-process';
import { type CardState, loadCardState, saveCardState } from '../../card-agent/virtual-card/card-state';
import { createCardState, objectKey } from '../../card-agent/virtual-card/create-card';
import { createAuthOrder } from '../../db/auth-orders';
import { type AppDatabase, openDatabase } from '../../db/connection';
import { normaliseCertificateSerial } from '../../db/eids';
import { first } from '../../db/engine';
import { findJob, findLatestJobOfAuthOrder, type JobRow } from '../../db/jobs';
import { auditEvents, authOrders, cards as cardRows, eids as eidRows, orders } from '../../db/schema';
import { defaultDemoAgentToken, demoCards, seedDemoData } from '../../db/seed';
import { type VpcdSlot, vpcdReaderName } from '../../test-support/pcscd';
import { personaliseVirtualCard } from '../../test-support/personalise-virtual-card';
import { createPki } from '../pki/create-pki';
import { testMasterKey } from '../pki/test-fixtures';
import { deriveCardSecrets } from '../secrets/card-secrets';
import { startTestServer, type TestServer } from '../testing/test-server';

export const sweptKinds = ['authenticate', 'unlock', 'activate'] as const;
export type SweptKind = (typeof sweptKinds)[number];

/** The demo card each kind runs on, as the database has it: active, locked (PIN blocked), reserve to activate. */
const cardOfKind: Record<SweptKind, { serial: string; kind: 'ordinary' | 'reserve'; blocked?: boolean }> = {
  authenticate: { serial: demoCards.activeOrdinary, kind: 'ordinary' },
  unlock: { serial: demoCards.lockedOrdinary, kind: 'ordinary', blocked: true },
  activate: { serial: demoCards.reserveNotActivated, kind: 'reserve' },
};

export const CARD_PIN = '123456';
export const NEW_PIN = '24681357';
/** Short, so a job that waits for something that will not come fails within the sweep's time. */
export const labJobTimeouts = { stepMs: 5_000, userPromptMs: 5_000, reconnectGraceMs: 2_000 };

export const silent = process.env.LAB_LOG
  ? pino({ level: 'debug' }, pino.destination({ dest: process.env.LAB_LOG, sync: true }))
  : pino({ level: 'silent' });

export interface LabCard {
  serial: string;
  cardId: string;
  holderPersonId: string;
  /** The card as it comes from the shelf for this kind's job. */
  state: CardState;
}

export interface Lab {
  dir: string;
  templateDatabase: string;
  cards: Record<SweptKind, LabCard>;
  /**
   * The one PC/SC reader watch of this process, for every world's agent and every wait for a card, closed
   * only by closeLab when no card is in a reader. Closing a pcsclite context joins its readers' status
   * threads on this thread; while pcscd waits for an answer from a virtual card of this same process (the
   * other lane's, mid-job), that join never returns: the sweep hung that way (seen with gdb).
   */
  readers: ReaderMonitor;
}

/** Seeds the template database once and personalises the three cards against it. */
export async function prepareLab(dir: string): Promise<Lab> {
  mkdirSync(dir, { recursive: true });
  const templateDatabase = join(dir, 'template.sqlite');
  const db = await openDatabase(templateDatabase);
  try {
    await seedDemoData(db, { hashPassword: async (password) => password });
    const pki = createPki({ db, masterKey: testMasterKey });
    const cards = {} as Record<SweptKind, LabCard>;
    for (const kind of sweptKinds) {
      const { serial, kind: cardKind, blocked } = cardOfKind[kind];
      const secrets = deriveCardSecrets(testMasterKey, serial);
      const state = createCardState({
        serial,
        kind: cardKind,
        pin: CARD_PIN,
        puk: secrets.puk,
        managementKey: { algorithm: 'AES128', key: Buffer.from(secrets.managementKey, 'hex') },
      });
      if (blocked) state.pin.triesLeft = 0;
      saveCardState(dir, state);
      await personaliseVirtualCard({ db, pki, stateDir: dir, serial });
      const row = first(
        await db
          .select({ id: cardRows.id, holder: cardRows.holderPersonId })
          .from(cardRows)
          .where(eq(cardRows.serial, serial))
          .limit(1),
      )!;
      cards[kind] = {
        serial,
        cardId: row.id,
        holderPersonId: row.holder!,
        state: loadCardState(dir, serial),
      };
    }
    const readers = new ReaderMonitor({ retryMs: 200, logger: silent });
    readers.on('error', () => {});
    readers.start();
    return { dir, templateDatabase, cards, readers };
  } finally {
    await db.close();
  }
}

/** Stops the lab's reader watch: after the last card has left its reader. */
export function closeLab(lab: Lab | undefined): void {
  lab?.readers.stop();
}

/** Until pcsclite, through the lab's watch, sees a card in the reader (present) or none. */
export async function waitForLabCard(
  lab: Lab,
  readerName: string,
  present: boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const matches = () =>
    lab.readers.readers().some((reader) => reader.name === readerName && reader.cardPresent === present);
  if (matches()) return;
  await new Promise<void>((resolve, reject) => {
    const events = ['reader-added', 'card-inserted', 'card-removed'] as const;
    const check = () => {
      if (!matches()) return;
      finish();
      resolve();
    };
    const timer = setTimeout(() => {
      finish();
      reject(
        new Error(`"${readerName}" ${present ? 'got no card' : 'still holds a card'} within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      for (const event of events) lab.readers.off(event, check);
    };
    for (const event of events) lab.readers.on(event, check);
  });
}

/**
 * One reader of vpcd and what is in it, with its card state directory, server and agent: a user at a
 * computer. The sweep runs one lane at a time (see Lab.readers for why not two in one process).
 */
export interface Lane {
  slot: VpcdSlot;
  stateDir: string;
  lab: Lab;
}

export function laneOf(lab: Lab, slot: VpcdSlot): Lane {
  const stateDir = join(lab.dir, `lane-${slot}`);
  mkdirSync(stateDir, { recursive: true });
  return { slot, stateDir, lab };
}

/** The card in the lane's reader, in this process, so the sweep can arm faults and restore its state. */
export async function insertLabCard(lane: Lane, card: LabCard): Promise<CardInReader> {
  saveCardState(lane.stateDir, card.state);
  const reader = new CardInReader({
    stateDir: lane.stateDir,
    serial: card.serial as never,
    slot: lane.slot,
    protocol: 'T1',
    logger: silent,
  });
  reader.restore(card.state);
  reader.insert();
  await waitForLabCard(lane.lab, reader.readerName, true);
  return reader;
}

export interface World {
  server: TestServer;
  agent: Agent;
  db: AppDatabase;
  stop(): Promise<void>;
}

let runs = 0;

/**
 * The lab's readers with only one of them in sight: an agent of one lane never touches the other's card.
 * Stopping it takes its listeners off the lab's watch, which goes on.
 */
export function onlyReader(monitor: ReaderMonitor, name: string): ReaderSource {
  const wrapped = new Map<string, Map<(state: ReaderState) => void, (state: ReaderState) => void>>();
  const ofEvent = (event: string) => wrapped.get(event) ?? wrapped.set(event, new Map()).get(event)!;
  return {
    readers: () => monitor.readers().filter((reader) => reader.name === name),
    on(event, listener) {
      const filtered = (state: ReaderState) => {
        if (state.name === name) listener(state);
      };
      ofEvent(event).set(listener, filtered);
      return monitor.on(event, filtered);
    },
    off(event, listener) {
      const filtered = ofEvent(event).get(listener);
      ofEvent(event).delete(listener);
      return filtered ? monitor.off(event, filtered) : monitor;
    },
    start: () => monitor.start(),
    stop: () => {
      for (const [event, listeners] of wrapped)
        for (const filtered of listeners.values())
          monitor.off(event as Parameters<ReaderSource['off']>[0], filtered);
      wrapped.clear();
    },
  };
}

/** A fresh server on a copy of the template database and a fresh agent connected to it. */
export async function startWorld(
  lab: Lab,
  options: { databasePath?: string; slot?: VpcdSlot } = {},
): Promise<World> {
  const databasePath = options.databasePath ?? join(lab.dir, `run-${++runs}.sqlite`);
  if (!options.databasePath) copyFileSync(lab.templateDatabase, databasePath);
  const server = await startTestServer({ databaseUrl: databasePath, jobTimeouts: labJobTimeouts });
  const agent = await startLabAgent(lab, server.url, options.slot ?? 0);
  return {
    server,
    agent,
    db: server.db,
    async stop() {
      await agent.stop();
      await server.stop();
    },
  };
}

/** The agent in this process, seeing only the lane's reader, with a user who answers every prompt. */
export async function startLabAgent(lab: Lab, serverUrl: string, slot: VpcdSlot): Promise<Agent> {
  const agent = await startAgent({
    serverUrl,
    deviceToken: defaultDemoAgentToken,
    logger: silent,
    uiPort: 0,
    readers: onlyReader(lab.readers, vpcdReaderName(slot)),
  });
  answerPromptsOf(agent);
  await until(() => agent.socket.connected || undefined);
  return agent;
}

/** The user at the keyboard: types the card's PIN, or the new PIN twice, whenever asked. */
export function answerPromptsOf(agent: Pick<Agent, 'prompts'>): void {
  agent.prompts.on('changed', (prompt: PinPrompt | undefined) => {
    if (!prompt) return;
    setImmediate(() => {
      if (prompt.kind === 'pin') agent.prompts.submit(prompt.promptId, CARD_PIN);
      else agent.prompts.submitNewPin(prompt.promptId, NEW_PIN, NEW_PIN);
    });
  });
}

const purposeOf = { authenticate: 'login', unlock: 'unlock', activate: 'activate' } as const;

/** What Mina sidor does when the user presses the button: an order with a start token for the agent. */
export function startOrder(db: AppDatabase, kind: SweptKind, card: LabCard) {
  return createAuthOrder(
    db,
    {
      purpose: purposeOf[kind],
      method: 'card',
      expectedPersonId: kind === 'authenticate' ? null : card.holderPersonId,
      cardId: kind === 'authenticate' ? null : card.cardId,
      ttlMs: 15 * 60_000,
    },
    new Date(),
  );
}

const finished = new Set(['succeeded', 'failed', 'cancelled']);

/** Starts the kind's job on the world's agent and waits until the server has it finished. */
export async function runJob(
  world: Pick<World, 'agent' | 'db'>,
  kind: SweptKind,
  card: LabCard,
  readerName: string,
): Promise<{ job: JobRow; orderId: string; ms: number }> {
  const started = Date.now();
  await until(() =>
    world.agent.view.current().readers.find((reader) => reader.name === readerName && reader.cardPresent),
  );
  const order = await startOrder(world.db, kind, card);
  const ack = await autoStartWithServer(world.agent.socket, order.autoStartToken!, {
    timeoutMs: 10_000,
    logger: silent,
  });
  // An agent that cannot read the card refuses the offer: the autostart answer says so, the job is failed.
  const job = await until(async () => {
    const row = ack.ok
      ? await findJob(world.db, ack.jobId)
      : await findLatestJobOfAuthOrder(world.db, order.orderId);
    return row && finished.has(row.state) ? row : undefined;
  }, 30_000);
  return { job, orderId: order.orderId, ms: Date.now() - started };
}

const slotOfPurpose = {
  authentication: '9a',
  signature: '9c',
  card_authentication: '9e',
  transport: '9d',
} as const;

export function certificateOnCard(state: CardState, slot: '9a' | '9c' | '9d' | '9e') {
  const object = state.objects[objectKey(SLOT_CERTIFICATE_OBJECT[slot])];
  const der = object ? findTlv(Buffer.from(object, 'base64'), TAG.CERTIFICATE) : undefined;
  return der && der.length > 0 ? new X509Certificate(der) : undefined;
}

export interface Agreement {
  cardState: string;
  pinTriesLeft: number;
  activeEids: number;
  problems: string[];
}

/**
 * The card and the database agree when: every active eID the database has for the card is on the card, in
 * its slot, with the certificate's key in that slot; a card the database has as active or locked holds no
 * certificate in 9A/9C/9E that is not one of its active eIDs; the database has the card locked exactly when
 * its PIN is blocked; and the transport key (9D) of a reserve card not yet active is still the one its
 * transport eID certifies.
 */
export async function cardAndDatabaseAgree(
  db: AppDatabase,
  card: LabCard,
  state: CardState,
): Promise<Agreement> {
  const row = first(
    await db.select({ state: cardRows.state }).from(cardRows).where(eq(cardRows.id, card.cardId)).limit(1),
  )!;
  const eids = await db
    .select({ purpose: eidRows.purpose, serial: eidRows.certificateSerial })
    .from(eidRows)
    .where(and(eq(eidRows.cardId, card.cardId), eq(eidRows.state, 'active')));
  const problems: string[] = [];
  for (const eid of eids) {
    const slot = slotOfPurpose[eid.purpose];
    const certificate = certificateOnCard(state, slot);
    if (!certificate || normaliseCertificateSerial(certificate.serialNumber) !== eid.serial) {
      problems.push(`active ${eid.purpose} eID is not the certificate in ${slot}`);
      continue;
    }
    const key = state.keys[slot];
    if (!key || !publicKeyOfStored(key.privateKey).equals(certificate.publicKey))
      problems.push(`the key in ${slot} is not the one its eID certifies`);
  }
  if (row.state === 'active' || row.state === 'locked') {
    for (const slot of ['9a', '9c', '9e'] as const) {
      const certificate = certificateOnCard(state, slot);
      const serial = certificate && normaliseCertificateSerial(certificate.serialNumber);
      if (!certificate || !eids.some((eid) => eid.serial === serial))
        problems.push(`an ${row.state} card holds no registered eID in ${slot}`);
    }
  }
  if ((row.state === 'locked') !== (state.pin.triesLeft === 0))
    problems.push(`database says ${row.state}, the card has ${state.pin.triesLeft} PIN tries left`);
  if (row.state === 'assigned' && !eids.some((eid) => eid.purpose === 'transport'))
    problems.push('a reserve card to activate lost its transport eID');
  return { cardState: row.state, pinTriesLeft: state.pin.triesLeft, activeEids: eids.length, problems };
}

function publicKeyOfStored(privateKeyBase64: string) {
  return createPublicKey(
    createPrivateKey({ key: Buffer.from(privateKeyBase64, 'base64'), format: 'der', type: 'pkcs8' }),
  );
}

export interface AuditCounts {
  [actionOutcome: string]: number;
}

/** Audit rows about this card or its jobs, counted by "action:outcome". */
export async function auditOfCard(db: AppDatabase, card: LabCard): Promise<AuditCounts> {
  const rows = await db
    .select({
      action: auditEvents.action,
      outcome: auditEvents.outcome,
      objectId: auditEvents.objectId,
      detail: auditEvents.detail,
    })
    .from(auditEvents);
  const counts: AuditCounts = {};
  for (const { action, outcome, objectId, detail } of rows) {
    if (objectId !== card.cardId && detail?.cardSerial !== card.serial) continue;
    counts[`${action}:${outcome}`] = (counts[`${action}:${outcome}`] ?? 0) + 1;
  }
  return counts;
}

export async function authOrderState(db: AppDatabase, orderId: string): Promise<string> {
  return first(
    await db.select({ state: authOrders.state }).from(authOrders).where(eq(authOrders.id, orderId)).limit(1),
  )!.state;
}

export async function eidOrderState(db: AppDatabase, card: LabCard): Promise<string | undefined> {
  return first(
    await db
      .select({ state: orders.state })
      .from(orders)
      .where(and(eq(orders.cardId, card.cardId), like(orders.type, 'reserve_card%')))
      .limit(1),
  )?.state;
}

/**
 * A watchdog in a process of its own that kills this one when its event loop stops turning for
 * `stuckMs`: a pcsclite close that deadlocks against a virtual card of this process (see Lab.readers; a
 * job connection still closes its own context) then fails the suite with a reason instead of hanging
 * the whole test run. Returns how to stop it.
 */
export function startDeadlockWatchdog(what: string, stuckMs = 90_000): () => void {
  const script = `
    let last = Date.now();
    process.on('message', () => { last = Date.now(); });
    process.on('disconnect', () => process.exit(0));
    setInterval(() => {
      if (Date.now() - last < ${stuckMs}) return;
      console.error(${JSON.stringify(
        `${what}: the test process did not turn its event loop for ${stuckMs / 1000} s (a pcsclite close ` +
          'deadlocked against a virtual card of the same process); killing it so the run goes on',
      )});
      process.kill(${process.pid}, 'SIGKILL');
      process.exit(1);
    }, 1000);`;
  const watchdog = spawn(process.execPath, ['-e', script], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const beat = setInterval(() => watchdog.connected && watchdog.send('beat'), 1_000);
  beat.unref();
  watchdog.unref();
  watchdog.channel?.unref();
  return () => {
    clearInterval(beat);
    if (watchdog.connected) watchdog.disconnect();
  };
}
