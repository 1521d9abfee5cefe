import type { SequenceAck } from '../../protocol/agent-events';
import type { Logger } from '../pcsc/logger';
import type { AgentSocket } from '../server-link';
import type { JobReport } from './job-execution';

export interface ReportOutboxOptions {
  ackTimeoutMs?: number;
  retryDelayMs?: number;
  /** The server refused a job as not this agent's or gone: its reports are dropped. */
  onJobRefused?: (jobId: string) => void;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Every job report, in order, until the server acknowledges it. Across disconnects the reports
 * wait and go again in order; the server stores each (jobId, sequence) once, so a report whose
 * ack was lost is simply sent again.
 */
export class ReportOutbox {
  private readonly queue: JobReport[] = [];
  private readonly refusedJobs = new Set<string>();
  private readonly ackTimeoutMs: number;
  private readonly retryDelayMs: number;
  private readonly log: Logger;
  private pumping = false;
  private closed = false;
  private wake: (() => void) | undefined;
  private drainWaiters: Array<() => void> = [];

  constructor(
    private readonly socket: AgentSocket,
    logger: Logger,
    private readonly options: ReportOutboxOptions = {},
  ) {
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.log = logger.child({ component: 'report-outbox' });
    socket.on('connect', () => this.wake?.());
  }

  enqueue(report: JobReport): void {
    if (this.closed || this.refusedJobs.has(report.payload.jobId)) return;
    this.queue.push(report);
    void this.pump();
  }

  /** Jobs that still have reports waiting for the server. */
  pendingJobIds(): string[] {
    return [...new Set(this.queue.map((report) => report.payload.jobId))];
  }

  undelivered(jobId: string): number {
    return this.queue.filter((report) => report.payload.jobId === jobId).length;
  }

  /** Resolves when every report so far is acknowledged (or dropped). */
  drained(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        if (!this.socket.connected) await new Promise<void>((resolve) => (this.wake = resolve));
        else await this.deliverHead(this.queue[0]!);
      }
    } finally {
      this.pumping = false;
      this.wake = undefined;
      if (this.queue.length === 0) for (const resolve of this.drainWaiters.splice(0)) resolve();
    }
  }

  private async deliverHead(head: JobReport): Promise<void> {
    let ack: unknown;
    try {
      const socket = this.socket.timeout(this.ackTimeoutMs);
      ack =
        head.event === 'job:step'
          ? await socket.emitWithAck('job:step', head.payload)
          : await socket.emitWithAck('job:finished', head.payload);
    } catch {
      this.log.info({ jobId: head.payload.jobId, sequence: head.payload.sequence }, 'no ack, will resend');
      await delay(this.retryDelayMs);
      return;
    }
    if (!this.settle(head, ack)) await delay(this.retryDelayMs);
  }

  /** Applies the server's answer; false when the report must be sent again. */
  private settle(head: JobReport, ack: unknown): boolean {
    const { jobId, sequence } = head.payload;
    const answer = (typeof ack === 'object' && ack !== null ? ack : {}) as Partial<SequenceAck>;
    const stored = typeof answer.lastSequence === 'number' ? answer.lastSequence : 0;
    if (answer.ok === true) {
      this.dropWhere(
        (report) => report === head || (report.payload.jobId === jobId && report.payload.sequence <= stored),
      );
      return true;
    }
    const code = answer.ok === false ? answer.code : undefined;
    if (code === 'forbidden' || code === 'not_found') {
      this.log.warn({ jobId, code }, 'server refused the job, dropping its reports');
      this.refusedJobs.add(jobId);
      this.dropWhere((report) => report.payload.jobId === jobId);
      this.options.onJobRefused?.(jobId);
      return true;
    }
    if (code === 'invalid_message' || code === 'conflict') {
      this.log.error({ jobId, sequence, code }, 'server refused a report, dropping it');
      this.dropWhere((report) => report === head);
      return true;
    }
    this.log.warn({ jobId, sequence, code }, 'server could not take a report, will resend');
    return false;
  }

  private dropWhere(predicate: (report: JobReport) => boolean): void {
    for (let index = this.queue.length - 1; index >= 0; index--) {
      if (predicate(this.queue[index]!)) this.queue.splice(index, 1);
    }
  }
}
