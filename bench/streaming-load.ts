import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { ReportOutbox } from '../card-agent/jobs/report-outbox';
import { connectToServer, listenForJobs } from '../card-agent/server-link';
import type { ReaderState } from '../protocol/agent-events';
import {
  type CardSnapshot,
  type JobOfferAnswer,
  jobOfferSchema,
  jobSteps,
  progressAfter,
  type StepReport,
} from '../protocol/jobs';
import { type ConnectedAgentView, type JobView, supportNamespace } from '../protocol/support-events';

/**
 * The load side of the streaming benchmark: simulated agents built on the real agent's protocol code
 * (server link, job offers, report outbox), a support client that watches every job, and the same
 * traffic over plain `ws` for the floor. Latency is taken on one clock: all of them run in this process.
 */

const silent = pino({ level: 'silent' });
export const readerName = 'Virtual PCD 00 00';
const reader: ReaderState = { name: readerName, cardPresent: true, atr: '3b8c8001597562696b657934c35' };
const card: CardSnapshot = {
  readerName,
  atr: reader.atr!,
  cardSerial: '9752269885719985027',
  pinTriesLeft: 3,
};

/** A card check's steps, each started then succeeded, as the real agent reports them; repeated. */
const stepCycle = jobSteps.card_check.flatMap((step, index) => {
  const cardKnown = index >= jobSteps.card_check.indexOf('card_read');
  const progress = progressAfter('card_check', step);
  return [
    { step, status: 'started' as const, progress: Math.max(0, progress - 20) },
    {
      step,
      status: 'succeeded' as const,
      progress,
      durationMs: 180 + index * 40,
      ...(cardKnown ? { card } : {}),
    },
  ];
});

export function stepReport(jobId: string, sequence: number): StepReport {
  return { jobId, sequence, at: Date.now(), ...stepCycle[(sequence - 1) % stepCycle.length]! };
}

/** Send-to-receive time of every step, on this process's monotonic clock. */
export class LatencyRecorder {
  readonly #sentAt = new Map<string, number>();
  readonly latenciesMs: number[] = [];
  firstSentAt = Number.NaN;
  lastReceivedAt = Number.NaN;

  sent(jobId: string, sequence: number): void {
    const now = performance.now();
    if (Number.isNaN(this.firstSentAt)) this.firstSentAt = now;
    this.#sentAt.set(`${jobId}:${sequence}`, now);
  }

  received(jobId: string, sequence: number): void {
    const key = `${jobId}:${sequence}`;
    const sentAt = this.#sentAt.get(key);
    if (sentAt === undefined) return;
    this.#sentAt.delete(key);
    this.lastReceivedAt = performance.now();
    this.latenciesMs.push(this.lastReceivedAt - sentAt);
  }

  get pending(): number {
    return this.#sentAt.size;
  }

  async drained(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.pending > 0 && performance.now() < deadline) await delay(50);
  }
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function withTimeout<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what()}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function connected(socket: Socket, timeoutMs: number): Promise<void> {
  if (socket.connected) return Promise.resolve();
  let lastError = 'no connect_error';
  const onError = (error: Error) => {
    lastError = error.message;
  };
  socket.on('connect_error', onError);
  const connect = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return withTimeout(connect, timeoutMs, () => `connect (last error: ${lastError})`).finally(() =>
    socket.off('connect_error', onError),
  );
}

/** Anything that can send one step report now. */
export interface StepSender {
  sendStep(recorder: LatencyRecorder): void;
}

/** A simulated agent: the real server link and report outbox; it accepts every job and streams steps. */
export class SimulatedAgent implements StepSender {
  readonly link: ReturnType<typeof connectToServer>;
  readonly #outbox: ReportOutbox;
  jobId: string | undefined;
  #sequence = 0;

  constructor(serverUrl: string, deviceToken: string) {
    this.link = connectToServer({
      serverUrl,
      deviceToken,
      logger: silent,
      currentReaders: () => [reader],
      activeJobIds: () => (this.jobId ? [this.jobId] : []),
    });
    this.#outbox = new ReportOutbox(this.link.socket, silent, { ackTimeoutMs: 60_000 });
    listenForJobs(
      this.link.socket,
      {
        offer: async (raw): Promise<JobOfferAnswer> => {
          const offer = jobOfferSchema.parse(raw);
          this.jobId = offer.jobId;
          this.#sequence = offer.lastSequence;
          return { accepted: true };
        },
        cancel: () => {},
        supportMessage: () => {},
      },
      silent,
    );
  }

  connected(timeoutMs: number): Promise<void> {
    return connected(this.link.socket, timeoutMs);
  }

  sendStep(recorder: LatencyRecorder): void {
    if (!this.jobId) return;
    this.#sequence += 1;
    recorder.sent(this.jobId, this.#sequence);
    this.#outbox.enqueue({ event: 'job:step', payload: stepReport(this.jobId, this.#sequence) });
  }

  /** Ends the job as succeeded; resolves when the server has acknowledged every report. */
  finish(): Promise<void> {
    if (this.jobId) {
      const outcome = { jobId: this.jobId, sequence: this.#sequence + 1, at: Date.now() };
      this.#outbox.enqueue({ event: 'job:finished', payload: { ...outcome, state: 'succeeded' } });
    }
    return this.#outbox.drained();
  }

  close(): void {
    this.#outbox.close();
    this.link.close();
  }
}

/** Support's live view: knows every connected agent's session and records each watched step. */
export class SupportClient {
  readonly socket: Socket;
  readonly sessionByAgentName = new Map<string, string>();
  updates = 0;
  updateBytes = 0;
  recorder: LatencyRecorder | undefined;

  /** `reconnection`: as the support page does, through a balancer to another process when its own goes. */
  constructor(serverUrl: string, cookieHeader: string, options: { reconnection?: boolean } = {}) {
    this.socket = io(`${serverUrl}${supportNamespace}`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: options.reconnection ?? false,
      extraHeaders: { cookie: cookieHeader },
    });
    const known = (agent: ConnectedAgentView) =>
      this.sessionByAgentName.set(agent.agentName, agent.agentSessionId);
    this.socket.on('agents:snapshot', (agents: ConnectedAgentView[]) => agents.forEach(known));
    this.socket.on('agent:updated', known);
    this.socket.on('job:step', (step: { jobId: string; sequence: number }) =>
      this.recorder?.received(step.jobId, step.sequence),
    );
    this.socket.on('job:updated', (job: JobView) => {
      // Sizing a few is enough for the floor's update messages; stringifying all would load this process.
      if (++this.updates <= 200) this.updateBytes += JSON.stringify(['job:updated', job]).length;
    });
  }

  connected(timeoutMs: number): Promise<void> {
    return connected(this.socket, timeoutMs);
  }

  get averageUpdateBytes(): number {
    return Math.round(this.updateBytes / Math.max(1, Math.min(this.updates, 200)));
  }

  /** Starts a card check on the agent and watches it; the agent has accepted it when this resolves. */
  async startWatchedCardCheck(agentName: string): Promise<string> {
    const agentSessionId = this.sessionByAgentName.get(agentName);
    if (!agentSessionId) throw new Error(`support does not see ${agentName}`);
    const started = await this.#call('support:start-card-check', { agentSessionId, readerName });
    if (!started.ok || typeof started.jobId !== 'string') {
      throw new Error(`card check not started: ${JSON.stringify(started)}`);
    }
    const watched = await this.#call('support:watch-job', { jobId: started.jobId });
    if ('ok' in watched && watched.ok === false) throw new Error(`cannot watch: ${JSON.stringify(watched)}`);
    return started.jobId;
  }

  #call(event: string, payload: unknown): Promise<{ ok?: boolean; jobId?: unknown }> {
    return this.socket.timeout(60_000).emitWithAck(event, payload);
  }

  close(): void {
    this.socket.close();
  }
}

function opened(socket: WebSocket, timeoutMs: number): Promise<void> {
  const open = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return withTimeout(open, timeoutMs, () => 'ws open');
}

/** The floor's agent: the same step reports, as plain JSON over `ws`. */
export class RawAgent implements StepSender {
  readonly socket: WebSocket;
  readonly #jobId = randomUUID();
  #sequence = 0;

  constructor(relayUrl: string) {
    this.socket = new WebSocket(`${relayUrl}/agent`);
    this.socket.on('message', () => {});
  }

  opened(timeoutMs: number): Promise<void> {
    return opened(this.socket, timeoutMs);
  }

  sendStep(recorder: LatencyRecorder): void {
    this.#sequence += 1;
    recorder.sent(this.#jobId, this.#sequence);
    this.socket.send(JSON.stringify(['job:step', stepReport(this.#jobId, this.#sequence)]));
  }

  close(): void {
    this.socket.terminate();
  }
}

/** The floor's support client: parses everything it gets, as a browser would. */
export class RawSubscriber {
  readonly socket: WebSocket;

  constructor(relayUrl: string, recorder: LatencyRecorder) {
    this.socket = new WebSocket(`${relayUrl}/subscriber`);
    this.socket.on('message', (data) => {
      const [event, body] = JSON.parse(data.toString()) as [string, { jobId: string; sequence: number }];
      if (event === 'job:step') recorder.received(body.jobId, body.sequence);
    });
  }

  opened(timeoutMs: number): Promise<void> {
    return opened(this.socket, timeoutMs);
  }

  close(): void {
    this.socket.terminate();
  }
}

/**
 * Every sender sends `rate` steps a second for `seconds`, each on its own timer with a random phase,
 * so the load is steady rather than in bursts. Resolves when the last step has been sent.
 */
export function streamSteps(
  senders: StepSender[],
  recorder: LatencyRecorder,
  options: { rate: number; seconds: number },
): Promise<void> {
  const periodMs = 1000 / options.rate;
  const stepsEach = Math.max(1, Math.round(options.rate * options.seconds));
  return Promise.all(
    senders.map(
      (sender) =>
        new Promise<void>((resolve) => {
          let sent = 0;
          const sendOne = () => {
            sender.sendStep(recorder);
            if (++sent < stepsEach) return;
            clearInterval(interval);
            resolve();
          };
          let interval: NodeJS.Timeout | undefined;
          setTimeout(() => {
            interval = setInterval(sendOne, periodMs);
            sendOne();
          }, Math.random() * periodMs);
        }),
    ),
  ).then(() => undefined);
}

/** Runs `task` over `items`, `size` at a time; stops at the first batch that fails. */
export async function inBatches<Item>(
  items: Item[],
  size: number,
  task: (item: Item) => Promise<unknown>,
): Promise<void> {
  for (let start = 0; start < items.length; start += size) {
    await Promise.all(items.slice(start, start + size).map(task));
  }
}
