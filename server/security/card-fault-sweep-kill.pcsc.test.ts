/**
 * An activation cannot be left half-done by a crash either: the agent is killed (SIGKILL) as the job reaches
 * each of its steps, and then, separately, the server is (as its own process on an SQLite file, restarted on
 * the same file and port). After each kill the job ends with a clear code, the card and the database agree,
 * and a new attempt succeeds: the activation again, or, when the kill came after the server had committed
 * it, a login with the activated card.
 */
import { copyFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../card-agent/agent';
import { promptOverHttp, stateOverHttp, submitOverHttp, until } from '../../card-agent/jobs/local-ui-client';
import { autoStartWithServer } from '../../card-agent/server-link';
import type { CardInReader } from '../../card-agent/virtual-card/card-process';
import { TestRig } from '../../card-agent/virtual-card/test-rig';
import { type AppDatabase, openDatabase } from '../../db/connection';
import { findJob, type JobRow } from '../../db/jobs';
import { jobSteps as jobStepRows } from '../../db/schema';
import { jobSteps } from '../../protocol/jobs';
import { REPO_ROOT } from '../../test-support/pcscd';
import { type ManagedProcess, startProcess, waitForHttpOk } from '../../test-support/processes';
import { startCardAgentProcess } from '../../test-support/siths-system';
import { startTestServer } from '../testing/test-server';
import {
  auditOfCard,
  authOrderState,
  CARD_PIN,
  cardAndDatabaseAgree,
  closeLab,
  eidOrderState,
  insertLabCard,
  type Lab,
  labJobTimeouts,
  laneOf,
  prepareLab,
  runJob,
  silent,
  startLabAgent,
  startOrder,
} from './card-fault-lab';

const rig = new TestRig();
let lab: Lab;
let reader: CardInReader;
/**
 * Each step of an activation, as the server records it started, and the moment the server has committed the
 * activation (the order fulfilled) but the agent may not have heard: the kill lands there.
 */
const killPoints = [...jobSteps.activate, 'committed'] as const;
const finished = new Set(['succeeded', 'failed', 'cancelled']);
/** A job ended by a crash must say so; anything else it may end with is a card or refusal code. */
const clearCodes = ['agent_disconnected', 'card_removed', 'card_error', 'step_timeout'];

beforeAll(async () => {
  await rig.start({ waitForFreeMs: 240_000 });
  lab = await prepareLab(join(rig.stateDir, 'lab'));
  reader = await insertLabCard(laneOf(lab, 0), lab.cards.activate);
}, 300_000);

afterAll(async () => {
  reader?.stop();
  closeLab(lab);
  await rig.stop();
});

const node = (script: string) => ['--import', 'tsx', join(REPO_ROOT, script)];
let databases = 0;
const freshDatabase = () => {
  const path = join(lab.dir, `kill-${++databases}.sqlite`);
  copyFileSync(lab.templateDatabase, path);
  return path;
};

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** The step rows the server has for a job, in order. */
const stepRows = (db: AppDatabase, jobId: string) =>
  db
    .select({ step: jobStepRows.step, status: jobStepRows.outcome })
    .from(jobStepRows)
    .where(eq(jobStepRows.jobId, jobId))
    .orderBy(asc(jobStepRows.sequence));

const reachedPoint = async (db: AppDatabase, jobId: string, point: string) =>
  point === 'committed'
    ? (await eidOrderState(db, lab.cards.activate)) === 'fulfilled'
    : (await stepRows(db, jobId)).some((row) => row.step === point);

const waitForPoint = (db: AppDatabase, jobId: () => string | undefined, point: string) =>
  until(async () => {
    const id = jobId();
    return id && (await reachedPoint(db, id, point)) ? true : undefined;
  }, 30_000);

const waitForEnd = (db: AppDatabase, jobId: string): Promise<JobRow> =>
  until(async () => {
    const row = await findJob(db, jobId);
    return row && finished.has(row.state) ? row : undefined;
  }, 30_000);

/** What the card and the database must show after the crash, and which attempt must now succeed. */
async function checkAfterCrash(db: AppDatabase, what: string): Promise<'activate' | 'authenticate'> {
  const card = lab.cards.activate;
  const agreement = await cardAndDatabaseAgree(db, card, reader.applet.state);
  expect(agreement.problems, what).toEqual([]);
  expect(reader.applet.state.keys['9d'], what).toEqual(card.state.keys['9d']);
  const activated = agreement.cardState === 'active';
  const audit = await auditOfCard(db, card);
  expect(await eidOrderState(db, card), what).toBe(activated ? 'fulfilled' : 'ready');
  expect(audit['reserve_card_activate:success'], what).toBe(activated ? 1 : undefined);
  return activated ? 'authenticate' : 'activate';
}

interface KillTally {
  step: string;
  reached: string;
  code: string | null;
  retriedWith: string;
}

const agentKills: KillTally[] = [];
const serverKills: KillTally[] = [];

describe('activation with the agent killed at each step', () => {
  const uiKey = 'fault-sweep-agent-ui-key-0123456789';
  let uiPort: number;

  beforeAll(async () => {
    uiPort = await freePort();
  });

  /** The real agent program as its own process, with its local page on a known port and key. */
  async function startAgentProcess(serverUrl: string): Promise<{ process: ManagedProcess; ui: Agent['ui'] }> {
    const { process: agent, uiUrl: url } = await startCardAgentProcess({
      serverUrl,
      uiPort,
      uiKey,
      logFile: join(lab.dir, 'kill-agent.log'),
      logLevel: 'warn',
    });
    const ui = { url, key: uiKey, port: uiPort, close: async () => {} };
    await until(async () =>
      (await stateOverHttp(ui)).readers.find((r) => r.name === reader.readerName && r.cardPresent),
    );
    return { process: agent, ui };
  }

  /** What the Mina sidor page does: hands the start token to the agent on this computer. */
  async function autoStart(ui: Agent['ui'], serverUrl: string, token: string): Promise<string> {
    const response = await fetch(new URL('/autostart', ui.url), {
      method: 'POST',
      headers: { origin: new URL(serverUrl).origin, 'content-type': 'application/json' },
      body: JSON.stringify({ autoStartToken: token }),
    });
    const body = (await response.json()) as { jobId?: string; error?: string };
    if (!body.jobId) throw new Error(`autostart refused: ${body.error}`);
    return body.jobId;
  }

  /** Runs an attempt through the agent process, typing the PIN on its page; resolves with the job's end. */
  async function attempt(
    db: AppDatabase,
    serverUrl: string,
    ui: Agent['ui'],
    kind: 'activate' | 'authenticate',
    onJob: (jobId: string) => void = () => {},
  ) {
    const order = await startOrder(db, kind, lab.cards.activate);
    const jobId = await autoStart(ui, serverUrl, order.autoStartToken!);
    onJob(jobId);
    void promptOverHttp(ui)
      .then((prompt) => submitOverHttp(ui, prompt.promptId, CARD_PIN))
      .catch(() => {});
    return { jobId, orderId: order.orderId };
  }

  it.each(killPoints)(
    'killed at %s: the job fails clearly, card and database agree, a new agent succeeds',
    async (step) => {
      reader.restore(lab.cards.activate.state);
      const server = await startTestServer({ databaseUrl: freshDatabase(), jobTimeouts: labJobTimeouts });
      let agent = await startAgentProcess(server.url);
      try {
        let jobId: string | undefined;
        const first = attempt(server.db, server.url, agent.ui, 'activate', (id) => {
          jobId = id;
        });
        await waitForPoint(server.db, () => jobId, step);
        process.kill(agent.process.pid, 'SIGKILL');
        await agent.process.exited;
        const { orderId } = await first;
        const job = await waitForEnd(server.db, jobId!);
        const what = `agent killed at ${step}`;
        const reached = (await stepRows(server.db, jobId!)).at(-1)!;
        if (job.state === 'failed') expect(clearCodes, `${what}: ${job.errorCode}`).toContain(job.errorCode);
        const next = await checkAfterCrash(server.db, what);
        // Once the server has recorded the activation, losing the agent cannot make the job a failure.
        if (step === 'committed') expect(job.state, what).toBe('succeeded');
        if (job.state === 'succeeded') expect(next, what).toBe('authenticate');
        else
          expect(await authOrderState(server.db, orderId), what).toBe(
            next === 'activate' ? 'failed' : 'completed',
          );

        agent = await startAgentProcess(server.url);
        const again = await attempt(server.db, server.url, agent.ui, next);
        const retried = await waitForEnd(server.db, again.jobId);
        expect(retried.state, `${what}, then ${next}: ${retried.errorCode}`).toBe('succeeded');
        expect(await checkAfterCrash(server.db, `${what}, then ${next}`)).toBe('authenticate');
        agentKills.push({
          step,
          reached: `${reached.step}:${reached.status}`,
          code: job.errorCode,
          retriedWith: next,
        });
      } finally {
        await agent.process.stop();
        await server.stop();
        if (!reader.isInserted) reader.insert();
      }
    },
    90_000,
  );
});

describe('activation with the server killed at each step', () => {
  let port: number;

  beforeAll(async () => {
    port = await freePort();
  });

  async function startServerProcess(databasePath: string): Promise<ManagedProcess> {
    const server = startProcess({
      name: 'server',
      command: process.execPath,
      args: [...node('server/security/card-fault-server.ts'), databasePath, String(port)],
      cwd: REPO_ROOT,
      logFile: join(lab.dir, 'kill-server.log'),
    });
    await waitForHttpOk(`http://127.0.0.1:${port}/healthz`, 30_000, server);
    return server;
  }

  it.each(killPoints)(
    'killed at %s: restarted on the same file, the job ends clearly, a retry succeeds',
    async (step) => {
      reader.restore(lab.cards.activate.state);
      const databasePath = freshDatabase();
      let server = await startServerProcess(databasePath);
      const db = await openDatabase(databasePath);
      const agent = await startLabAgent(lab, `http://127.0.0.1:${port}`, 0);
      const what = `server killed at ${step}`;
      try {
        const order = await startOrder(db, 'activate', lab.cards.activate);
        const started = await autoStartWithServer(agent.socket, order.autoStartToken!, {
          timeoutMs: 10_000,
          logger: silent,
        });
        if (!started.ok) throw new Error(`autostart refused: ${started.code}`);
        await waitForPoint(db, () => started.jobId, step);
        process.kill(server.pid, 'SIGKILL');
        await server.exited;
        server = await startServerProcess(databasePath);
        const job = await waitForEnd(db, started.jobId);
        const reached = (await stepRows(db, started.jobId)).at(-1)!;
        if (job.state === 'failed') expect(clearCodes, `${what}: ${job.errorCode}`).toContain(job.errorCode);
        await until(() => agent.runner.runningJobId === undefined || undefined);
        const next = await checkAfterCrash(db, what);
        if (job.state === 'succeeded') expect(next, what).toBe('authenticate');
        // The order is settled by the job's end hook, just after the job's own row: wait for it to move.
        const settled = await until(async () => {
          const state = await authOrderState(db, order.orderId);
          return state === 'pending' || state === 'scanned' ? undefined : state;
        }, 10_000).catch(() => authOrderState(db, order.orderId));
        expect(settled, what).toBe(next === 'activate' ? 'failed' : 'completed');
        await until(() => agent.socket.connected || undefined);
        const retry = await runJob({ agent, db }, next, lab.cards.activate, reader.readerName);
        expect(retry.job.state, `${what}, then ${next}: ${retry.job.errorCode}`).toBe('succeeded');
        expect(await checkAfterCrash(db, `${what}, then ${next}`)).toBe('authenticate');
        serverKills.push({
          step,
          reached: `${reached.step}:${reached.status}`,
          code: job.errorCode,
          retriedWith: next,
        });
      } finally {
        await agent.stop();
        await db.close();
        await server.stop();
        if (!reader.isInserted) reader.insert();
      }
    },
    90_000,
  );
});

describe('crash points covered', () => {
  it('prints one line (run last)', () => {
    const line = (kills: KillTally[]) =>
      kills
        .map((kill) => `${kill.step}->${kill.reached} ${kill.code ?? 'ok'} then ${kill.retriedWith}`)
        .join(', ');
    console.log(
      `activation crash sweep: agent SIGKILL at ${agentKills.length} steps (${line(agentKills)}); ` +
        `server SIGKILL at ${serverKills.length} steps (${line(serverKills)})`,
    );
    expect(agentKills.length + serverKills.length).toBe(2 * killPoints.length);
  });
});
