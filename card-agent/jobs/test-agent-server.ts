/** A tiny server side of the agent contract, for the agent's tests: stores each (jobId, sequence) once, in order. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import {
  type AgentToServerEvents,
  agentNamespace,
  type SequenceAck,
  type ServerToAgentEvents,
} from '../../protocol/agent-events';
import type { JobOffer, JobOfferAnswer, JobOutcome, StepReport } from '../../protocol/jobs';

export type Stored = ({ event: 'job:step' } & StepReport) | ({ event: 'job:finished' } & JobOutcome);
/** 'no-ack': not stored, not acknowledged; 'lose-ack': stored, but the ack never arrives. */
type Answer = SequenceAck | 'no-ack' | 'lose-ack' | undefined;

export const TEST_TOKEN = 'test-device-token-0123456789';

export class TestAgentServer {
  readonly stored = new Map<string, Stored[]>();
  /** Every report as it arrived, duplicates included. */
  readonly received: Stored[] = [];
  /** A test's say on a report before it is stored: an answer of its own, 'no-ack', or undefined to store it. */
  intercept: (report: Stored) => Answer = () => undefined;
  /** Where a job's reports start, for a job offered with lastSequence > 0. */
  readonly firstSequence = new Map<string, number>();
  private agent: Socket<AgentToServerEvents, ServerToAgentEvents> | undefined;
  private connectWaiters: Array<() => void> = [];

  private constructor(
    private readonly io: Server,
    readonly url: string,
  ) {
    const namespace = io.of(agentNamespace);
    namespace.use((socket, next) =>
      next(socket.handshake.auth?.token === TEST_TOKEN ? undefined : new Error('unauthorized')),
    );
    namespace.on('connection', (socket: Socket<AgentToServerEvents, ServerToAgentEvents>) => {
      this.agent = socket;
      socket.on('agent:hello', (_hello, ack) => ack({ ok: true }));
      socket.on('agent:reader-event', (_event, ack) => ack({ ok: true }));
      socket.on('job:step', (report, ack) => this.take({ event: 'job:step', ...report }, ack));
      socket.on('job:finished', (outcome, ack) => this.take({ event: 'job:finished', ...outcome }, ack));
      for (const resolve of this.connectWaiters.splice(0)) resolve();
    });
  }

  static async start(): Promise<TestAgentServer> {
    const http = createServer();
    const io = new Server(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return new TestAgentServer(io, `http://127.0.0.1:${(http.address() as AddressInfo).port}`);
  }

  get connected(): boolean {
    return this.agent?.connected ?? false;
  }

  whenConnected(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => this.connectWaiters.push(resolve));
  }

  async offer(offer: JobOffer | Record<string, unknown>): Promise<JobOfferAnswer> {
    await this.whenConnected();
    return this.agent!.timeout(10_000).emitWithAck('job:offer', offer as JobOffer);
  }

  /** Sends anything as any server event, to see the agent refuse it. */
  emitRaw(event: string, ...args: unknown[]): void {
    (this.agent as unknown as { emit(event: string, ...args: unknown[]): void }).emit(event, ...args);
  }

  cancel(jobId: string): void {
    this.agent?.emit('job:cancel', { jobId });
  }

  message(text: string, jobId?: string): void {
    this.agent?.emit('support:message', {
      text,
      from: 'Support',
      at: Date.now(),
      ...(jobId ? { jobId } : {}),
    });
  }

  /** Drops the connection as a network failure would; the agent reconnects by itself. */
  dropConnection(): void {
    this.agent?.conn.close();
  }

  reports(jobId: string): Stored[] {
    return this.stored.get(jobId) ?? [];
  }

  async waitForOutcome(jobId: string, timeoutMs = 15_000): Promise<Stored> {
    return this.waitFor(jobId, (report) => report.event === 'job:finished', timeoutMs);
  }

  async waitFor(jobId: string, match: (report: Stored) => boolean, timeoutMs = 15_000): Promise<Stored> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.reports(jobId).find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching report for job ${jobId} in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.io.close(() => resolve()));
  }

  private take(report: Stored, ack: (result: SequenceAck) => void): void {
    this.received.push(report);
    const answer = this.intercept(report);
    if (answer === 'no-ack') return;
    if (answer && answer !== 'lose-ack') {
      ack(answer);
      return;
    }
    const result = this.store(report);
    if (answer !== 'lose-ack') ack(result);
  }

  private store(report: Stored): SequenceAck {
    const list = this.stored.get(report.jobId) ?? [];
    this.stored.set(report.jobId, list);
    const last = list.length
      ? list[list.length - 1]!.sequence
      : (this.firstSequence.get(report.jobId) ?? 1) - 1;
    if (report.sequence > last + 1)
      return { ok: false, code: 'conflict', message: 'gap', lastSequence: last };
    if (report.sequence === last + 1) list.push(report);
    return { ok: true, lastSequence: Math.max(last, report.sequence) };
  }
}
