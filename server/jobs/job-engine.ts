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
  listUnfinishedJobs,
  markJobRunning,
  type NewJob,
  trustedCardSerial,
} from '../../db/jobs';
import type { ProtocolErrorCode, SequenceAck } from '../../protocol/agent-events';
import type { CardExchange, CardExchangeAnswer } from '../../protocol/card-exchange';
import type { JobError, JobErrorCode, JobKind, JobOffer, JobOutcome, StepReport } from '../../protocol/jobs';
import { type JobStepView, type JobView, stepViewOf } from '../../protocol/support-events';
import type { Logger } from '../logger';
import type { AgentConnections } from './agent-connections';
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

/** Who asks for a job: the job keeps running only while this login session is valid. */
export interface JobActor {
  userId: string;
  sessionId: string;
}

/**
 * What the card-job service adds to the engine: the offer's challenge and texts, the answers to an agent's
 * mid-job requests, and what a job's end means for cards, orders and logins.
 */
export interface CardJobHooks {
  offerDetails(job: JobRow): Promise<Pick<JobOffer, 'challenge' | 'relyingParty' | 'purpose'>>;
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

const refused = (code: ProtocolErrorCode, message: string, lastSequence?: number): SequenceAck => ({
  ok: false,
  code,
  message,
  ...(lastSequence !== undefined ? { lastSequence } : {}),
});

/**
 * Dispatches card jobs to agents, stores every step they report (once, in order), enforces step
 * timeouts, and cancels, retries and fails jobs. Job state lives in the database, so a restarted
 * server picks up where it was when the agents reconnect; unfinished jobs are also kept in memory,
 * because every streamed step needs them and this process is their only writer.
 */
export class JobEngine extends EventEmitter<JobEngineEvents> {
  readonly #active = new Map<string, ActiveJob>();
  readonly #steps: StepWriter;
  #hooks: CardJobHooks | undefined;
  #stopped = false;

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

  attachCardJobHooks(hooks: CardJobHooks): void {
    this.#hooks = hooks;
  }

  /** The demo job: read the card in `readerName` and verify its PIN in the agent's own UI. */
  async startCardCheck(input: {
    agentSessionId: string;
    readerName: string;
    actor: JobActor;
  }): Promise<JobCommandResult> {
    const channel = this.deps.connections.bySession(input.agentSessionId);
    if (!channel) return { ok: false, code: 'not_found', message: 'The agent is not connected' };
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

  /** Creates a job on the given agent connection and offers it. */
  async startJob(input: NewJob): Promise<JobCommandResult> {
    return this.#dispatch(await createJob(this.deps.db, input, this.#now()));
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
    if (!channel) return { ok: false, code: 'agent_disconnected', message: 'The agent is not connected' };
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
        challenge: job.challenge,
      },
      this.#now(),
    );
    return this.#dispatch(retryId);
  }

  async cancel(jobId: string): Promise<JobCommandResult> {
    const active = this.#active.get(jobId);
    if (!active) {
      return (await findJob(this.deps.db, jobId))
        ? { ok: false, code: 'conflict', message: 'The job has already ended' }
        : { ok: false, code: 'not_found', message: 'No such job' };
    }
    await this.#end(jobId, 'cancelled', { code: 'cancelled_by_support', message: 'Avbrutet av support' });
    this.deps.connections.bySession(active.agentSessionId)?.cancelJob(jobId);
    return { ok: true, jobId };
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
      await this.#steps.write(report);
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
    await this.#end(outcome.jobId, outcome.state, outcome.error ?? null, outcome.sequence);
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
        await this.#end(jobId, 'failed', {
          code: 'agent_disconnected',
          message: 'SITHS eID-appen startades om',
        });
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
      writes.push(this.#setAgentSession(jobId, active, null));
      this.#arm(jobId, active, this.timeouts.reconnectGraceMs, agentLost);
    }
    await Promise.all(writes);
  }

  /** After a restart no agent is connected yet: every unfinished job waits for its agent. */
  async recoverAfterRestart(): Promise<void> {
    for (const job of await listUnfinishedJobs(this.deps.db)) {
      const active = await this.#track(job);
      if (!active) continue;
      active.orphaned = 'disconnected';
      if (active.agentSessionId) await this.#setAgentSession(job.id, active, null);
      this.#arm(job.id, active, this.timeouts.reconnectGraceMs, agentLost);
    }
  }

  /** Stops the timers and waits until the steps already accepted are stored. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const active of this.#active.values()) {
      clearTimeout(active.timer);
      clearTimeout(active.listUpdate);
    }
    await this.#steps.flush();
  }

  async #track(job: JobRow): Promise<ActiveJob | undefined> {
    const view = await findJobView(this.deps.db, job.id);
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
      await this.#writeInOrder(active, () => markJobRunning(this.deps.db, jobId, at));
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

  #stepStored(jobId: string, active: ActiveJob, report: StepReport): void {
    const waitsForUser = report.step === 'waiting_for_user' && report.status === 'started';
    this.#arm(jobId, active, waitsForUser ? this.timeouts.userPromptMs : this.timeouts.stepMs);
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
    const written = this.#setAgentSession(jobId, active, agentSessionId);
    this.#arm(jobId, active, this.timeouts.stepMs);
    await written;
  }

  /** The job's connection changes in memory at once (reports are judged by it); the row follows in order. */
  #setAgentSession(jobId: string, active: ActiveJob, agentSessionId: string | null): Promise<void> {
    const at = this.#now();
    active.agentSessionId = agentSessionId;
    active.view = { ...active.view, agentSessionId };
    this.#publish(active);
    return this.#writeInOrder(active, () => assignJobToAgentSession(this.deps.db, jobId, agentSessionId, at));
  }

  #writeInOrder(active: ActiveJob, write: () => Promise<unknown>): Promise<void> {
    const done = active.written.then(write).then(() => undefined);
    active.written = done.catch(() => undefined);
    return done;
  }

  #arm(
    jobId: string,
    active: ActiveJob,
    ms: number,
    error: JobError = { code: 'step_timeout', message: 'Steget tog för lång tid' },
  ) {
    clearTimeout(active.timer);
    // Sockets still closing after stop() must not leave a timer that writes to a closed database.
    if (this.#stopped) return;
    active.timer = setTimeout(() => void this.#timeUp(jobId, active, error), ms);
    active.timer.unref();
  }

  async #timeUp(jobId: string, active: ActiveJob, error: JobError): Promise<void> {
    try {
      if (await this.#end(jobId, 'failed', error))
        this.deps.connections.bySession(active.agentSessionId)?.cancelJob(jobId);
    } catch (endError) {
      this.deps.logger.error({ jobId, err: endError }, 'could not end a job that ran out of time');
    }
  }

  async #end(
    jobId: string,
    state: 'succeeded' | 'failed' | 'cancelled',
    error: JobError | null,
    lastSequence?: number,
  ) {
    const active = this.#active.get(jobId);
    if (!active) return false;
    this.#active.delete(jobId);
    clearTimeout(active.timer);
    clearTimeout(active.listUpdate);
    if (state !== 'succeeded' && (await this.#settled(jobId))) {
      this.deps.logger.info({ jobId, errorCode: error?.code }, 'job ended after its work was recorded');
      state = 'succeeded';
      error = null;
    }
    const at = this.#now();
    const ending = { state, error, ...(lastSequence !== undefined ? { lastSequence } : {}) };
    await this.#writeInOrder(active, () => finishJob(this.deps.db, jobId, ending, at));
    this.deps.logger.info({ jobId, state, errorCode: error?.code }, 'job ended');
    const row = await findJob(this.deps.db, jobId);
    if (row && this.#hooks) {
      try {
        await this.#hooks.jobEnded(row);
      } catch (hookError) {
        this.deps.logger.error({ jobId, err: hookError }, 'after-job work failed');
      }
    }
    const ended = await findJobView(this.deps.db, jobId);
    if (ended) this.emit('job-updated', ended);
    return true;
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
