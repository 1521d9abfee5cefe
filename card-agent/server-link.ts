import { io, type Socket } from 'socket.io-client';
import { z } from 'zod';
import { connectRefusals } from '../protocol/agent-enrolment';
import {
  type Ack,
  type AgentToServerEvents,
  agentNamespace,
  type HelloAck,
  helloAckSchema,
  protocolErrorCodes,
  type ReaderEventKind,
  type ReaderState,
  type ServerToAgentEvents,
  type SupportCodeAnswer,
  type SupportPairingNotice,
} from '../protocol/agent-events';
import {
  type AutoStartAck,
  type CardExchange,
  type CardExchangeAnswer,
  cardExchangeAnswerSchema,
  cardExchangeSchema,
} from '../protocol/card-exchange';
import {
  type JobCancel,
  type JobOfferAnswer,
  jobCancelSchema,
  jobIdSchema,
  type SupportMessage,
  supportMessageSchema,
} from '../protocol/jobs';
import { isSafeText } from '../protocol/safe-text';
import {
  computerName,
  type DeviceCredential,
  operatingSystem,
  signedHandshake,
} from './enrolment/device-credential';
import { JobFailure } from './jobs/job-errors';
import type { Logger } from './pcsc/logger';
import { agentVersion } from './version';

export type AgentSocket = Socket<ServerToAgentEvents, AgentToServerEvents>;

/**
 * The agent's connection to the server's /agent namespace. Socket.IO reconnects by itself; after each
 * (re)connect the agent says hello with its current readers, so the server never shows a stale list.
 */
export function connectToServer(options: {
  serverUrl: string;
  /** A device token (the demo, tests), or an enrolled computer's key; with neither, connect() waits for one. */
  deviceToken?: string;
  credential?: DeviceCredential;
  logger: Logger;
  /** What the server said of this agent's connection: revoked, unknown, and its version. */
  onStanding?: (standing: ServerStanding) => void;
  currentReaders: () => ReaderState[];
  /** Jobs this agent still runs or still has reports for; the server fails the others after a reconnect. */
  activeJobIds?: () => string[];
  /** How long a card exchange or an autostart waits for the server's answer. */
  answerTimeoutMs?: number;
}) {
  const log = options.logger.child({ component: 'server-link' });
  let osName = `${process.platform} ${process.arch}`;
  void operatingSystem().then((name) => {
    osName = name;
  });
  let credential = options.credential;
  const standing = (news: ServerStanding) => options.onStanding?.(news);
  // Called before every (re)connection: an enrolled computer signs a fresh one-time challenge each time.
  // A device key, once there is one, comes before a device token: a server that refuses tokens asks for enrolment.
  const auth = (callback: (data: object) => void) => {
    if (!credential) return callback(options.deviceToken ? { token: options.deviceToken } : {});
    void signedHandshake(credential).then((result) => {
      if (result.ok) return callback(result.handshake);
      if (result.reason !== 'unreachable') stopForGood(result.reason);
      callback({});
    });
  };
  const socket: AgentSocket = io(new URL(agentNamespace, options.serverUrl).href, {
    auth,
    transports: ['websocket'],
    reconnectionDelayMax: 5_000,
    autoConnect: Boolean(options.deviceToken || credential),
  });
  /** A revoked or forgotten computer: retrying changes nothing, so it stops and says why. */
  const stopForGood = (reason: 'revoked' | 'unknown_agent' | 'enrolment_required') => {
    log.warn({ reason }, 'the server refuses this computer; not reconnecting');
    stopped = true;
    socket.io.reconnection(false);
    socket.disconnect();
    standing({ kind: reason });
  };

  const logRefusal = (event: string) => (ack: Ack) => {
    if (!ack.ok) log.warn({ event, code: ack.code, message: ack.message }, 'server refused message');
  };

  socket.on('connect', () => {
    log.info({ serverUrl: options.serverUrl }, 'connected to server');
    socket.emit(
      'agent:hello',
      {
        agentVersion,
        hostname: computerName(),
        os: osName,
        readers: options.currentReaders(),
        activeJobIds: options.activeJobIds?.() ?? [],
      },
      (raw: unknown) => {
        const ack = helloAckSchema.safeParse(raw);
        if (!ack.success) return log.warn('malformed hello answer');
        if (!ack.data.ok) return logRefusal('agent:hello')(ack.data);
        standing({ kind: 'connected', ...(ack.data.version ? { version: ack.data.version } : {}) });
      },
    );
  });
  socket.on('connect_error', (error) => {
    if (error.message === connectRefusals.revoked) return stopForGood('revoked');
    if (error.message === connectRefusals.enrolmentRequired) return stopForGood('enrolment_required');
    log.warn({ message: error.message }, 'cannot reach server, retrying');
  });
  let replaced = false;
  let stopped = false;
  socket.on('disconnect', (reason) => {
    log.info({ reason }, 'disconnected from server');
    // Socket.IO does not come back by itself after the server closed the connection. Unless a newer
    // connection of this computer took over, it asks again: a revoked computer then learns so and stops.
    if (reason === 'io server disconnect' && !replaced && !stopped)
      setTimeout(() => {
        if (!stopped && !replaced && socket.disconnected) socket.connect();
      }, 1_000).unref();
  });
  socket.on('server:error', (error) => log.warn(error, 'server reported an error'));
  // The server closes this connection right after: another program with this device token took over.
  socket.on('agent:replaced', (notice) => {
    replaced = true;
    log.warn({ message: notice.message }, 'replaced by a newer connection');
    standing({ kind: 'replaced' });
  });

  return {
    socket,
    reportReaderEvent(kind: ReaderEventKind, reader: ReaderState) {
      if (!socket.connected) return;
      socket.emit(
        'agent:reader-event',
        { kind, reader, readers: options.currentReaders(), at: Date.now() },
        logRefusal('agent:reader-event'),
      );
    },
    exchange: (request: CardExchange) =>
      exchangeWithServer(socket, request, { timeoutMs: options.answerTimeoutMs ?? 15_000, logger: log }),
    autoStart: (autoStartToken: string) =>
      autoStartWithServer(socket, autoStartToken, {
        timeoutMs: options.answerTimeoutMs ?? 15_000,
        logger: log,
      }),
    requestSupportCode: () =>
      requestSupportCode(socket, { timeoutMs: options.answerTimeoutMs ?? 15_000, logger: log }),
    /** Connects with the credential of a computer that has just enrolled. */
    connectWith(enrolled: DeviceCredential) {
      credential = enrolled;
      stopped = false;
      socket.io.reconnection(true);
      socket.connect();
    },
    close: () => {
      stopped = true;
      socket.close();
    },
  };
}

export type ServerStanding =
  | { kind: 'connected'; version?: HelloVersion }
  | { kind: 'revoked' }
  | { kind: 'unknown_agent' }
  /** The server accepts enrolled computers only, and this one has a device token. */
  | { kind: 'enrolment_required' }
  /** Another program with this computer's credential connected: this one stays off until restarted. */
  | { kind: 'replaced' };
type HelloVersion = NonNullable<Extract<HelloAck, { ok: true }>['version']>;

export type AcceptedExchange = Extract<CardExchangeAnswer, { ok: true }>;

interface AnswerOptions {
  timeoutMs: number;
  logger: Logger;
}

/**
 * One card exchange in the middle of a job. A refusal becomes a JobFailure with the server's code, so the
 * step that asked fails with it. Answers carry secrets (a PUK, a management key): only type and code are logged.
 */
export async function exchangeWithServer(
  socket: AgentSocket,
  request: CardExchange,
  { timeoutMs, logger }: AnswerOptions,
): Promise<AcceptedExchange> {
  const { type, jobId } = request;
  if (!cardExchangeSchema.safeParse(request).success)
    throw new JobFailure('internal', `the agent built a malformed ${type} request`);
  if (!socket.connected)
    throw new JobFailure('agent_disconnected', 'the agent is not connected to the server');
  let raw: unknown;
  try {
    raw = await socket.timeout(timeoutMs).emitWithAck('job:exchange', request);
  } catch {
    throw new JobFailure('agent_disconnected', `the server did not answer the ${type} request in time`);
  }
  const answer = cardExchangeAnswerSchema.safeParse(raw);
  if (!answer.success) {
    logger.warn({ jobId, type }, 'malformed card exchange answer');
    throw new JobFailure('internal', `the server's answer to ${type} was malformed`);
  }
  if (!answer.data.ok) {
    logger.info({ jobId, type, code: answer.data.code }, 'server refused card exchange');
    throw new JobFailure(answer.data.code, answer.data.message);
  }
  logger.info({ jobId, type }, 'card exchange answered');
  return answer.data;
}

const autoStartAckSchema = z.union([
  z.object({ ok: z.literal(true), jobId: jobIdSchema }),
  z.object({ ok: z.literal(false), code: z.string().min(1).max(60), message: z.string().max(500) }),
]);

/** The user's browser handed over a start token: the server claims the waiting job for this agent. */
export async function autoStartWithServer(
  socket: AgentSocket,
  autoStartToken: string,
  { timeoutMs, logger }: AnswerOptions,
): Promise<AutoStartAck> {
  if (!socket.connected)
    return { ok: false, code: 'not_connected', message: 'the agent is not connected to the server' };
  let raw: unknown;
  try {
    raw = await socket.timeout(timeoutMs).emitWithAck('agent:autostart', { autoStartToken });
  } catch {
    return { ok: false, code: 'server_timeout', message: 'the server did not answer in time' };
  }
  const ack = autoStartAckSchema.safeParse(raw);
  if (!ack.success)
    return { ok: false, code: 'internal', message: 'the server answered something unexpected' };
  logger.info(ack.data.ok ? { jobId: ack.data.jobId } : { code: ack.data.code }, 'autostart answered');
  return ack.data;
}

const supportCodeAnswerSchema = z.union([
  z.object({ ok: z.literal(true), supportCode: z.string().regex(/^[0-9]{6}$/), expiresAt: z.number().int() }),
  z.object({ ok: z.literal(false), code: z.enum(protocolErrorCodes), message: z.string().max(500) }),
]);

/**
 * "Få hjälp av support": a fresh one-time code for this agent session. The code is for the user to read
 * out, so it is shown but never logged; a missing or malformed answer is a refusal like any other.
 */
export async function requestSupportCode(
  socket: AgentSocket,
  { timeoutMs, logger }: AnswerOptions,
): Promise<SupportCodeAnswer> {
  if (!socket.connected)
    return { ok: false, code: 'internal', message: 'the agent is not connected to the server' };
  let raw: unknown;
  try {
    raw = await socket.timeout(timeoutMs).emitWithAck('agent:support-code', {});
  } catch {
    return { ok: false, code: 'internal', message: 'the server did not answer in time' };
  }
  const answer = supportCodeAnswerSchema.safeParse(raw);
  if (!answer.success) {
    logger.warn('malformed support code answer');
    return { ok: false, code: 'internal', message: 'the server answered something unexpected' };
  }
  logger.info(answer.data.ok ? {} : { code: answer.data.code }, 'support code answered');
  return answer.data;
}

export interface JobEventHandlers {
  offer(raw: unknown): Promise<JobOfferAnswer>;
  cancel(cancel: JobCancel): void;
  supportMessage(message: SupportMessage): void;
  /** Left out by a program that offers no "Få hjälp av support" (a load generator). */
  supportPairing?(notice: SupportPairingNotice): void;
}

const supportPairingSchema = z.object({
  state: z.enum(['paired', 'ended']),
  staffName: z.string().trim().min(1).max(200).refine(isSafeText),
});

const incomingSupportMessageSchema = supportMessageSchema.extend({
  from: z.string().trim().min(1).max(200),
  at: z.number().int().positive(),
});

/** The server's job events, each checked before it reaches the agent: a malformed one is logged and dropped. */
export function listenForJobs(socket: AgentSocket, handlers: JobEventHandlers, logger: Logger): void {
  const log = logger.child({ component: 'server-link' });
  const refuseMalformed = (event: string) => log.warn({ event }, 'malformed message from server ignored');

  socket.on('job:offer', (raw: unknown, answer: unknown) => {
    if (typeof answer !== 'function') return refuseMalformed('job:offer');
    handlers.offer(raw).then(
      (result) => answer(result),
      () => answer({ accepted: false, error: { code: 'internal', message: 'the agent failed' } }),
    );
  });
  socket.on('job:cancel', (raw: unknown) => {
    const cancel = jobCancelSchema.safeParse(raw);
    if (!cancel.success) return refuseMalformed('job:cancel');
    handlers.cancel(cancel.data);
  });
  socket.on('support:message', (raw: unknown) => {
    const message = incomingSupportMessageSchema.safeParse(raw);
    if (!message.success) return refuseMalformed('support:message');
    handlers.supportMessage(message.data);
  });
  socket.on('support:pairing', (raw: unknown) => {
    const notice = supportPairingSchema.safeParse(raw);
    if (!notice.success) return refuseMalformed('support:pairing');
    log.info({ state: notice.data.state }, 'support pairing');
    handlers.supportPairing?.(notice.data);
  });
}
