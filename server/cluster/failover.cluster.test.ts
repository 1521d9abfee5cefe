import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCardState } from '../../card-agent/virtual-card/card-state';
import { createAuthOrder } from '../../db/auth-orders';
import { findActivationOrder } from '../../db/card-lifecycle';
import { type AppDatabase, openDatabase } from '../../db/connection';
import { demoCards, demoLogins } from '../../db/demo-fixtures';
import { findCardForCertificates } from '../../db/eids';
import { findJob, listJobSteps } from '../../db/jobs';
import { jobSteps } from '../../protocol/jobs';
import type { JobStepView, JobView } from '../../protocol/support-events';
import { supportNamespace } from '../../protocol/support-events';
import { insertVirtualCard } from '../../test-support/pcscd';
import { freePort, waitFor } from '../../test-support/processes';
import {
  type ClusterProcess,
  logInWithPassword,
  type SithsCluster,
  startSithsCluster,
} from '../../test-support/siths-cluster';
import { demoCardPin } from '../../test-support/siths-system';
import { cardAndDatabaseAgree, type LabCard } from '../security/card-fault-lab';

const support = demoLogins.find((login) => login.username === 'support')!;
const reader = 'Virtual PCD 00 01';

/**
 * The card-agent (pcscd, a virtual card) reaches three server processes through HAProxy; support watches
 * from a process of its own. The process holding the agent is killed with SIGKILL in the middle of a job.
 */
describe('a card job when the server process that drives it dies', () => {
  let cluster: SithsCluster;

  beforeAll(async () => {
    cluster = await startSithsCluster({
      processes: 3,
      cards: {
        insertedCards: [
          { serial: demoCards.reserveNotActivated, slot: 0 },
          { serial: demoCards.activeOrdinary, slot: 1 },
        ],
        agentUiPort: await freePort(),
      },
    });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  /** The process whose log says last that the agent connected to it: the one holding its connection. */
  const agentHolder = (): { process: ClusterProcess; agentSessionId: string } | undefined => {
    let latest: { process: ClusterProcess; agentSessionId: string; time: number } | undefined;
    for (const process of cluster.processes) {
      const log = readFileSync(join(cluster.logDir, `server-${process.index}.log`), 'utf8');
      for (const line of log.split('\n')) {
        if (!line.includes('"agent connected"')) continue;
        const entry = JSON.parse(line) as { time: number; agentSessionId: string };
        if (!latest || entry.time > latest.time) latest = { process, ...entry };
      }
    }
    return latest && { process: latest.process, agentSessionId: latest.agentSessionId };
  };

  const agentUi = async <T>(path: string, body?: unknown): Promise<T> => {
    const page = new URL(cluster.agent!.uiUrl);
    const key = page.searchParams.get('key')!;
    const response = await fetch(`${page.origin}${path}?key=${key}`, {
      method: body ? 'POST' : 'GET',
      headers: body ? { 'x-agent-key': key, 'content-type': 'application/json', origin: page.origin } : {},
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    expect(response.status, `${path}`).toBeLessThan(300);
    return (response.status === 204 ? undefined : await response.json()) as T;
  };

  const supportSocketOn = async (process: ClusterProcess): Promise<Socket> => {
    const cookie = await logInWithPassword(process.url, support);
    const socket = io(`${process.url}${supportNamespace}`, {
      transports: ['websocket'],
      forceNew: true,
      extraHeaders: { cookie, origin: process.url },
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return socket;
  };

  /** SIGKILLs the process holding the agent and waits until the agent is connected to another one. */
  const killAgentHolder = async () => {
    const before = agentHolder()!;
    await before.process.kill('SIGKILL');
    await waitFor(
      async () => {
        const now = agentHolder();
        return now !== undefined && now.agentSessionId !== before.agentSessionId;
      },
      20_000,
      'the agent to reconnect to another process',
    );
    const after = agentHolder()!;
    expect(after.process).not.toBe(before.process);
    return { killed: before.process, now: after };
  };

  type AgentState = { prompt?: { promptId: string } | null };
  const waitForPinPrompt = () =>
    waitFor(async () => Boolean((await agentUi<AgentState>('/api/state')).prompt), 20_000, 'the PIN prompt');
  const typePin = async () => {
    const { prompt } = await agentUi<AgentState>('/api/state');
    await agentUi('/api/pin', { promptId: prompt!.promptId, pin: demoCardPin });
  };

  it('goes on from another process: the user finishes, every step is stored and shown once, in order', async () => {
    await waitFor(async () => agentHolder() !== undefined, 20_000, 'the agent to connect');
    const first = agentHolder()!;
    const watcher = cluster.processes.find((process) => process !== first.process)!;
    const supportSocket = await supportSocketOn(watcher);
    const steps: JobStepView[] = [];
    const updates: JobView[] = [];
    supportSocket.on('job:step', (step: JobStepView) => steps.push(step));
    supportSocket.on('job:updated', (job: JobView) => updates.push(job));

    // Support on one process starts a card check on an agent held by another.
    const started = (await supportSocket.emitWithAck('support:start-card-check', {
      agentSessionId: first.agentSessionId,
      readerName: reader,
    })) as { ok: boolean; jobId: string };
    expect(started).toMatchObject({ ok: true });
    const { jobId } = started;
    // The steps stored before support watched come with the answer, the later ones live (as on the page).
    const watched = (await supportSocket.emitWithAck('support:watch-job', { jobId })) as {
      job: JobView;
      steps: JobStepView[];
    };
    expect(watched.job.jobId).toBe(jobId);

    await waitForPinPrompt();
    const { killed, now: second } = await killAgentHolder();
    expect(killed).toBe(first.process);
    await typePin();
    await waitFor(
      async () => updates.some((job) => job.jobId === jobId && job.state === 'succeeded'),
      30_000,
      'the job to succeed',
    );

    // Every step once, in order: what the database holds and what support saw live.
    const detail = (await supportSocket.emitWithAck('support:watch-job', { jobId })) as {
      job: JobView;
      steps: JobStepView[];
    };
    expect(detail.job).toMatchObject({ state: 'succeeded', agentSessionId: second.agentSessionId });
    const sequences = detail.steps.map((step) => step.sequence);
    expect(sequences).toEqual(sequences.map((_, index) => index + 1));
    const storedSteps = [...new Set(detail.steps.map((step) => step.step))];
    expect(storedSteps).toEqual([...jobSteps.card_check]);
    const shown = () => new Set([...watched.steps, ...steps].map((step) => step.sequence));
    // Steps of the dead process's last moments reach support through the other process and Redis: not at once under load.
    await waitFor(async () => shown().size === sequences.length, 15_000, 'every step shown');
    expect([...shown()].sort((a, b) => a - b)).toEqual(sequences);
    // Live, a step may come again after the takeover (the new process sends what the dead one stored, whose
    // broadcast may not have left it); each is the stored step of its sequence, which the page keeps once.
    for (const step of steps) expect(step).toMatchObject(detail.steps[step.sequence - 1]!);
    supportSocket.close();
  }, 120_000);

  const everyProcessUp = async () => {
    for (const process of cluster.processes) {
      if (process.running()) continue;
      await process.start();
      await cluster.haproxy.waitUntilServer(process.name, 'UP', 10_000);
    }
  };

  /**
   * What Mina sidor does on AKTIVERA or Lås upp kort: an order for the card whose start token the page
   * hands to the agent's window, which claims the job with it.
   */
  const startCardOrder = async (
    db: AppDatabase,
    purpose: 'activate' | 'unlock',
    cardId: string,
    personId: string,
  ) => {
    const order = await createAuthOrder(
      db,
      { purpose, method: 'card', expectedPersonId: personId, cardId, ttlMs: 15 * 60_000 },
      new Date(),
    );
    const page = new URL(cluster.agent!.uiUrl);
    const started = await fetch(`${page.origin}/autostart`, {
      method: 'POST',
      headers: { origin: new URL(cluster.url).origin, 'content-type': 'application/json' },
      body: JSON.stringify({ autoStartToken: order.autoStartToken }),
    });
    const answer = (await started.json()) as { jobId?: string; error?: string; message?: string };
    expect(started.status, JSON.stringify(answer)).toBe(202);
    return answer.jobId!;
  };

  const ended = async (db: AppDatabase, jobId: string) => {
    await waitFor(
      async () => ['succeeded', 'failed'].includes((await findJob(db, jobId))!.state),
      60_000,
      'the job to end',
    );
    return (await findJob(db, jobId))!;
  };

  it('an activation whose process dies at the PIN prompt finishes on another: card and database agree', async () => {
    await everyProcessUp();
    const db = await openDatabase(cluster.databaseUrl);
    try {
      const card = (await findCardForCertificates(db, demoCards.reserveNotActivated))!;
      const activation = (await findActivationOrder(db, card.id))!;
      const jobId = await startCardOrder(db, 'activate', card.id, activation.personId);

      await waitForPinPrompt();
      await killAgentHolder();
      await typePin();
      const job = await ended(db, jobId);
      expect(job.state, `${job.errorCode}: ${job.errorMessage}`).toBe('succeeded');
      const steps = await listJobSteps(db, jobId);
      expect(steps.map((step) => step.sequence)).toEqual(steps.map((_, index) => index + 1));
      expect([...new Set(steps.map((step) => step.step))]).toEqual([...jobSteps.activate]);
      const onCard = loadCardState(cluster.cardStateDir!, demoCards.reserveNotActivated);
      const agreement = await cardAndDatabaseAgree(db, { cardId: card.id } as LabCard, onCard);
      expect(agreement).toMatchObject({ cardState: 'active', activeEids: 3, problems: [] });
    } finally {
      await db.close();
    }
  }, 120_000);

  it('an unlock whose process dies while the user chooses the new code finishes on another', async () => {
    await everyProcessUp();
    // The locked card goes into the reader the reserve card leaves.
    const reserve = cluster.insertedCards[0]!;
    await reserve.remove();
    const locked = await insertVirtualCard({
      serial: demoCards.lockedOrdinary,
      slot: reserve.slot,
      stateDir: cluster.cardStateDir!,
      logFile: join(cluster.logDir, 'locked-card.log'),
    });
    const db = await openDatabase(cluster.databaseUrl);
    try {
      const card = (await findCardForCertificates(db, demoCards.lockedOrdinary))!;
      expect(card.state).toBe('locked');
      const jobId = await startCardOrder(db, 'unlock', card.id, card.holderPersonId!);

      await waitForPinPrompt();
      await killAgentHolder();
      const { prompt } = await agentUi<AgentState>('/api/state');
      await agentUi('/api/new-pin', { promptId: prompt!.promptId, pin: '24681357', repeat: '24681357' });
      const job = await ended(db, jobId);
      expect(job.state, `${job.errorCode}: ${job.errorMessage}`).toBe('succeeded');
      const steps = await listJobSteps(db, jobId);
      expect(steps.map((step) => step.sequence)).toEqual(steps.map((_, index) => index + 1));
      expect([...new Set(steps.map((step) => step.step))]).toEqual([...jobSteps.unlock]);
      const onCard = loadCardState(cluster.cardStateDir!, demoCards.lockedOrdinary);
      const agreement = await cardAndDatabaseAgree(db, { cardId: card.id } as LabCard, onCard);
      expect(agreement).toMatchObject({ cardState: 'active', problems: [] });
      expect(onCard.pin.triesLeft).toBeGreaterThan(0);
    } finally {
      await db.close();
      await locked.remove();
    }
  }, 120_000);
});
