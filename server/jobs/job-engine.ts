import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { findAgentById } from '../../db/agents';
import { recordAudit } from '../../db/audit';
import type { AppDatabase } from '../../db/connection';
import {
  assignJobToAgentSession,
  createJob,
  createStepStore,
  findJob,
  findJobView,
  finishJob,
  type JobRow,
  listJobSteps,
  listOverdueJobs,
  listUnfinishedJobs,
  markJobRunning,
  type NewJob,
  takeOverAgentJobs,
  trustedCardSerial,
} from '../../db/jobs';
import { seesEveryIdentity } from '../../db/protected-identity';
import type { ProtocolErrorCode, SequenceAck, SupportPairingNotice } from '../../protocol/agent-events';
import type { CardExchange, CardExchangeAnswer } from '../../protocol/card-exchange';
import type {
  JobError,
  JobErrorCode,
  JobKind,
  JobOffer,
  JobOutcome,
  StepReport,
  SupportMessage,
} from '../../protocol/jobs';
import {
  type ConnectedAgentView,
  type JobStepView,
  type JobView,
  stepViewOf,
} from '../../protocol/support-events';
import type { Logger } from '../logger';
import type { AgentConnections } from './agent-connections';
import {
  type AgentCommandResult,
  type AssistedUnlockStart,
  type JobActor,
  type JobCluster,
  singleProcess,
} from './job-cluster';
import { StepWriter } from './step-writer';

export interface JobTimeouts {
  /** How long the agent may take to accept an offer. */
  offerMs: number;
  /** How long any step but a user prompt may run before the job fails. */
  stepMs: number;
  /** How long the user has to type a code. */
  userPromptMs: number;
  /** How long a job waits for its agent to come back after a disconnect. */
  reconnectGraceMs: number;
  /** Support's job list gets at most one update per job in this time while steps stream in. */
  listUpdateMs: number;
}

export const defaultJobTimeouts: JobTimeouts = {
  offerMs: 10_000,
  stepMs: 30_000,
  userPromptMs: 120_000,
  reconnectGraceMs: 15_000,
  listUpdateMs: 250,
};

export type { JobActor } from './job-cluster';

/**
 * What the card-job service adds to the engine: the offer's challenge and texts, the answers to an agent's
 * mid-job requests, and what a job's end means for cards, orders and logins.
 */
export interface CardJobHooks {
  offerDetails(
    job: JobRow,
  ): Promise<Pick<JobOffer, 'challenge' | 'relyingParty' | 'purpose' | 'statement' | 'assistedBy'>>;
  exchange(job: JobRow, request: CardExchange): Promise<CardExchangeAnswer>;
  jobEnded(job: JobRow): Promise<void>;
  /**
   * Whether the server has already done all the job was for (an activation recorded), so an agent lost or a
   * cancel after that point cannot make it fail.
   */
  isSettled(job: JobRow): Promise<boolean>;
}

export type JobCommandResult =
  | { ok: true; jobId: string }
  | { ok: false; code: ProtocolErrorCode | JobErrorCode; message: string };

interface JobEngineEvents {
  'job-updated': [JobView];
  'job-step': [JobStepView];
}

/**
 * An unfinished job as the engine keeps it in memory: the database row's facts and support's view.
 * `agentSessionId` is the one connection the job accepts reports from; null while the job waits for its
 * agent to come back, and `orphaned` says how it lost its connection.
 */
interface ActiveJob {
  agentId: string | null;
  agentSessionId: string | null;
  orphaned?: 'disconnected' | 'replaced';
  lastSequence: number;
  view: JobView;
  timer?: NodeJS.Timeout;
  listUpdate?: NodeJS.Timeout;
  /** Connections already audited for reporting on this job without holding it: one audit row each. */
  refusedSessions?: Set<string>;
  /**
   * The job's last row write (its connection, running, its end): each waits for the one before, so the
   * row ends as the engine decided even when socket events write for the same job at the same time.
   */
  written: Promise<void>;
}

const agentLost: JobError = {
  code: 'agent_disconnected',
  message: 'SITHS eID-appen tappade kontakten med servern',
};

const stepTimedOut: JobError = { code: 'step_timeout', message: 'Steget tog för lång tid' };

/**
 * A job overdue by this much is ended by whichever process sweeps first: the one driving it ends it on time
 * with its own timer, so the sweep only finds jobs whose process died.
 */
const overdueSlackMs = 2_000;
const overdueSweepMs = 2_000;

/** A forwarded job command's answer: a started job, or why not. */
function commandResultOf(result: AgentCommandResult): JobCommandResult {
  if (!result.ok) return result;
  return result.jobId
    ? { ok: true, jobId: result.jobId }
    : { ok: false, code: 'internal', message: 'No job was started' };
}

const refused = (code: ProtocolErrorCode, message: string, lastSequence?: number): SequenceAck => ({
  ok: false,
  code,
  message,
  ...(lastSequence !== undefined ? { lastSequence } : {}),
});

/**
 * Dispatches card jobs to agents, stores every step they report (once, in order), enforces step
 * timeouts, and cancels, retries and fails jobs. Job state, sequence and deadline live in the database:
 * the process that holds the agent's connection drives the job and keeps it in memory (every streamed step
 * needs it); when that process is gone, the agent's next connection, on any process, takes the job over
 * from the database, and any process ends a job whose deadline passed. Every write that depends on who
 * holds a job names the connection it believes holds it, so a process that lost a job changes nothing.
 */
export class JobEngine extends EventEmitter<JobEngineEvents> {
  readonly #active = new Map<string, ActiveJob>();
  readonly #steps: StepWriter;
  #hooks: CardJobHooks | undefined;
  #stopped = false;
  #sweep: NodeJS.Timeout | undefined;
  #clusterLink: JobCluster | undefined;

  constructor(
    private readonly deps: {
      db: AppDatabase;
      logger: Logger;
      connections: AgentConnections;
      isSessionActive: (sessionId: string) => Promise<boolean>;
      timeouts?: Partial<JobTimeouts>;
      now?: () => Date;
    },
  ) {
    super();
    this.#steps = new StepWriter(createStepStore(deps.db), () => this.#now());
  }

  get timeouts(): JobTimeouts {
    return { ...defaultJobTimeouts, ...this.deps.timeouts };
  }

  #now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  get #cluster(): JobCluster {
    return this.#clusterLink ?? singleProcess;
  }

  #deadline(ms: number): Date {
    return new Date(this.#now().getTime() + ms);
  }

  attachCardJobHooks(hooks: CardJobHooks): void {
    this.#hooks = hooks;
  }

  /** The other server processes, once their link exists (it needs the Socket.IO server). */
  attachCluster(cluster: JobCluster): void {
    this.#clusterLink = cluster;
  }

  /** The demo job: read the card in `readerName` and verify its PIN in the agent's own UI. */
  async startCardCheck(input: {
    agentSessionId: string;
    readerName: string;
    actor: JobActor;
  }): Promise<JobCommandResult> {
    const channel = this.deps.connections.bySession(input.agentSessionId);
    if (!channel) {
      const forwarded = await this.#cluster.forward({ type: 'start-card-check', ...input });
      return forwarded
        ? commandResultOf(forwarded)
        : { ok: false, code: 'not_found', message: 'The agent is not connected' };
    }
    return this.startJob({
      kind: 'card_check',
      agentId: channel.agentId,
      agentSessionId: channel.agentSessionId,
      readerName: input.readerName,
      cardSerial: null,
      personId: (await findAgentById(this.deps.db, channel.agentId))?.personId ?? null,
      createdByUserId: input.actor.userId,
      createdBySessionId: input.actor.sessionId,
      // A card whose PIN turns out blocked names itself by signing this; only then may the check lock it.
      challenge: randomBytes(32).toString('base64url'),
    });
  }

  /**
   * An unlock a staff member runs with the user on the phone: the card in `readerName` proves itself (9E)
   * and must be `cardSerial`, the person's own; the user chooses the new code in the app.
   */
  async startAssistedUnlock(input: AssistedUnlockStart): Promise<JobCommandResult> {
    const channel = this.deps.connections.bySession(input.agentSessionId);
    if (!channel) {
      const forwarded = await this.#cluster.forward({ type: 'start-assisted-unlock', ...input });
      return forwarded
        ? commandResultOf(forwarded)
        : { ok: false, code: 'agent_disconnected', message: 'The agent is not connected' };
    }
    return this.startJob({
      kind: 'unlock',
      agentId: channel.agentId,
      agentSessionId: channel.agentSessionId,
      readerName: input.readerName,
      cardSerial: input.cardSerial,
      personId: input.personId,
      createdByUserId: input.actor.userId,
      createdBySessionId: input.actor.sessionId,
      assistedUnlockId: input.assistedUnlockId,
      challenge: randomBytes(32).toString('base64url'),
    });
  }

  /** Tells the user's app that a staff member paired with it (or that the pairing ended). */
  async notifyPairing(agentSessionId: string, notice: SupportPairingNotice): Promise<AgentCommandResult> {
    const channel = this.deps.connections.bySession(agentSessionId);
    if (channel) {
      channel.notifyPairing(notice);
      return { ok: true };
    }
    return (
      (await this.#cluster.forward({ type: 'pairing', agentSessionId, notice })) ?? {
        ok: false,
        code: 'not_found',
        message: 'The agent is not connected',
      }
    );
  }

  /** Creates a job on the given agent connection and offers it. */
  async startJob(input: NewJob): Promise<JobCommandResult> {
    const { offerMs, stepMs } = this.timeouts;
    // Should this process die before the agent answers, another one fails the job at this deadline.
    const deadlineAt = this.#deadline(offerMs + stepMs);
    return this.#dispatch(await createJob(this.deps.db, { ...input, deadlineAt }, this.#now()));
  }

  /** A request an agent makes in the middle of a job: only on the connection that holds the job. */
  async handleExchange(
    agentId: string,
    agentSessionId: string,
    request: CardExchange,
  ): Promise<CardExchangeAnswer> {
    const active = this.#active.get(request.jobId);
    if (!active) return { ok: false, code: 'job_not_active', message: 'Ärendet pågår inte längre' };
    if (!this.#holds(active, agentId, agentSessionId)) {
      await this.#refuseIntruder(request.jobId, active, { agentId, agentSessionId, event: 'job:exchange' });
      return { ok: false, code: 'job_not_active', message: 'Ärendet tillhör en annan anslutning' };
    }
    const job = await findJob(this.deps.db, request.jobId);
    if (!job || !this.#hooks)
      return { ok: false, code: 'job_not_active', message: 'Ärendet kan inte hanteras' };
    try {
      return await this.#hooks.exchange(job, request);
    } catch (error) {
      this.deps.logger.error({ jobId: job.id, type: request.type, err: error }, 'card exchange failed');
      return { ok: false, code: 'internal', message: 'Ett oväntat fel inträffade på servern' };
    } finally {
      await this.#showProvenCard(job.id, active);
    }
  }

  /** Runs a failed or cancelled job again from its start, on the same agent, as a new job. */
  async retry(jobId: string): Promise<JobCommandResult> {
    const job = await findJob(this.deps.db, jobId);
    if (!job) return { ok: false, code: 'not_found', message: 'No such job' };
    if (job.state !== 'failed' && job.state !== 'cancelled') {
      return { ok: false, code: 'conflict', message: 'Only a failed or cancelled job can be retried' };
    }
    if (!job.createdBySessionId || !(await this.deps.isSessionActive(job.createdBySessionId))) {
      return { ok: false, code: 'forbidden', message: 'The login session that created the job has ended' };
    }
    const channel = this.deps.connections.byAgent(job.agentId);
    if (!channel) {
      const forwarded = job.agentId
        ? await this.#cluster.forward({ type: 'retry', jobId, agentId: job.agentId })
        : undefined;
      return forwarded
        ? commandResultOf(forwarded)
        : { ok: false, code: 'agent_disconnected', message: 'The agent is not connected' };
    }
    const retryId = await createJob(
      this.deps.db,
      {
        kind: job.kind as JobKind,
        agentId: channel.agentId,
        agentSessionId: channel.agentSessionId,
        readerName: job.readerName,
        cardSerial: job.cardSerial,
        personId: job.personId,
        createdByUserId: job.createdByUserId,
        createdBySessionId: job.createdBySessionId,
        retryOfJobId: job.id,
        authOrderId: job.authOrderId,
        eidOrderId: job.eidOrderId,
        assistedUnlockId: job.assistedUnlockId,
        challenge: job.challenge,
        deadlineAt: this.#deadline(this.timeouts.offerMs + this.timeouts.stepMs),
      },
      this.#now(),
    );
    return this.#dispatch(retryId);
  }

  /** Ends a job as cancelled: by support (or a staff member) by default, or by the user it runs for. */
  async cancel(jobId: string, by: 'support' | 'user' = 'support'): Promise<JobCommandResult> {
    const cancelled: JobError =
      by === 'user'
        ? { code: 'user_cancelled', message: 'Avbrutet av användaren' }
        : { code: 'cancelled_by_support', message: 'Avbrutet av support' };
    const active = this.#active.get(jobId);
    if (!active) {
      // Driven by another process, or by none since its process died: ended in the database, and the
      // agent and the process that drives it are told.
      const job = await findJob(this.deps.db, jobId);
      if (!job) return { ok: false, code: 'not_found', message: 'No such job' };
      if (!(await this.#endHeldElsewhere(job, { state: 'cancelled', error: cancelled })))
        return { ok: false, code: 'conflict', message: 'The job has already ended' };
      return { ok: true, jobId };
    }
    await this.#end(jobId, 'cancelled', cancelled);
    this.#cancelOnAgent(active.agentSessionId, jobId, cancelled.code);
    return { ok: true, jobId };
  }

  /** Sends a support message to an agent's connection, on whichever process holds it. */
  async sendMessage(agentSessionId: string, message: SupportMessage): Promise<AgentCommandResult> {
    const channel = this.deps.connections.bySession(agentSessionId);
    if (channel) {
      channel.sendMessage(message);
      return { ok: true };
    }
    return (
      (await this.#cluster.forward({ type: 'message', agentSessionId, message })) ?? {
        ok: false,
        code: 'not_found',
        message: 'The agent is not connected',
      }
    );
  }

  /** The agents connected to the other server processes (none when this is the only one). */
  agentsConnectedElsewhere(): Promise<ConnectedAgentView[]> {
    return this.#cluster.otherAgents();
  }

  /** Whether this process holds the agent connection a forwarded command is for. */
  holdsAgentSession(agentSessionId: string): boolean {
    return this.deps.connections.bySession(agentSessionId) !== undefined;
  }

  holdsAgent(agentId: string): boolean {
    return this.deps.connections.byAgent(agentId) !== undefined;
  }

  /** Another process ended a job: if this one still drives it, it lets go (its agent has been told). */
  releaseEndedJob(jobId: string): void {
    const active = this.#active.get(jobId);
    if (!active) return;
    this.#release(jobId, active);
    this.deps.logger.info({ jobId }, 'job ended by another process');
  }

  /** Ends every job whose deadline passed while no process drove it (its process died); returns how many. */
  async sweepOverdue(): Promise<number> {
    const before = new Date(this.#now().getTime() - overdueSlackMs);
    let ended = 0;
    for (const job of await listOverdueJobs(this.deps.db, before, 100)) {
      if (this.#active.has(job.id)) continue;
      const error = job.agentSessionId === null ? agentLost : stepTimedOut;
      const end = { state: 'failed' as const, error };
      if (await this.#endHeldElsewhere(job, end, { deadlineAt: job.deadlineAt })) ended++;
    }
    return ended;
  }

  /** Sweeps for overdue jobs every couple of seconds until stop(). */
  startOverdueSweep(): void {
    if (this.#sweep || this.#stopped) return;
    this.#sweep = setInterval(() => {
      this.sweepOverdue().catch((error: unknown) =>
        this.deps.logger.error({ err: error }, 'overdue job sweep failed'),
      );
    }, overdueSweepMs);
    this.#sweep.unref();
  }

  /** A step report: stored once, in order, and only from the connection that holds the job. */
  async handleStep(agentId: string, agentSessionId: string, report: StepReport): Promise<SequenceAck> {
    const active = this.#active.get(report.jobId);
    if (!active) return this.#answerForEndedJob(agentId, report.jobId, report.sequence);
    if (!this.#holds(active, agentId, agentSessionId))
      return await this.#refuseIntruder(report.jobId, active, { agentId, agentSessionId, event: 'job:step' });
    if (report.sequence <= active.lastSequence) return { ok: true, lastSequence: active.lastSequence };
    if (report.sequence > active.lastSequence + 1) {
      return refused('conflict', 'An earlier step is missing', active.lastSequence);
    }
    // Claimed before the write, so a report arriving meanwhile is judged against it.
    active.lastSequence = report.sequence;
    try {
      await this.#steps.write(report, this.#deadline(this.#stepTimeoutAfter(report)));
    } catch (error) {
      if (active.lastSequence === report.sequence) active.lastSequence = report.sequence - 1;
      throw error;
    }
    this.#stepStored(report.jobId, active, report);
    return { ok: true, lastSequence: report.sequence };
  }

  async handleOutcome(agentId: string, agentSessionId: string, outcome: JobOutcome): Promise<SequenceAck> {
    const active = this.#active.get(outcome.jobId);
    if (!active) return this.#answerForEndedJob(agentId, outcome.jobId, outcome.sequence);
    if (!this.#holds(active, agentId, agentSessionId))
      return await this.#refuseIntruder(outcome.jobId, active, {
        agentId,
        agentSessionId,
        event: 'job:finished',
      });
    if (outcome.sequence > active.lastSequence + 1) {
      return refused('conflict', 'An earlier step is missing', active.lastSequence);
    }
    await this.#steps.flush();
    await this.#end(outcome.jobId, outcome.state, outcome.error ?? null, {
      lastSequence: outcome.sequence,
      heldBy: agentSessionId,
    });
    return { ok: true, lastSequence: outcome.sequence };
  }

  /**
   * An agent said hello on its live connection. The only way a job moves to another connection: a job
   * whose connection is gone continues here if the hello names it (the agent still runs it). A job it
   * does not name died with the agent's previous process and fails now rather than at a timeout, unless
   * its connection was replaced: a newcomer with the token cannot fail the jobs of the one it pushed out,
   * those wait for their agent as after a disconnect. A job held by a live connection is never taken.
   * A resumed job keeps its assigned card and its proofs; every exchange still needs the card's signature.
   */
  async agentResumed(
    agentId: string,
    agentSessionId: string,
    activeJobIds: readonly string[],
  ): Promise<void> {
    for (const [jobId, active] of [...this.#active]) {
      if (active.agentId !== agentId || active.agentSessionId !== null) continue;
      if (activeJobIds.includes(jobId)) {
        this.deps.logger.info({ jobId, agentId, agentSessionId }, 'job resumed on a new agent connection');
        await this.#resume(jobId, active, agentSessionId);
      } else if (active.orphaned === 'disconnected')
        await this.#end(
          jobId,
          'failed',
          { code: 'agent_disconnected', message: 'SITHS eID-appen startades om' },
          { heldBy: null },
        );
    }
    await this.#takeOverFromElsewhere(agentId, agentSessionId, activeJobIds);
  }

  /**
   * The jobs the agent names that another process drove (it died, or the agent's previous connection was
   * there): taken over from the database with their stored sequence, so no step is lost or stored twice.
   */
  async #takeOverFromElsewhere(
    agentId: string,
    agentSessionId: string,
    activeJobIds: readonly string[],
  ): Promise<void> {
    const elsewhere = activeJobIds.filter((jobId) => !this.#active.has(jobId));
    const { stepMs } = this.timeouts;
    const taken = await takeOverAgentJobs(
      this.deps.db,
      { agentId, agentSessionId, jobIds: elsewhere, deadlineAt: this.#deadline(stepMs) },
      this.#now(),
    );
    for (const job of taken) {
      if (this.#active.has(job.id)) continue;
      const active = await this.#track(job);
      if (!active) continue;
      this.deps.logger.info(
        { jobId: job.id, agentId, agentSessionId, lastSequence: job.lastSequence },
        'job taken over from another connection',
      );
      this.#arm(job.id, active, stepMs);
      this.#publish(active);
      // Live steps reach support at least once across a process's death: the dead process may have stored
      // its last steps without their broadcast leaving it. Pages keep one step per sequence
      // (app/support/use-live-job.ts), so the ones that did arrive are not shown twice.
      for (const step of await listJobSteps(this.deps.db, job.id)) this.emit('job-step', step);
    }
  }

  /** The agent's jobs wait `reconnectGraceMs` for it to come back, then fail. */
  async agentDisconnected(agentSessionId: string): Promise<void> {
    await this.#orphan(agentSessionId, 'disconnected');
  }

  /** A newer connection with the same token took over: the old one's jobs wait as after a disconnect. */
  async agentReplaced(agentSessionId: string): Promise<void> {
    await this.#orphan(agentSessionId, 'replaced');
  }

  async #orphan(agentSessionId: string, how: 'disconnected' | 'replaced'): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const [jobId, active] of this.#active) {
      if (active.agentSessionId !== agentSessionId) continue;
      active.orphaned = how;
      const { reconnectGraceMs } = this.timeouts;
      writes.push(this.#setAgentSession(jobId, active, null, reconnectGraceMs));
      this.#arm(jobId, active, reconnectGraceMs, agentLost);
    }
    await Promise.all(writes);
  }

  /** After a restart no agent is connected yet: every unfinished job waits for its agent. */
  async recoverAfterRestart(): Promise<void> {
    for (const job of await listUnfinishedJobs(this.deps.db)) {
      const active = await this.#track(job);
      if (!active) continue;
      active.orphaned = 'disconnected';
      const { reconnectGraceMs } = this.timeouts;
      await this.#setAgentSession(job.id, active, null, reconnectGraceMs);
      this.#arm(job.id, active, reconnectGraceMs, agentLost);
    }
  }

  /** Stops the timers and waits until the steps already accepted are stored. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#sweep);
    for (const active of this.#active.values()) {
      clearTimeout(active.timer);
      clearTimeout(active.listUpdate);
    }
    await this.#steps.flush();
  }

  async #track(job: JobRow): Promise<ActiveJob | undefined> {
    // Every support reader's: each socket shows it to its own viewer.
    const view = await findJobView(this.deps.db, job.id, seesEveryIdentity);
    if (!view) return undefined;
    const active: ActiveJob = {
      agentId: job.agentId,
      agentSessionId: job.agentSessionId,
      lastSequence: job.lastSequence,
      view,
      written: Promise.resolve(),
    };
    this.#active.set(job.id, active);
    return active;
  }

  async #dispatch(jobId: string): Promise<JobCommandResult> {
    const job = (await findJob(this.deps.db, jobId))!;
    const active = (await this.#track(job))!;
    this.#publish(active);
    const channel = this.deps.connections.bySession(job.agentSessionId);
    if (!channel) {
      await this.#end(jobId, 'failed', { code: 'agent_disconnected', message: 'Agenten är inte ansluten' });
      return { ok: false, code: 'agent_disconnected', message: 'The agent is not connected' };
    }
    const { stepMs, userPromptMs, offerMs } = this.timeouts;
    const answer = await channel
      .offerJob(
        {
          jobId,
          kind: job.kind as JobKind,
          ...(job.cardSerial ? { cardSerial: job.cardSerial } : {}),
          ...(job.readerName ? { readerName: job.readerName } : {}),
          lastSequence: job.lastSequence,
          stepTimeoutMs: stepMs,
          userPromptTimeoutMs: userPromptMs,
          ...(await this.#hooks?.offerDetails(job)),
        },
        offerMs,
      )
      .catch(() => ({
        accepted: false as const,
        error: { code: 'agent_disconnected' as const, message: 'Agenten svarade inte' },
      }));
    if (!answer.accepted) {
      await this.#end(jobId, 'failed', answer.error);
      return { ok: false, code: answer.error.code, message: answer.error.message };
    }
    if (this.#active.has(jobId)) {
      const at = this.#now();
      active.view = { ...active.view, state: 'running' };
      this.#arm(jobId, active, stepMs);
      this.#publish(active);
      const deadlineAt = this.#deadline(stepMs);
      await this.#writeInOrder(active, () => markJobRunning(this.deps.db, jobId, at, deadlineAt));
    }
    return { ok: true, jobId };
  }

  /** An ended job changes no more: its own agent only learns what is stored, so its outbox can let go. */
  async #answerForEndedJob(agentId: string, jobId: string, sequence: number): Promise<SequenceAck> {
    const job = await findJob(this.deps.db, jobId);
    if (!job) return refused('not_found', 'No such job');
    if (job.agentId !== agentId) {
      this.deps.logger.warn({ jobId, agentId }, 'refused a report for another agent’s ended job');
      return refused('forbidden', 'The job belongs to another agent');
    }
    if (sequence <= job.lastSequence) return { ok: true, lastSequence: job.lastSequence };
    return refused('forbidden', `The job is ${job.state}`, job.lastSequence);
  }

  #holds(active: ActiveJob, agentId: string, agentSessionId: string): boolean {
    return active.agentId === agentId && active.agentSessionId === agentSessionId;
  }

  /** Logged every time; audited once per job and connection, so a noisy agent cannot flood the audit log. */
  async #refuseIntruder(
    jobId: string,
    active: ActiveJob,
    from: { agentId: string; agentSessionId: string; event: string },
  ): Promise<SequenceAck> {
    this.deps.logger.warn(
      { jobId, ...from },
      'refused a report from a connection that does not hold the job',
    );
    active.refusedSessions ??= new Set();
    if (!active.refusedSessions.has(from.agentSessionId)) {
      active.refusedSessions.add(from.agentSessionId);
      await recordAudit(this.deps.db, {
        actorUserId: null,
        actorLabel: 'SITHS eID-app',
        action: 'agent_report_refused',
        objectType: 'job',
        objectId: jobId,
        outcome: 'refused',
        detail: {
          ...from,
          reason: active.agentId === from.agentId ? 'not_this_connection' : 'other_agent',
        },
      });
    }
    return refused('forbidden', 'The job belongs to another connection');
  }

  /** A card that proved itself in an exchange becomes the job's card in support's view. */
  async #showProvenCard(jobId: string, active: ActiveJob): Promise<void> {
    const job = await findJob(this.deps.db, jobId);
    const cardSerial = job ? trustedCardSerial(job) : null;
    if (!this.#active.has(jobId) || cardSerial === active.view.cardSerial) return;
    active.view = { ...active.view, cardSerial };
    this.#publish(active);
  }

  /** How long the job may wait after this step: a prompt waits for the user, any other step for the card. */
  #stepTimeoutAfter(report: StepReport): number {
    const waitsForUser = report.step === 'waiting_for_user' && report.status === 'started';
    return waitsForUser ? this.timeouts.userPromptMs : this.timeouts.stepMs;
  }

  /**
   * Shown to support even when the process that drove the job before stored it just before it died (it may
   * not have shown it): a live view may see a step twice and keeps it once, by its sequence.
   */
  #stepStored(jobId: string, active: ActiveJob, report: StepReport): void {
    this.#arm(jobId, active, this.#stepTimeoutAfter(report));
    const { view } = active;
    active.view = {
      ...view,
      state: view.state === 'queued' ? 'running' : view.state,
      currentStep: report.step,
      progress: report.status === 'succeeded' ? report.progress : view.progress,
      readerName: report.card?.readerName ?? view.readerName,
      reportedCardSerial: report.card?.cardSerial ?? view.reportedCardSerial ?? null,
      updatedAt: this.#now().getTime(),
    };
    this.emit('job-step', stepViewOf(report));
    this.#publishSoon(active);
  }

  async #resume(jobId: string, active: ActiveJob, agentSessionId: string): Promise<void> {
    active.orphaned = undefined;
    const written = this.#setAgentSession(jobId, active, agentSessionId, this.timeouts.stepMs);
    this.#arm(jobId, active, this.timeouts.stepMs);
    await written;
  }

  /**
   * The job's connection changes in memory at once (reports are judged by it); the row follows in order,
   * only while it still names the connection this process had: if another process took the job meanwhile,
   * this one lets go of it.
   */
  #setAgentSession(
    jobId: string,
    active: ActiveJob,
    agentSessionId: string | null,
    deadlineMs: number,
  ): Promise<void> {
    const at = this.#now();
    const held = active.agentSessionId;
    active.agentSessionId = agentSessionId;
    active.view = { ...active.view, agentSessionId };
    this.#publish(active);
    const deadlineAt = this.#deadline(deadlineMs);
    return this.#writeInOrder(active, async () => {
      const change = { held, to: agentSessionId, deadlineAt };
      if (await assignJobToAgentSession(this.deps.db, jobId, change, at)) return;
      if (this.#active.get(jobId) !== active) return;
      this.#release(jobId, active);
      this.deps.logger.info({ jobId }, 'job is held elsewhere now: let go');
    });
  }

  /** Forgets a job this process no longer drives; the database row is someone else's to write. */
  #release(jobId: string, active: ActiveJob): void {
    this.#active.delete(jobId);
    clearTimeout(active.timer);
    clearTimeout(active.listUpdate);
  }

  #cancelOnAgent(agentSessionId: string | null, jobId: string, code: JobErrorCode): void {
    const channel = this.deps.connections.bySession(agentSessionId);
    if (channel) channel.cancelJob(jobId, code);
    else if (agentSessionId) this.#cluster.cancelOnAgent(agentSessionId, jobId, code);
  }

  #writeInOrder(active: ActiveJob, write: () => Promise<unknown>): Promise<void> {
    const done = active.written.then(write).then(() => undefined);
    active.written = done.catch(() => undefined);
    return done;
  }

  #arm(jobId: string, active: ActiveJob, ms: number, error: JobError = stepTimedOut) {
    clearTimeout(active.timer);
    // Sockets still closing after stop() must not leave a timer that writes to a closed database.
    if (this.#stopped) return;
    active.timer = setTimeout(() => void this.#timeUp(jobId, active, error), ms);
    active.timer.unref();
  }

  async #timeUp(jobId: string, active: ActiveJob, error: JobError): Promise<void> {
    try {
      if (await this.#end(jobId, 'failed', error, { heldBy: active.agentSessionId }))
        this.#cancelOnAgent(active.agentSessionId, jobId, error.code);
    } catch (endError) {
      this.deps.logger.error({ jobId, err: endError }, 'could not end a job that ran out of time');
    }
  }

  /**
   * Ends a job this process drives. `heldBy`: only while that connection (null: none) still holds it in the
   * database; a job another process took or ended meanwhile is only let go of here. Returns whether this
   * call ended the job.
   */
  async #end(
    jobId: string,
    state: 'succeeded' | 'failed' | 'cancelled',
    error: JobError | null,
    fence: { lastSequence?: number; heldBy?: string | null } = {},
  ): Promise<boolean> {
    const active = this.#active.get(jobId);
    if (!active) return false;
    this.#release(jobId, active);
    if (state !== 'succeeded' && (await this.#settled(jobId))) {
      this.deps.logger.info({ jobId, errorCode: error?.code }, 'job ended after its work was recorded');
      state = 'succeeded';
      error = null;
    }
    const at = this.#now();
    const ending = { state, error, ...fence };
    let ended = false;
    await this.#writeInOrder(active, async () => {
      ended = await finishJob(this.deps.db, jobId, ending, at);
    });
    if (!ended) {
      this.deps.logger.info({ jobId, state }, 'job was no longer this process’s to end: let go');
      return false;
    }
    this.deps.logger.info({ jobId, state, errorCode: error?.code }, 'job ended');
    await this.#afterEnd(jobId);
    return true;
  }

  /**
   * Ends a job no connection of this process drives (held by another process, or by none since its process
   * died), in the database only; the process driving it and its agent are told. Returns whether this call
   * ended it: of several processes that try, one does.
   */
  async #endHeldElsewhere(
    job: JobRow,
    end: { state: 'failed' | 'cancelled'; error: JobError },
    fence: { deadlineAt?: Date | null } = {},
  ): Promise<boolean> {
    const ending = (await this.#hooks?.isSettled(job)) ? { state: 'succeeded' as const, error: null } : end;
    if (!(await finishJob(this.deps.db, job.id, { ...ending, ...fence }, this.#now()))) return false;
    this.deps.logger.info(
      { jobId: job.id, state: ending.state, errorCode: ending.error?.code, heldBy: job.agentSessionId },
      'job ended for a connection this process does not hold',
    );
    this.#cluster.jobEnded(job.id);
    if (job.agentSessionId) this.#cancelOnAgent(job.agentSessionId, job.id, end.error.code);
    await this.#afterEnd(job.id);
    return true;
  }

  /** What a job's end means (cards, orders, logins) and what support sees: once, by the process that ended it. */
  async #afterEnd(jobId: string): Promise<void> {
    const row = await findJob(this.deps.db, jobId);
    if (row && this.#hooks) {
      try {
        await this.#hooks.jobEnded(row);
      } catch (hookError) {
        this.deps.logger.error({ jobId, err: hookError }, 'after-job work failed');
      }
    }
    const ended = await findJobView(this.deps.db, jobId, seesEveryIdentity);
    if (ended) this.emit('job-updated', ended);
  }

  async #settled(jobId: string): Promise<boolean> {
    const row = await findJob(this.deps.db, jobId);
    return row !== undefined && (await this.#hooks?.isSettled(row)) === true;
  }

  #publish(active: ActiveJob): void {
    clearTimeout(active.listUpdate);
    active.listUpdate = undefined;
    this.emit('job-updated', active.view);
  }

  /** Streaming steps update the list at most every `listUpdateMs`; the job's own page gets every step. */
  #publishSoon(active: ActiveJob): void {
    if (active.listUpdate) return;
    active.listUpdate = setTimeout(() => this.#publish(active), this.timeouts.listUpdateMs);
    active.listUpdate.unref();
  }
}
