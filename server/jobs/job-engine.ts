import { EventEmitter } from 'node:events';
import { findAgentById } from '../../db/agents';
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
  offerDetails(job: JobRow): Pick<JobOffer, 'challenge' | 'relyingParty' | 'purpose'>;
  exchange(job: JobRow, request: CardExchange): Promise<CardExchangeAnswer>;
  jobEnded(job: JobRow): void;
}

export type JobCommandResult =
  | { ok: true; jobId: string }
  | { ok: false; code: ProtocolErrorCode | JobErrorCode; message: string };

interface JobEngineEvents {
  'job-updated': [JobView];
  'job-step': [JobStepView];
}

/** An unfinished job as the engine keeps it in memory: the database row's facts and support's view. */
interface ActiveJob {
  agentId: string | null;
  agentSessionId: string | null;
  lastSequence: number;
  view: JobView;
  timer?: NodeJS.Timeout;
  listUpdate?: NodeJS.Timeout;
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
      personId: findAgentById(this.deps.db, channel.agentId)?.personId ?? null,
      createdByUserId: input.actor.userId,
      createdBySessionId: input.actor.sessionId,
    });
  }

  /** Creates a job on the given agent connection and offers it. */
  async startJob(input: NewJob): Promise<JobCommandResult> {
    return this.#dispatch(createJob(this.deps.db, input, this.#now()));
  }

  /** A request an agent makes in the middle of a job: only for its own running job. */
  async handleExchange(agentId: string, request: CardExchange): Promise<CardExchangeAnswer> {
    const active = this.#active.get(request.jobId);
    if (!active) return { ok: false, code: 'internal', message: 'Ärendet pågår inte längre' };
    if (active.agentId !== agentId) {
      this.#refuseIntruder(request.jobId, agentId);
      return { ok: false, code: 'internal', message: 'Ärendet tillhör en annan SITHS eID-app' };
    }
    const job = findJob(this.deps.db, request.jobId);
    if (!job || !this.#hooks) return { ok: false, code: 'internal', message: 'Ärendet kan inte hanteras' };
    try {
      return await this.#hooks.exchange(job, request);
    } catch (error) {
      this.deps.logger.error({ jobId: job.id, type: request.type, err: error }, 'card exchange failed');
      return { ok: false, code: 'internal', message: 'Ett oväntat fel inträffade på servern' };
    }
  }

  /** Runs a failed or cancelled job again from its start, on the same agent, as a new job. */
  async retry(jobId: string): Promise<JobCommandResult> {
    const job = findJob(this.deps.db, jobId);
    if (!job) return { ok: false, code: 'not_found', message: 'No such job' };
    if (job.state !== 'failed' && job.state !== 'cancelled') {
      return { ok: false, code: 'conflict', message: 'Only a failed or cancelled job can be retried' };
    }
    if (!job.createdBySessionId || !(await this.deps.isSessionActive(job.createdBySessionId))) {
      return { ok: false, code: 'forbidden', message: 'The login session that created the job has ended' };
    }
    const channel = this.deps.connections.byAgent(job.agentId);
    if (!channel) return { ok: false, code: 'agent_disconnected', message: 'The agent is not connected' };
    const retryId = createJob(
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

  cancel(jobId: string): JobCommandResult {
    const active = this.#active.get(jobId);
    if (!active) {
      return findJob(this.deps.db, jobId)
        ? { ok: false, code: 'conflict', message: 'The job has already ended' }
        : { ok: false, code: 'not_found', message: 'No such job' };
    }
    this.#end(jobId, 'cancelled', { code: 'cancelled_by_support', message: 'Avbrutet av support' });
    this.deps.connections.bySession(active.agentSessionId)?.cancelJob(jobId);
    return { ok: true, jobId };
  }

  /** A step report from an agent: stored once, in order, and only from the job's own agent. */
  async handleStep(agentId: string, agentSessionId: string, report: StepReport): Promise<SequenceAck> {
    const active = this.#active.get(report.jobId);
    if (!active) return this.#answerForEndedJob(agentId, report.jobId, report.sequence);
    if (active.agentId !== agentId) return this.#refuseIntruder(report.jobId, agentId);
    if (report.sequence <= active.lastSequence) return { ok: true, lastSequence: active.lastSequence };
    if (report.sequence > active.lastSequence + 1) {
      return refused('conflict', 'An earlier step is missing', active.lastSequence);
    }
    // Claimed before the write, so a report arriving meanwhile is judged against it.
    active.lastSequence = report.sequence;
    this.#adopt(report.jobId, active, agentSessionId);
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
    if (active.agentId !== agentId) return this.#refuseIntruder(outcome.jobId, agentId);
    if (outcome.sequence > active.lastSequence + 1) {
      return refused('conflict', 'An earlier step is missing', active.lastSequence);
    }
    this.#adopt(outcome.jobId, active, agentSessionId);
    this.#steps.flush();
    this.#end(outcome.jobId, outcome.state, outcome.error ?? null, outcome.sequence);
    return { ok: true, lastSequence: outcome.sequence };
  }

  /**
   * An agent said hello after (re)connecting. Its jobs that it still knows continue on this connection;
   * the ones it does not know died with its previous process and fail now rather than at a timeout.
   */
  agentResumed(agentId: string, agentSessionId: string, activeJobIds: readonly string[]): void {
    for (const [jobId, active] of [...this.#active]) {
      if (active.agentId !== agentId || active.agentSessionId === agentSessionId) continue;
      if (activeJobIds.includes(jobId)) this.#adopt(jobId, active, agentSessionId);
      else
        this.#end(jobId, 'failed', { code: 'agent_disconnected', message: 'SITHS eID-appen startades om' });
    }
  }

  /** The agent's jobs wait `reconnectGraceMs` for it to come back, then fail. */
  agentDisconnected(agentSessionId: string): void {
    for (const [jobId, active] of this.#active) {
      if (active.agentSessionId !== agentSessionId) continue;
      this.#setAgentSession(jobId, active, null);
      this.#arm(jobId, active, this.timeouts.reconnectGraceMs, agentLost);
    }
  }

  /** After a restart no agent is connected yet: every unfinished job waits for its agent. */
  recoverAfterRestart(): void {
    for (const job of listUnfinishedJobs(this.deps.db)) {
      const active = this.#track(job);
      if (!active) continue;
      if (active.agentSessionId) this.#setAgentSession(job.id, active, null);
      this.#arm(job.id, active, this.timeouts.reconnectGraceMs, agentLost);
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#steps.flush();
    for (const active of this.#active.values()) {
      clearTimeout(active.timer);
      clearTimeout(active.listUpdate);
    }
  }

  #track(job: JobRow): ActiveJob | undefined {
    const view = findJobView(this.deps.db, job.id);
    if (!view) return undefined;
    const active: ActiveJob = {
      agentId: job.agentId,
      agentSessionId: job.agentSessionId,
      lastSequence: job.lastSequence,
      view,
    };
    this.#active.set(job.id, active);
    return active;
  }

  async #dispatch(jobId: string): Promise<JobCommandResult> {
    const job = findJob(this.deps.db, jobId)!;
    const active = this.#track(job)!;
    this.#publish(active);
    const channel = this.deps.connections.bySession(job.agentSessionId);
    if (!channel) {
      this.#end(jobId, 'failed', { code: 'agent_disconnected', message: 'Agenten är inte ansluten' });
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
          ...this.#hooks?.offerDetails(job),
        },
        offerMs,
      )
      .catch(() => ({
        accepted: false as const,
        error: { code: 'agent_disconnected' as const, message: 'Agenten svarade inte' },
      }));
    if (!answer.accepted) {
      this.#end(jobId, 'failed', answer.error);
      return { ok: false, code: answer.error.code, message: answer.error.message };
    }
    if (this.#active.has(jobId)) {
      markJobRunning(this.deps.db, jobId, this.#now());
      active.view = { ...active.view, state: 'running' };
      this.#arm(jobId, active, stepMs);
      this.#publish(active);
    }
    return { ok: true, jobId };
  }

  #answerForEndedJob(agentId: string, jobId: string, sequence: number): SequenceAck {
    const job = findJob(this.deps.db, jobId);
    if (!job) return refused('not_found', 'No such job');
    if (job.agentId !== agentId) return this.#refuseIntruder(jobId, agentId);
    if (sequence <= job.lastSequence) return { ok: true, lastSequence: job.lastSequence };
    return refused('forbidden', `The job is ${job.state}`, job.lastSequence);
  }

  #refuseIntruder(jobId: string, agentId: string): SequenceAck {
    this.deps.logger.warn({ jobId, agentId }, 'refused a report from an agent that does not own the job');
    return refused('forbidden', 'The job belongs to another agent');
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
      cardSerial: view.cardSerial ?? report.card?.cardSerial ?? null,
      updatedAt: this.#now().getTime(),
    };
    this.emit('job-step', stepViewOf(report));
    this.#publishSoon(active);
  }

  #adopt(jobId: string, active: ActiveJob, agentSessionId: string): void {
    if (active.agentSessionId === agentSessionId) return;
    this.#setAgentSession(jobId, active, agentSessionId);
    this.#arm(jobId, active, this.timeouts.stepMs);
  }

  #setAgentSession(jobId: string, active: ActiveJob, agentSessionId: string | null): void {
    active.agentSessionId = agentSessionId;
    assignJobToAgentSession(this.deps.db, jobId, agentSessionId, this.#now());
    active.view = { ...active.view, agentSessionId };
    this.#publish(active);
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
    active.timer = setTimeout(() => {
      if (this.#end(jobId, 'failed', error))
        this.deps.connections.bySession(active.agentSessionId)?.cancelJob(jobId);
    }, ms);
    active.timer.unref();
  }

  #end(
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
    finishJob(
      this.deps.db,
      jobId,
      { state, error, ...(lastSequence !== undefined ? { lastSequence } : {}) },
      this.#now(),
    );
    this.deps.logger.info({ jobId, state, errorCode: error?.code }, 'job ended');
    const row = findJob(this.deps.db, jobId);
    if (row && this.#hooks) {
      try {
        this.#hooks.jobEnded(row);
      } catch (hookError) {
        this.deps.logger.error({ jobId, err: hookError }, 'after-job work failed');
      }
    }
    const ended = findJobView(this.deps.db, jobId);
    if (ended) this.emit('job-updated', ended);
    return true;
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
