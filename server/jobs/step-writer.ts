import type { createStepStore } from '../../db/jobs';
import type { StepReport } from '../../protocol/jobs';

interface PendingStep {
  report: StepReport;
  /** The job's deadline once this step is stored. */
  deadlineAt: Date;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers step reports and commits them together, so a thousand streaming agents cost a few commits a
 * second instead of one each. One transaction is open at a time; what arrives while it runs goes in the
 * next one, whole (batches cut at every event-loop turn queued behind each other: on PostgreSQL, with four
 * round trips a transaction, a process stored ~500 steps/s in batches of one or two). A report's promise
 * settles once its transaction has committed: the agent's ack means "stored". Batches commit one after
 * another, so a job's steps reach the database in the order the engine accepted them.
 */
export class StepWriter {
  #pending: PendingStep[] = [];
  #scheduled = false;
  #committed: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ReturnType<typeof createStepStore>,
    private readonly now: () => Date,
  ) {}

  write(report: StepReport, deadlineAt: Date): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ report, deadlineAt, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Commits the reports gathered so far; settles when they and every earlier batch are stored or refused. */
  flush(): Promise<void> {
    this.#scheduled = false;
    this.#committed = this.#committed.then(() => {
      const batch = this.#pending;
      this.#pending = [];
      return this.#commit(batch);
    });
    return this.#committed;
  }

  async #commit(batch: PendingStep[]): Promise<void> {
    if (batch.length === 0) return;
    try {
      // Later steps of a job come later in the batch: their deadline is the one that stands.
      const deadlines = new Map(batch.map((pending) => [pending.report.jobId, pending.deadlineAt]));
      await this.store.append(
        batch.map((pending) => pending.report),
        this.now(),
        deadlines,
      );
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    for (const pending of batch) pending.resolve();
  }
}
