import { hostname } from 'node:os';
import { io, type Socket } from 'socket.io-client';
import { z } from 'zod';
import {
  type Ack,
  type AgentToServerEvents,
  agentNamespace,
  type ReaderEventKind,
  type ReaderState,
  type ServerToAgentEvents,
} from '../protocol/agent-events';
import {
  type JobOfferAnswer,
  jobReferenceSchema,
  type SupportMessage,
  supportMessageSchema,
} from '../protocol/jobs';
import type { Logger } from './pcsc/logger';

export type AgentSocket = Socket<ServerToAgentEvents, AgentToServerEvents>;

export const agentVersion = '0.1.0';

/**
 * The agent's connection to the server's /agent namespace. Socket.IO reconnects by itself; after each
 * (re)connect the agent says hello with its current readers, so the server never shows a stale list.
 */
export function connectToServer(options: {
  serverUrl: string;
  deviceToken: string;
  logger: Logger;
  currentReaders: () => ReaderState[];
  /** Jobs this agent still runs or still has reports for; the server fails the others after a reconnect. */
  activeJobIds?: () => string[];
}) {
  const socket: AgentSocket = io(new URL(agentNamespace, options.serverUrl).href, {
    auth: { token: options.deviceToken },
    transports: ['websocket'],
    reconnectionDelayMax: 5_000,
  });
  const log = options.logger.child({ component: 'server-link' });

  const logRefusal = (event: string) => (ack: Ack) => {
    if (!ack.ok) log.warn({ event, code: ack.code, message: ack.message }, 'server refused message');
  };

  socket.on('connect', () => {
    log.info({ serverUrl: options.serverUrl }, 'connected to server');
    socket.emit(
      'agent:hello',
      {
        agentVersion,
        hostname: hostname(),
        readers: options.currentReaders(),
        activeJobIds: options.activeJobIds?.() ?? [],
      },
      logRefusal('agent:hello'),
    );
  });
  socket.on('connect_error', (error) =>
    log.warn({ message: error.message }, 'cannot reach server, retrying'),
  );
  socket.on('disconnect', (reason) => log.info({ reason }, 'disconnected from server'));
  socket.on('server:error', (error) => log.warn(error, 'server reported an error'));

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
    close: () => socket.close(),
  };
}

export interface JobEventHandlers {
  offer(raw: unknown): Promise<JobOfferAnswer>;
  cancel(jobId: string): void;
  supportMessage(message: SupportMessage): void;
}

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
    const reference = jobReferenceSchema.safeParse(raw);
    if (!reference.success) return refuseMalformed('job:cancel');
    handlers.cancel(reference.data.jobId);
  });
  socket.on('support:message', (raw: unknown) => {
    const message = incomingSupportMessageSchema.safeParse(raw);
    if (!message.success) return refuseMalformed('support:message');
    handlers.supportMessage(message.data);
  });
}
