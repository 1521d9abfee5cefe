import {
  type CardSnapshot,
  type JobOffer,
  type JobOutcome,
  type JobStepName,
  jobSteps,
  progressAfter,
  type StepReport,
  type StepStatus,
} from '../../protocol/jobs';
import type { CardAccess } from './card-access';
import { isCancellation, JobFailure, toJobFailure } from './job-errors';

export type JobReport =
  | { event: 'job:step'; payload: StepReport }
  | { event: 'job:finished'; payload: JobOutcome };

export interface StepOptions {
  /** Defaults to the offer's stepTimeoutMs. */
  timeoutMs?: number;
}

/**
 * One run of one job: numbers its reports, times its steps and turns whatever a step throws into
 * a reported failure. A step is a function; aborting (cancel, card lost, timeout) is done here,
 * so step functions only do their card work.
 */
export class JobExecution {
  readonly card: CardSnapshot = {};
  private sequence: number;
  private readonly cardLost = new AbortController();
  private stopWatching = () => {};

  constructor(
    readonly offer: JobOffer,
    private readonly cancelled: AbortSignal,
    private readonly report: (report: JobReport) => void,
  ) {
    this.sequence = offer.lastSequence;
  }

  updateCard(snapshot: Partial<CardSnapshot>): void {
    for (const [key, value] of Object.entries(snapshot)) {
      if (value !== undefined) Object.assign(this.card, { [key]: value });
    }
  }

  /** From now on a removed card or an unplugged reader fails the running step at once. */
  watchCard(cards: CardAccess, readerName: string): void {
    this.stopWatching();
    this.stopWatching = cards.onCardLost(readerName, (error) => this.cardLost.abort(error));
  }

  /**
   * Runs one step. A step that changes the card calls `committed()` as soon as the card has taken the
   * change: from then on a lost card, a cancel or a timeout no longer fails the step (what is left, like
   * reading back a counter, is only for the report), because the card is already changed.
   */
  async step<T>(
    name: JobStepName,
    run: (signal: AbortSignal, committed: () => void) => Promise<T>,
    options: StepOptions = {},
  ) {
    if (this.cancelled.aborted) throw toJobFailure(this.cancelled.reason);
    const startedAt = Date.now();
    this.emitStep(name, 'started', this.progressBefore(name));
    const timeout = stepTimeout(options.timeoutMs ?? this.offer.stepTimeoutMs);
    const signal = AbortSignal.any([this.cancelled, this.cardLost.signal, timeout.signal]);
    let isCommitted = false;
    try {
      const work = run(signal, () => {
        isCommitted = true;
      });
      const result = await untilAborted(work, signal, () => isCommitted);
      const durationMs = Date.now() - startedAt;
      this.emitStep(name, 'succeeded', progressAfter(this.offer.kind, name), { durationMs });
      return result;
    } catch (error) {
      const failure = toJobFailure(signal.aborted && !isCommitted ? signal.reason : error);
      this.updateCard(failure.card);
      const durationMs = Date.now() - startedAt;
      this.emitStep(name, 'failed', this.progressBefore(name), { durationMs, error: failure.jobError });
      throw failure;
    } finally {
      timeout.clear();
    }
  }

  finish(failure: JobFailure | undefined): JobOutcome {
    this.stopWatching();
    const state = !failure ? 'succeeded' : isCancellation(failure.code) ? 'cancelled' : 'failed';
    const outcome: JobOutcome = {
      jobId: this.offer.jobId,
      sequence: ++this.sequence,
      state,
      at: Date.now(),
      ...(failure ? { error: failure.jobError } : {}),
    };
    this.report({ event: 'job:finished', payload: outcome });
    return outcome;
  }

  private emitStep(name: JobStepName, status: StepStatus, progress: number, extra: Partial<StepReport> = {}) {
    const card = { ...this.card };
    const report: StepReport = {
      jobId: this.offer.jobId,
      sequence: ++this.sequence,
      step: name,
      status,
      at: Date.now(),
      progress,
      ...(Object.keys(card).length ? { card } : {}),
      ...extra,
    };
    this.report({ event: 'job:step', payload: report });
  }

  private progressBefore(name: JobStepName): number {
    const steps: readonly JobStepName[] = jobSteps[this.offer.kind];
    const previous = steps[steps.indexOf(name) - 1];
    return previous ? progressAfter(this.offer.kind, previous) : 0;
  }
}

function stepTimeout(ms: number) {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new JobFailure('step_timeout', `the step took longer than ${ms} ms`)),
    ms,
  );
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/**
 * Stops waiting when the signal aborts, even if the work (an APDU in flight) cannot stop; once the work
 * has committed, it is waited for whatever the signal says.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal, committed: () => boolean): Promise<T> {
  work.catch(() => {});
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      if (!committed()) reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
