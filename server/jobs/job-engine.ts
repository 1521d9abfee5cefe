import { EventEmitter } from 'node:events';
import { findAgentById } from '../../db/agents';
import type { AppDatabase } from '../../db/connection';
import {
  assignJobToAgentSession,
  createJob,
  findJob,
  findJobView,
  finishJob,
  type JobRow,
  listUnfinishedJobs,
  markJobRunning,
  recordStep,
} from '../../db/jobs';
import type { ProtocolErrorCode, SequenceAck } from '../../protocol/agent-events';
import type { JobError, JobErrorCode, JobKind, JobOutcome, StepReport } from '../../protocol/jobs';
import type { JobStepView, JobView } from '../../protocol/support-events';
import type { Logger } from '../logger';
import type { AgentConnections } from './agent-connections';

export interface JobTimeouts {
  /** How long the agent may take to accept an offer. */
  offerMs: number;
  /** How long any step but a user prompt may run before the job fails. */
  stepMs: number;
  /** How long the user has to type a code. */
  userPromptMs: number;
  /** How long a job waits for its agent to come back after a disconnect. */
  reconnectGraceMs: number;
}

export const defaultJobTimeouts: JobTimeouts = {
  offerMs: 10_000,
  stepMs: 30_000,
  userPromptMs: 120_000,
  reconnectGraceMs: 15_000,
};

/** Who asks for a job: the job keeps running only while this login session is valid. */
export interface JobActor {
  userId: string;
  sessionId: string;
}

export type JobCommandResult =
  | { ok: true; jobId: string }
  | { ok: false; code: ProtocolErrorCode | JobErrorCode; message: string };

interface JobEngineEvents {
  'job-updated': [JobView];
  'job-step': [JobStepView];
}

const refused = (code: ProtocolErrorCode, message: string, lastSequence?: number): SequenceAck => ({
  ok: false,
  code,
  message,
  ...(lastSequence !== undefined ? { lastSequence } : {}),
});

/**
 * Dispatches card jobs to agents, stores every step they report (once, in order), enforces step
 * timeouts, and cancels, retries and fails jobs. Job state lives in the database, so a restarted
 * server picks up where it was when the agents reconnect.
 */
export class JobEngine extends EventEmitter<JobEngineEvents> {
  readonly #timers = new Map<string, NodeJS.Timeout>();

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
  }

  get timeouts(): JobTimeouts {
    return { ...defaultJobTimeouts, ...this.deps.timeouts };
  }

  #now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** The demo job: read the card in `readerName` and verify its PIN in the agent's own UI. */
  async startCardCheck(input: {
    agentSessionId: string;
    readerName: string;
    actor: JobActor;
  }): Promise<JobCommandResult> {
    const channel = this.deps.connections.bySession(input.agentSessionId);
    if (!channel) return { ok: false, code: 'not_found', message: 'The agent is not connected' };
    const jobId = createJob(
      this.deps.db,
      {
        kind: 'card_check',
        agentId: channel.agentId,
        agentSessionId: channel.agentSessionId,
        readerName: input.readerName,
        cardSerial: null,
        personId: findAgentById(this.deps.db, channel.agentId)?.personId ?? null,
        createdByUserId: input.actor.userId,
        createdBySessionId: input.actor.sessionId,
      },
      this.#now(),
    );
    return this.#dispatch(jobId);
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
        createdByUserId: job.createdByUserId!,
        createdBySessionId: job.createdBySessionId,
        retryOfJobId: job.id,
      },
      this.#now(),
    );
    return this.#dispatch(retryId);
  }

  cancel(jobId: string): JobCommandResult {
    const job = findJob(this.deps.db, jobId);
    if (!job) return { ok: false, code: 'not_found', message: 'No such job' };
    const cancelled = this.#end(job.id, 'cancelled', {
      code: 'cancelled_by_support',
      message: 'Avbrutet av support',
    });
    if (!cancelled) return { ok: false, code: 'conflict', message: 'The job has already ended' };
    this.deps.connections.bySession(job.agentSessionId)?.cancelJob(job.id);
    return { ok: true, jobId: job.id };
  }

  /** A step report from an agent: stored once, in order, and only from the job's own agent. */
  handleStep(agentId: string, agentSessionId: string, report: StepReport): SequenceAck {
    const job = findJob(this.deps.db, report.jobId);
    const refusal = this.#refuseReport(job, agentId, report.sequence);
    if (refusal) return refusal;
    this.#adopt(job!, agentSessionId);
    const stored = recordStep(this.deps.db, report);
    if (stored === 'gap') return refused('conflict', 'An earlier step is missing', job!.lastSequence);
    if (stored === 'stored') {
      const waitsForUser = report.step === 'waiting_for_user' && report.status === 'started';
      this.#arm(job!.id, waitsForUser ? this.timeouts.userPromptMs : this.timeouts.stepMs);
      this.emit('job-step', {
        jobId: report.jobId,
        sequence: report.sequence,
        step: report.step,
        status: report.status,
        at: report.at,
        durationMs: report.durationMs ?? null,
        progress: report.progress,
        card: report.card ?? null,
        error: report.error ?? null,
      });
      this.#publish(report.jobId);
    }
    return { ok: true, lastSequence: Math.max(report.sequence, job!.lastSequence) };
  }

  handleOutcome(agentId: string, agentSessionId: string, outcome: JobOutcome): SequenceAck {
    const job = findJob(this.deps.db, outcome.jobId);
    const refusal = this.#refuseReport(job, agentId, outcome.sequence);
    if (refusal) return refusal;
    if (outcome.sequence > job!.lastSequence + 1) {
      return refused('conflict', 'An earlier step is missing', job!.lastSequence);
    }
    this.#adopt(job!, agentSessionId);
    this.#end(job!.id, outcome.state, outcome.error ?? null, outcome.sequence);
    return { ok: true, lastSequence: outcome.sequence };
  }

  /**
   * An agent said hello after (re)connecting. Its jobs that it still knows continue on this connection;
   * the ones it does not know died with its previous process and fail now rather than at a timeout.
   */
  agentResumed(agentId: string, agentSessionId: string, activeJobIds: readonly string[]): void {
    for (const job of listUnfinishedJobs(this.deps.db)) {
      if (job.agentId !== agentId || job.agentSessionId === agentSessionId) continue;
      if (activeJobIds.includes(job.id)) this.#adopt(job, agentSessionId);
      else
        this.#end(job.id, 'failed', { code: 'agent_disconnected', message: 'SITHS eID-appen startades om' });
    }
  }

  /** The agent's jobs wait `reconnectGraceMs` for it to come back, then fail. */
  agentDisconnected(agentSessionId: string): void {
    for (const job of listUnfinishedJobs(this.deps.db)) {
      if (job.agentSessionId !== agentSessionId) continue;
      assignJobToAgentSession(this.deps.db, job.id, null, this.#now());
      this.#arm(job.id, this.timeouts.reconnectGraceMs, {
        code: 'agent_disconnected',
        message: 'SITHS eID-appen tappade kontakten med servern',
      });
      this.#publish(job.id);
    }
  }

  /** After a restart no agent is connected yet: every unfinished job waits for its agent. */
  recoverAfterRestart(): void {
    for (const job of listUnfinishedJobs(this.deps.db)) {
      if (job.agentSessionId) this.agentDisconnected(job.agentSessionId);
    }
  }

  stop(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  async #dispatch(jobId: string): Promise<JobCommandResult> {
    const job = findJob(this.deps.db, jobId)!;
    const channel = this.deps.connections.bySession(job.agentSessionId);
    this.#publish(jobId);
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
    markJobRunning(this.deps.db, jobId, this.#now());
    this.#arm(jobId, stepMs);
    this.#publish(jobId);
    return { ok: true, jobId };
  }

  #refuseReport(job: JobRow | undefined, agentId: string, sequence: number): SequenceAck | undefined {
    if (!job) return refused('not_found', 'No such job');
    if (job.agentId !== agentId) {
      this.deps.logger.warn(
        { jobId: job.id, agentId },
        'refused a report from an agent that does not own the job',
      );
      return refused('forbidden', 'The job belongs to another agent');
    }
    if (sequence <= job.lastSequence) return undefined;
    // A quick agent reports its first step before the server has handled the acceptance: queued counts too.
    if (job.finishedAt) return refused('forbidden', `The job is ${job.state}`, job.lastSequence);
    return undefined;
  }

  #adopt(job: JobRow, agentSessionId: string): void {
    if (job.agentSessionId === agentSessionId || job.finishedAt) return;
    assignJobToAgentSession(this.deps.db, job.id, agentSessionId, this.#now());
    this.#arm(job.id, this.timeouts.stepMs);
    this.#publish(job.id);
  }

  #arm(
    jobId: string,
    ms: number,
    error: JobError = { code: 'step_timeout', message: 'Steget tog för lång tid' },
  ) {
    clearTimeout(this.#timers.get(jobId));
    const timer = setTimeout(() => {
      this.#timers.delete(jobId);
      const job = findJob(this.deps.db, jobId);
      if (this.#end(jobId, 'failed', error))
        this.deps.connections.bySession(job?.agentSessionId ?? null)?.cancelJob(jobId);
    }, ms);
    timer.unref();
    this.#timers.set(jobId, timer);
  }

  #end(
    jobId: string,
    state: 'succeeded' | 'failed' | 'cancelled',
    error: JobError | null,
    lastSequence?: number,
  ) {
    const ended = finishJob(
      this.deps.db,
      jobId,
      { state, error, ...(lastSequence !== undefined ? { lastSequence } : {}) },
      this.#now(),
    );
    if (ended) {
      clearTimeout(this.#timers.get(jobId));
      this.#timers.delete(jobId);
      this.deps.logger.info({ jobId, state, errorCode: error?.code }, 'job ended');
      this.#publish(jobId);
    }
    return ended;
  }

  #publish(jobId: string): void {
    const view = findJobView(this.deps.db, jobId);
    if (view) this.emit('job-updated', view);
  }
}
