import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delay, LatencyRecorder, SimulatedAgent, SupportClient } from '../../bench/streaming-load';
import { registerAgent } from '../../db/agents';
import { type AppDatabase, openDatabase } from '../../db/connection';
import { demoLogins } from '../../db/demo-fixtures';
import { jobSteps, jobs } from '../../db/schema';
import type { JobStepView } from '../../protocol/support-events';
import { waitFor } from '../../test-support/processes';
import { logInWithPassword, type SithsCluster, startSithsCluster } from '../../test-support/siths-cluster';

const agentCount = 20;
const support = demoLogins.find((login) => login.username === 'support')!;
const agentName = (index: number) => `Simulerad dator ${index}`;

/**
 * Twenty agents (the real agent's server link and report outbox) stream card-check steps through HAProxy
 * to three processes while every process is restarted in turn (SIGTERM: it drains, then starts again).
 */
describe('a rolling restart of every process while agents stream jobs', () => {
  let cluster: SithsCluster;
  let db: AppDatabase;
  const agents: SimulatedAgent[] = [];
  let supportClient: SupportClient;

  beforeAll(async () => {
    cluster = await startSithsCluster({ processes: 3 });
    db = await openDatabase(cluster.databaseUrl);
    for (let index = 0; index < agentCount; index++)
      await registerAgent(db, {
        name: agentName(index),
        deviceToken: `rolling-restart-agent-${index}-token`,
      });
  }, 120_000);
  afterAll(async () => {
    supportClient?.close();
    for (const agent of agents) agent.close();
    await db?.close();
    await cluster?.stop();
  }, 60_000);

  it('loses no job, and no step is lost or stored twice', async () => {
    const cookie = await logInWithPassword(cluster.url, support);
    supportClient = new SupportClient(cluster.url, cookie, { reconnection: true });
    await supportClient.connected(10_000);
    const seen = new Map<string, number[]>();
    const live = new Map<string, number[]>();
    const see = (step: JobStepView) => seen.set(step.jobId, [...(seen.get(step.jobId) ?? []), step.sequence]);
    supportClient.socket.on('job:step', (step: JobStepView) => {
      live.set(step.jobId, [...(live.get(step.jobId) ?? []), step.sequence]);
      see(step);
    });
    // As the support page does when its socket comes back (through the balancer, to another process): it
    // watches its jobs again, and the answer has every stored step, which closes any gap.
    const jobIds: string[] = [];
    let reconnects = 0;
    let recovered = 0;
    supportClient.socket.on('connect', () => {
      if (jobIds.length === 0) return;
      reconnects++;
      if (supportClient.socket.recovered) recovered++;
      for (const jobId of jobIds)
        void supportClient.socket
          .timeout(10_000)
          .emitWithAck('support:watch-job', { jobId })
          .then(
            (detail: { steps?: JobStepView[] }) => detail.steps?.forEach(see),
            () => {},
          );
    });

    for (let index = 0; index < agentCount; index++)
      agents.push(new SimulatedAgent(cluster.url, `rolling-restart-agent-${index}-token`));
    await Promise.all(agents.map((agent) => agent.connected(10_000)));
    await waitFor(
      async () => supportClient.sessionByAgentName.size === agentCount,
      10_000,
      'support to see every agent',
    );
    for (let index = 0; index < agentCount; index++)
      jobIds.push(await supportClient.startWatchedCardCheck(agentName(index)));

    // Every agent streams a step every 150 ms until the restart is over, and a few more after it.
    const recorder = new LatencyRecorder();
    const sent = new Map<string, number>();
    let restarted = false;
    const streaming = (async () => {
      for (let after = 0; !restarted || after < 10; after += restarted ? 1 : 0) {
        for (const agent of agents) {
          agent.sendStep(recorder);
          sent.set(agent.jobId!, (sent.get(agent.jobId!) ?? 0) + 1);
        }
        await delay(150);
      }
    })();
    try {
      for (const process of cluster.processes) {
        await delay(1_000);
        await process.stop();
        await process.start();
        await cluster.haproxy.waitUntilServer(process.name, 'UP', 10_000);
      }
    } finally {
      restarted = true;
    }
    await streaming;
    await Promise.all(agents.map((agent) => agent.finish()));

    await waitFor(
      async () =>
        (await db.select({ state: jobs.state }).from(jobs).where(inArray(jobs.id, jobIds))).every(
          (job) => job.state !== 'running' && job.state !== 'queued',
        ),
      20_000,
      'every job to end',
    );
    const ended = await db
      .select({ id: jobs.id, state: jobs.state, errorCode: jobs.errorCode, lastSequence: jobs.lastSequence })
      .from(jobs)
      .where(inArray(jobs.id, jobIds));
    expect(ended.filter((job) => job.state !== 'succeeded')).toEqual([]);

    for (const jobId of jobIds) {
      const steps = sent.get(jobId)!;
      const stored = (
        await db
          .select({ sequence: jobSteps.sequence })
          .from(jobSteps)
          .where(eq(jobSteps.jobId, jobId))
          .orderBy(jobSteps.sequence)
      ).map((row) => row.sequence);
      expect(stored, `job ${jobId}`).toEqual(Array.from({ length: steps }, (_, index) => index + 1));
      // Support's live view: every step arrived (a step shown twice is kept once, by its sequence).
      await waitFor(
        async () => new Set(seen.get(jobId)).size === steps,
        10_000,
        `support to see all ${steps} steps of ${jobId}`,
      );
    }
    // What the live stream alone delivered, before the page's re-watch filled gaps: for the closing figures.
    const liveSteps = [...live.values()].flat().length;
    const liveDistinct = [...live.values()].reduce((sum, list) => sum + new Set(list).size, 0);
    const stepCount = [...sent.values()].reduce((a, b) => a + b, 0);
    console.info(
      `rolling restart: ${agentCount} jobs, ${stepCount} steps; support reconnected ${reconnects} times ` +
        `(${recovered} recovered by Socket.IO); live events ${liveSteps}, ${liveDistinct} distinct, ` +
        `${stepCount - liveDistinct} only from the re-watch`,
    );
  }, 180_000);
});
