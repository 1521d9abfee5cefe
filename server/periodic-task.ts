import type { Logger } from './logger';

export interface PeriodicTaskOptions {
  logger: Logger;
  /** Logged with the error when a run fails. */
  failureMessage: string;
  intervalMs: number;
  /** The work of one run. */
  run: () => Promise<unknown>;
  /**
   * `wait`: the first run happens at start and the start waits for it; `background`: it starts at once and
   * the start does not wait; `none`: the first run comes after one interval.
   */
  firstRun: 'wait' | 'background' | 'none';
}

export interface PeriodicTask {
  /** Settles when the run that is going on, if any, has ended. */
  idle(): Promise<void>;
  /** Stops the timer and waits for a run still going on. */
  stop(): Promise<void>;
}

/**
 * Runs `run` every `intervalMs`, never two at once in this process. A failed run (a locked database, a
 * directory that does not answer) is logged and never takes the server down; the next one tries again.
 */
export async function startPeriodicTask(options: PeriodicTaskOptions): Promise<PeriodicTask> {
  let running: Promise<void> | undefined;
  const runLogged = async () => {
    try {
      await options.run();
    } catch (error) {
      options.logger.error({ err: error }, options.failureMessage);
    }
  };
  const tick = () => {
    running ??= runLogged().finally(() => {
      running = undefined;
    });
    return running;
  };
  if (options.firstRun === 'wait') await tick();
  else if (options.firstRun === 'background') void tick();
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  const idle = async () => {
    await running;
  };
  return {
    idle,
    async stop() {
      clearInterval(timer);
      await idle();
    },
  };
}
