import { EventEmitter } from 'node:events';
import {
  type JobError,
  type JobErrorCode,
  type JobOffer,
  type JobOfferAnswer,
  type JobOutcome,
  jobOfferSchema,
} from '../../protocol/jobs';
import type { Logger } from '../pcsc/logger';
import type { CardAccess } from './card-access';
import { chooseReader } from './choose-reader';
import { type JobFailure, stoppedWith, toJobFailure } from './job-errors';
import { JobExecution, type JobReport } from './job-execution';
import { type ExchangeWithServer, type JobPlan, jobPlans } from './job-plans';
import type { UserPrompts } from './pin-prompts';

export interface JobRunnerDeps {
  cards: CardAccess;
  prompts: UserPrompts;
  /** Card exchanges with the server, in the middle of a job. */
  exchange: ExchangeWithServer;
  /** Takes every report, in order, for delivery to the server. */
  send(report: JobReport): void;
  /** Reports of a job the server has not acknowledged yet. */
  undelivered(jobId: string): number;
  logger: Logger;
  plans?: Partial<Record<JobOffer['kind'], JobPlan>>;
}

export interface JobRunnerEvents {
  'job-started': [offer: JobOffer, readerName: string];
  /** The offer could not run here (no card, two cards): the user sees why, as the server does. */
  'job-refused': [offer: JobOffer, error: JobError];
  report: [report: JobReport];
}

interface RunningJob {
  jobId: string;
  controller: AbortController;
}

const refuse = (code: JobErrorCode, message: string): JobOfferAnswer => ({
  accepted: false,
  error: { code, message },
});

/** Runs the server's jobs one at a time and reports every step. */
export class JobRunner extends EventEmitter<JobRunnerEvents> {
  private running: RunningJob | undefined;
  private readonly log: Logger;

  constructor(private readonly deps: JobRunnerDeps) {
    super();
    this.log = deps.logger.child({ component: 'job-runner' });
  }

  get runningJobId(): string | undefined {
    return this.running?.jobId;
  }

  async offer(raw: unknown): Promise<JobOfferAnswer> {
    const parsed = jobOfferSchema.safeParse(raw);
    if (!parsed.success) return refuse('internal', 'malformed job offer');
    const offer = parsed.data;
    // A repeated offer after a reconnect: the job runs, or its last reports are still on their way.
    if (this.running?.jobId === offer.jobId || this.deps.undelivered(offer.jobId) > 0)
      return { accepted: true };
    if (this.running) return refuse('agent_busy', 'the agent is running another job');
    const plan = (this.deps.plans ?? jobPlans)[offer.kind];
    if (!plan) return refuse('internal', `this agent version cannot run ${offer.kind} jobs`);
    const running: RunningJob = { jobId: offer.jobId, controller: new AbortController() };
    this.running = running;
    try {
      const readerName = await chooseReader(offer, this.deps.cards);
      running.controller.signal.throwIfAborted();
      void this.execute(offer, plan, readerName, running);
      return { accepted: true };
    } catch (error) {
      this.running = undefined;
      const { jobError } = toJobFailure(error);
      this.log.info({ jobId: offer.jobId, kind: offer.kind, code: jobError.code }, 'job refused');
      this.emit('job-refused', offer, jobError);
      return { accepted: false, error: jobError };
    }
  }

  /** The user pressed Avbryt here, or the server ended the job (its code says why: AVBRYT on Mina sidor, support...). */
  cancel(jobId: string, code: JobErrorCode): boolean {
    if (this.running?.jobId !== jobId) return false;
    this.running.controller.abort(stoppedWith(code));
    return true;
  }

  private async execute(offer: JobOffer, plan: JobPlan, readerName: string, running: RunningJob) {
    const log = this.log.child({ jobId: offer.jobId, kind: offer.kind });
    const execution = new JobExecution(offer, running.controller.signal, (report) => this.publish(report));
    log.info({ readerName }, 'job started');
    this.emit('job-started', offer, readerName);
    let failure: JobFailure | undefined;
    try {
      const { cards, prompts, exchange } = this.deps;
      await plan({ execution, readerName, cards, prompts, exchange });
    } catch (error) {
      failure = toJobFailure(error);
      if (failure.code === 'internal') log.error({ errorName: (error as Error)?.name }, 'job crashed');
    }
    this.running = undefined;
    const outcome: JobOutcome = execution.finish(failure);
    log.info({ state: outcome.state, code: outcome.error?.code }, 'job finished');
  }

  private publish(report: JobReport): void {
    this.deps.send(report);
    this.emit('report', report);
  }
}
