import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from './logger';
import { type PeriodicTask, startPeriodicTask } from './periodic-task';

function loggedLines() {
  const lines: Array<{ msg: string; err?: { message: string } }> = [];
  const logger = createLogger('info', { write: (line: string) => lines.push(JSON.parse(line)) });
  return { lines, logger };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

describe('startPeriodicTask', () => {
  let task: PeriodicTask | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await task?.stop();
    task = undefined;
  });

  it('waits for the first run when asked, runs again every interval, and never two at once', async () => {
    vi.useFakeTimers();
    const { logger } = loggedLines();
    let runs = 0;
    let going = 0;
    let mostAtOnce = 0;
    let release = deferred();
    task = await startPeriodicTask({
      logger,
      failureMessage: 'failed',
      intervalMs: 1_000,
      firstRun: 'wait',
      run: async () => {
        runs += 1;
        going += 1;
        mostAtOnce = Math.max(mostAtOnce, going);
        if (runs > 1) await release.promise;
        going -= 1;
      },
    });
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toBe(2);
    // The second run is still going: three more intervals start nothing.
    await vi.advanceTimersByTimeAsync(3_000);
    expect(runs).toBe(2);
    release.resolve();
    await task.idle();
    release = deferred();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toBe(3);
    expect(mostAtOnce).toBe(1);
    release.resolve();
  });

  it('logs a failed run, keeps going, and runs again at the next interval', async () => {
    vi.useFakeTimers();
    const { lines, logger } = loggedLines();
    let runs = 0;
    task = await startPeriodicTask({
      logger,
      failureMessage: 'the sweep failed',
      intervalMs: 1_000,
      firstRun: 'wait',
      run: async () => {
        runs += 1;
        if (runs === 1) throw new Error('database is locked');
      },
    });
    expect(lines.map((line) => [line.msg, line.err?.message])).toEqual([
      ['the sweep failed', 'database is locked'],
    ]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toBe(2);
    expect(lines).toHaveLength(1);
  });

  it('starts the first run without waiting for it, or not before one interval', async () => {
    vi.useFakeTimers();
    const { logger } = loggedLines();
    const release = deferred();
    let backgroundRuns = 0;
    task = await startPeriodicTask({
      logger,
      failureMessage: 'failed',
      intervalMs: 1_000,
      firstRun: 'background',
      run: async () => {
        backgroundRuns += 1;
        await release.promise;
      },
    });
    expect(backgroundRuns).toBe(1);
    release.resolve();
    await task.stop();

    let laterRuns = 0;
    task = await startPeriodicTask({
      logger,
      failureMessage: 'failed',
      intervalMs: 1_000,
      firstRun: 'none',
      run: async () => {
        laterRuns += 1;
      },
    });
    expect(laterRuns).toBe(0);
    await vi.advanceTimersByTimeAsync(999);
    expect(laterRuns).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(laterRuns).toBe(1);
  });

  it('stop waits for the run going on and ends the timer', async () => {
    vi.useFakeTimers();
    const { logger } = loggedLines();
    const release = deferred();
    let runs = 0;
    let finished = false;
    task = await startPeriodicTask({
      logger,
      failureMessage: 'failed',
      intervalMs: 1_000,
      firstRun: 'none',
      run: async () => {
        runs += 1;
        await release.promise;
        finished = true;
      },
    });
    await vi.advanceTimersByTimeAsync(1_000);
    let stopped = false;
    const stopping = task.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    release.resolve();
    await stopping;
    expect(finished).toBe(true);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toBe(1);
  });
});
