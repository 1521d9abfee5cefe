import type { Namespace, Server } from 'socket.io';
import {
  closeAgentSession,
  findAgentByDeviceToken,
  type KnownAgent,
  openAgentSession,
  recordAgentVersion,
} from '../../db/agents';
import type { AppDatabase } from '../../db/connection';
import {
  type AgentToServerEvents,
  agentHelloSchema,
  agentNamespace,
  readerEventSchema,
  type ServerToAgentEvents,
} from '../../protocol/agent-events';
import { autoStartSchema, cardExchangeSchema } from '../../protocol/card-exchange';
import {
  type JobOfferAnswer,
  jobOfferAnswerSchema,
  jobOutcomeSchema,
  stepReportSchema,
} from '../../protocol/jobs';
import type { AgentRegistry } from '../agents/agent-registry';
import type { CardJobService } from '../card-jobs/card-job-service';
import type { AgentConnections } from '../jobs/agent-connections';
import type { JobEngine } from '../jobs/job-engine';
import type { Logger } from '../logger';
import { validatedHandler } from './validated-handler';

interface AgentSocketData {
  agent: KnownAgent;
}

export type AgentNamespace = Namespace<
  AgentToServerEvents,
  ServerToAgentEvents,
  Record<string, never>,
  AgentSocketData
>;
type AgentSocket = Parameters<Parameters<AgentNamespace['on']>[1]>[0];

/** What the agent that was pushed out logs: one device token, one live connection. */
const replacedNotice =
  'Anslutningen har ersatts av en nyare anslutning med samma enhetsnyckel. Kontakta support om det inte var du.';

export function attachAgentNamespace(
  io: Server,
  deps: {
    db: AppDatabase;
    registry: AgentRegistry;
    connections: AgentConnections;
    jobs: JobEngine;
    cardJobs: CardJobService;
    logger: Logger;
  },
): AgentNamespace {
  // Socket.IO types one event map per server; each namespace here has its own contract.
  const namespace = io.of(agentNamespace) as unknown as AgentNamespace;
  const logger = deps.logger.child({ namespace: agentNamespace });

  const authenticate = (socket: AgentSocket): KnownAgent | undefined => {
    const token: unknown = socket.handshake.auth?.token;
    const agent =
      typeof token === 'string' && token.length >= 16 && token.length <= 200
        ? findAgentByDeviceToken(deps.db, token)
        : undefined;
    if (!agent) logger.warn({ address: socket.handshake.address }, 'agent refused: unknown device token');
    return agent;
  };

  namespace.use((socket, next) => {
    const agent = authenticate(socket);
    if (!agent) {
      next(new Error('unauthorized'));
      return;
    }
    socket.data.agent = agent;
    next();
  });

  namespace.on('connection', (socket) => {
    // A connection restored by Socket.IO's state recovery skips the middleware: its token is checked here.
    const agent = socket.recovered ? authenticate(socket) : socket.data.agent;
    if (!agent) {
      socket.disconnect();
      return;
    }
    const connectedAt = new Date();
    const agentSessionId = openAgentSession(deps.db, {
      agentId: agent.id,
      remoteAddress: socket.handshake.address ?? null,
      at: connectedAt,
    });
    const log = logger.child({ agentId: agent.id, agentSessionId });
    log.info('agent connected');
    deps.registry.connect({
      agentId: agent.id,
      agentSessionId,
      agentName: agent.name,
      holderName: agent.holderName,
      connectedAt: connectedAt.getTime(),
    });

    const replaced = deps.connections.add({
      agentId: agent.id,
      agentSessionId,
      offerJob: async (offer, timeoutMs) =>
        offerAnswerOf(await socket.timeout(timeoutMs).emitWithAck('job:offer', offer)),
      cancelJob: (jobId) => socket.emit('job:cancel', { jobId }),
      sendMessage: (message) => socket.emit('support:message', message),
      replace: () => {
        socket.emit('agent:replaced', { message: replacedNotice });
        // A namespace disconnect: the client does not reconnect by itself, and Socket.IO keeps no state to
        // restore, so the replaced program cannot push the newer connection out in turn.
        socket.disconnect();
      },
    });
    if (replaced) {
      log.warn({ replacedAgentSessionId: replaced.agentSessionId }, 'agent connection replaced a live one');
      deps.jobs.agentReplaced(replaced.agentSessionId);
      replaced.replace();
    }

    socket.on(
      'job:step',
      validatedHandler('job:step', stepReportSchema, log, (report) =>
        deps.jobs.handleStep(agent.id, agentSessionId, report),
      ),
    );
    socket.on(
      'job:finished',
      validatedHandler('job:finished', jobOutcomeSchema, log, (outcome) =>
        deps.jobs.handleOutcome(agent.id, agentSessionId, outcome),
      ),
    );
    socket.on(
      'job:exchange',
      validatedHandler('job:exchange', cardExchangeSchema, log, (request) =>
        deps.jobs.handleExchange(agent.id, agentSessionId, request),
      ),
    );
    socket.on(
      'agent:autostart',
      validatedHandler('agent:autostart', autoStartSchema, log, (request) =>
        deps.cardJobs.claimAutoStart({ agentId: agent.id, agentSessionId }, request.autoStartToken),
      ),
    );
    socket.on(
      'agent:hello',
      validatedHandler('agent:hello', agentHelloSchema, log, (hello) => {
        recordAgentVersion(deps.db, agentSessionId, hello.agentVersion);
        deps.jobs.agentResumed(agent.id, agentSessionId, hello.activeJobIds);
        deps.registry.hello(agentSessionId, {
          agentVersion: hello.agentVersion,
          hostname: hello.hostname ?? null,
          readers: hello.readers,
        });
      }),
    );
    socket.on(
      'agent:reader-event',
      validatedHandler('agent:reader-event', readerEventSchema, log, (event) => {
        log.info({ kind: event.kind, reader: event.reader.name }, 'reader event');
        deps.registry.readersChanged(agentSessionId, event.readers);
      }),
    );
    socket.on('disconnect', (reason) => {
      log.info({ reason }, 'agent disconnected');
      closeAgentSession(deps.db, agentSessionId, new Date());
      deps.connections.remove(agentSessionId);
      deps.jobs.agentDisconnected(agentSessionId);
      deps.registry.disconnect(agentSessionId);
    });
  });

  return namespace;
}

/** The agent's answer to an offer is a report like any other: anything but a valid answer refuses the job. */
function offerAnswerOf(answer: unknown): JobOfferAnswer {
  const parsed = jobOfferAnswerSchema.safeParse(answer);
  if (parsed.success) return parsed.data;
  return {
    accepted: false,
    error: { code: 'agent_protocol_error', message: 'SITHS eID-appen svarade inte enligt protokollet' },
  };
}
