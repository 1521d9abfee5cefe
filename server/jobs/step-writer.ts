import type { createStepStore } from '../../db/jobs';
import type { StepReport } from '../../protocol/jobs';

interface PendingStep {
  report: StepReport;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers the step reports that arrive in one turn of the event loop and commits them together, so a
 * thousand streaming agents cost a few commits per tick instead of one each. A report's promise settles
 * once its transaction has committed: the agent's ack means "stored".
 */
export class StepWriter {
  #pending: PendingStep[] = [];
  #scheduled = false;

  constructor(
    private readonly store: ReturnType<typeof createStepStore>,
    private readonly now: () => Date,
  ) {}

  write(report: StepReport): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ report, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  flush(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    try {
      this.store.append(
        batch.map((pending) => pending.report),
        this.now(),
      );
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    for (const pending of batch) pending.resolve();
  }
}
