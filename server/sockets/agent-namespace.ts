import { createPublicKey, verify } from 'node:crypto';
import type { Namespace, Server } from 'socket.io';
import { findAgentKey, spendAgentChallenge } from '../../db/agent-enrolment';
import {
  closeAgentSession,
  findAgentByDeviceToken,
  findAgentById,
  type KnownAgent,
  openAgentSession,
  recordAgentHello,
} from '../../db/agents';
import { issueSupportCode } from '../../db/assisted-unlocks';
import { recordFoldedRefusal } from '../../db/audit';
import type { AppDatabase } from '../../db/connection';
import { agentLoginStatement, connectRefusals, keyHandshakeSchema } from '../../protocol/agent-enrolment';
import {
  type AgentToServerEvents,
  agentHelloSchema,
  agentNamespace,
  readerEventSchema,
  type ServerToAgentEvents,
  supportCodeRequestSchema,
} from '../../protocol/agent-events';
import {
  type AgentVersionPolicy,
  type AgentVersionVerdict,
  agentVersionVerdict,
} from '../../protocol/agent-version';
import { autoStartSchema, cardExchangeSchema } from '../../protocol/card-exchange';
import {
  type JobOfferAnswer,
  jobOfferAnswerSchema,
  jobOutcomeSchema,
  stepReportSchema,
} from '../../protocol/jobs';
import type { AgentAccess } from '../agents/agent-access';
import type { AgentRegistry } from '../agents/agent-registry';
import type { CardJobService } from '../card-jobs/card-job-service';
import { agentSessionRoom } from '../cluster/socket-cluster';
import type { AgentConnections } from '../jobs/agent-connections';
import type { JobEngine } from '../jobs/job-engine';
import type { Logger } from '../logger';
import { validatedHandler } from './validated-handler';

/** Every connection of one agent (device token), on every server process. */
const agentRoom = (agentId: string) => `agent:${agentId}`;

interface AgentSocketData {
  agent: KnownAgent;
}

/** A connection whose agent session is open: the one its reports and requests are judged by. */
interface AgentConnection {
  agent: KnownAgent;
  agentSessionId: string;
  log: Logger;
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

export interface AttachedAgentNamespace {
  namespace: AgentNamespace;
  /** Settles when what closed connections still write (their session's end, their jobs) is written. */
  idle(): Promise<void>;
}

export function attachAgentNamespace(
  io: Server,
  deps: {
    db: AppDatabase;
    registry: AgentRegistry;
    connections: AgentConnections;
    jobs: JobEngine;
    cardJobs: CardJobService;
    logger: Logger;
    /** Keys the HMAC under which support codes are stored. */
    masterKey: Buffer;
    access: AgentAccess;
    versions: AgentVersionPolicy;
    /** 'refuse': only enrolled computers connect (config AGENT_DEVICE_TOKENS); default 'accept'. */
    deviceTokens?: 'accept' | 'refuse';
  },
): AttachedAgentNamespace {
  // Socket.IO types one event map per server; each namespace here has its own contract.
  const namespace = io.of(agentNamespace) as unknown as AgentNamespace;
  const logger = deps.logger.child({ namespace: agentNamespace });
  const disconnecting = new Set<Promise<void>>();
  /** Each connection's version against the policy, from its hello: below the minimum, no card jobs. */
  const versionVerdicts = new Map<string, AgentVersionVerdict>();
  // Through the adapter: a revoked computer's connection on any process closes.
  deps.access.bind((agentId) => namespace.in(agentRoom(agentId)).disconnectSockets(true));

  /**
   * An enrolled computer signs a one-time challenge with its device key; the demo's and the tests' agents
   * present a device token, unless the installation refuses tokens. A revoked computer, and a token refused,
   * are refused audited (folded: the computer may retry).
   */
  const authenticate = async (
    socket: AgentSocket,
  ): Promise<KnownAgent | 'revoked' | 'enrolment_required' | undefined> => {
    const auth: unknown = socket.handshake.auth;
    const token = (auth as { token?: unknown } | undefined)?.token;
    const handshake = keyHandshakeSchema.safeParse(auth);
    let agent: KnownAgent | undefined;
    let byToken = false;
    if (typeof token === 'string' && token.length >= 16 && token.length <= 200) {
      agent = await findAgentByDeviceToken(deps.db, token);
      byToken = true;
    } else if (handshake.success && (await provesDeviceKey(handshake.data))) {
      agent = await findAgentById(deps.db, handshake.data.agentId);
    }
    const address = socket.handshake.address ?? 'okänd';
    if (!agent) {
      logger.warn({ address }, 'agent refused: unknown device credential');
      return undefined;
    }
    if (agent.revokedAt) return await refuseKnownAgent(agent, address, 'revoked');
    if (byToken && deps.deviceTokens === 'refuse')
      return await refuseKnownAgent(agent, address, 'device_token_refused');
    return agent;
  };

  /** Audited, folded per computer: a refused computer may retry. */
  const refuseKnownAgent = async (
    agent: KnownAgent,
    address: string,
    reason: 'revoked' | 'device_token_refused',
  ): Promise<'revoked' | 'enrolment_required'> => {
    logger.warn({ agentId: agent.id, address, reason }, 'agent refused');
    await recordFoldedRefusal(deps.db, {
      actorUserId: null,
      actorLabel: agent.name,
      action: 'agent_connect',
      objectType: 'agent',
      objectId: agent.id,
      detail: { reason, clientAddress: address },
    });
    return reason === 'revoked' ? 'revoked' : 'enrolment_required';
  };

  const provesDeviceKey = async (handshake: { agentId: string; challenge: string; signature: string }) => {
    const key = await findAgentKey(deps.db, handshake.agentId);
    if (!key) return false;
    // Spent whether or not the signature holds: a challenge is one attempt.
    if (!(await spendAgentChallenge(deps.db, { ...handshake, now: new Date() }))) return false;
    try {
      return verify(
        'sha256',
        Buffer.from(agentLoginStatement(handshake.agentId, handshake.challenge), 'utf8'),
        createPublicKey({ key: key.publicKeyDer, format: 'der', type: 'spki' }),
        Buffer.from(handshake.signature, 'base64'),
      );
    } catch {
      return false;
    }
  };

  namespace.use((socket, next) => {
    authenticate(socket).then(
      (agent) => {
        if (!agent || typeof agent === 'string') {
          next(new Error(agent ?? connectRefusals.unauthorized));
          return;
        }
        socket.data.agent = agent;
        next();
      },
      (error: unknown) => {
        logger.error({ err: error }, 'could not check an agent’s device token');
        next(new Error('unavailable'));
      },
    );
  });

  /**
   * Opens the connection's agent session. Null when the connection is refused or closed meanwhile: a socket
   * that went away while its session was being opened never becomes the agent's live connection.
   */
  const openConnection = async (socket: AgentSocket): Promise<AgentConnection | null> => {
    // A connection restored by Socket.IO's state recovery skips the middleware: its token is checked here.
    const agent = socket.recovered ? await authenticate(socket) : socket.data.agent;
    if (!agent || typeof agent === 'string') {
      socket.disconnect();
      return null;
    }
    const connectedAt = new Date();
    const agentSessionId = await openAgentSession(deps.db, {
      agentId: agent.id,
      remoteAddress: socket.handshake.address ?? null,
      at: connectedAt,
    });
    if (socket.disconnected) {
      await closeAgentSession(deps.db, agentSessionId, new Date());
      return null;
    }
    const log = logger.child({ agentId: agent.id, agentSessionId });
    log.info('agent connected');
    deps.registry.connect({
      agentId: agent.id,
      agentSessionId,
      agentName: agent.name,
      holder: agent.holder,
      connectedAt: connectedAt.getTime(),
    });

    const replaced = deps.connections.add({
      agentId: agent.id,
      agentSessionId,
      offerJob: async (offer, timeoutMs) =>
        versionVerdicts.get(agentSessionId) === 'unsupported'
          ? { accepted: false, error: { code: 'agent_outdated', message: 'Uppdatera SITHS eID-appen' } }
          : offerAnswerOf(await socket.timeout(timeoutMs).emitWithAck('job:offer', offer)),
      cancelJob: (jobId, code) => socket.emit('job:cancel', { jobId, code }),
      sendMessage: (message) => socket.emit('support:message', message),
      notifyPairing: (notice) => socket.emit('support:pairing', notice),
      replace: () => {
        socket.emit('agent:replaced', { message: replacedNotice });
        // A namespace disconnect: the client does not reconnect by itself, and Socket.IO keeps no state to
        // restore, so the replaced program cannot push the newer connection out in turn.
        socket.disconnect();
      },
    });
    if (replaced) {
      log.warn({ replacedAgentSessionId: replaced.agentSessionId }, 'agent connection replaced a live one');
      const orphaned = deps.jobs.agentReplaced(replaced.agentSessionId);
      replaced.replace();
      await orphaned;
    }
    // A connection of the same agent on another process is replaced there the same way.
    namespace.to(agentRoom(agent.id)).except(socket.id).emit('agent:replaced', { message: replacedNotice });
    namespace.in(agentRoom(agent.id)).except(socket.id).disconnectSockets();
    socket.join([agentRoom(agent.id), agentSessionRoom(agentSessionId)]);
    return { agent, agentSessionId, log };
  };

  const closeConnection = async ({ agentSessionId }: AgentConnection): Promise<void> => {
    const endedAt = new Date();
    deps.connections.remove(agentSessionId);
    versionVerdicts.delete(agentSessionId);
    const written = Promise.all([
      closeAgentSession(deps.db, agentSessionId, endedAt),
      deps.jobs.agentDisconnected(agentSessionId),
    ]);
    deps.registry.disconnect(agentSessionId);
    await written;
  };

  namespace.on('connection', (socket) => {
    const opening = openConnection(socket);
    // Listeners are attached at once, so nothing the agent sends right after connecting is lost; each
    // waits until the connection's session is open.
    const connection = async (): Promise<AgentConnection> => {
      const opened = await opening;
      if (!opened) throw new Error('The agent connection was not opened');
      return opened;
    };
    const socketLog = logger.child({ socketId: socket.id });
    // Reports wait for the hello before them: it may take their job over from another process first.
    let helloHandled: Promise<unknown> = Promise.resolve();
    const resumed = async (): Promise<AgentConnection> => {
      await helloHandled;
      return connection();
    };

    socket.on(
      'job:step',
      validatedHandler('job:step', stepReportSchema, socketLog, async (report) => {
        const { agent, agentSessionId } = await resumed();
        return deps.jobs.handleStep(agent.id, agentSessionId, report);
      }),
    );
    socket.on(
      'job:finished',
      validatedHandler('job:finished', jobOutcomeSchema, socketLog, async (outcome) => {
        const { agent, agentSessionId } = await resumed();
        return deps.jobs.handleOutcome(agent.id, agentSessionId, outcome);
      }),
    );
    socket.on(
      'job:exchange',
      validatedHandler('job:exchange', cardExchangeSchema, socketLog, async (request) => {
        const { agent, agentSessionId } = await resumed();
        return deps.jobs.handleExchange(agent.id, agentSessionId, request);
      }),
    );
    socket.on(
      'agent:autostart',
      validatedHandler('agent:autostart', autoStartSchema, socketLog, async (request) => {
        const { agent, agentSessionId } = await connection();
        return deps.cardJobs.claimAutoStart({ agentId: agent.id, agentSessionId }, request.autoStartToken);
      }),
    );
    socket.on(
      'agent:support-code',
      validatedHandler('agent:support-code', supportCodeRequestSchema, socketLog, async () => {
        const { agent, agentSessionId, log } = await connection();
        const issued = await issueSupportCode(deps.db, {
          agentId: agent.id,
          agentSessionId,
          secret: deps.masterKey,
          now: new Date(),
        });
        // The code itself is never logged: it is what lets a staff member reach this computer.
        log.info({ expiresAt: issued.expiresAt.toISOString() }, 'support code issued');
        return { ok: true as const, supportCode: issued.code, expiresAt: issued.expiresAt.getTime() };
      }),
    );
    socket.on(
      'agent:hello',
      validatedHandler('agent:hello', agentHelloSchema, socketLog, (hello) => {
        const handling = (async () => {
          const { agent, agentSessionId, log } = await connection();
          const verdict = agentVersionVerdict(hello.agentVersion, deps.versions);
          versionVerdicts.set(agentSessionId, verdict);
          if (verdict === 'unsupported')
            log.warn({ agentVersion: hello.agentVersion }, 'agent below the lowest version: no card jobs');
          await recordAgentHello(deps.db, agentSessionId, {
            agentVersion: hello.agentVersion,
            hostname: hello.hostname ?? null,
            os: hello.os ?? null,
          });
          await deps.jobs.agentResumed(agent.id, agentSessionId, hello.activeJobIds);
          deps.registry.hello(agentSessionId, {
            agentVersion: hello.agentVersion,
            hostname: hello.hostname ?? null,
            readers: hello.readers,
          });
          return {
            ok: true as const,
            version: { verdict, current: deps.versions.current, minimum: deps.versions.minimum },
          };
        })();
        helloHandled = handling.catch(() => undefined);
        return handling;
      }),
    );
    socket.on(
      'agent:reader-event',
      validatedHandler('agent:reader-event', readerEventSchema, socketLog, async (event) => {
        const { agentSessionId, log } = await connection();
        log.info({ kind: event.kind, reader: event.reader.name }, 'reader event');
        deps.registry.readersChanged(agentSessionId, event.readers);
      }),
    );
    socket.on('disconnect', (reason) => {
      // A connection that could not be opened has nothing to close; its failure is logged below.
      const work = opening
        .catch(() => null)
        .then(async (opened) => {
          if (!opened) return;
          opened.log.info({ reason }, 'agent disconnected');
          await closeConnection(opened);
        })
        .catch((error: unknown) =>
          socketLog.error({ err: error }, 'could not record the agent’s disconnect'),
        );
      disconnecting.add(work);
      void work.finally(() => disconnecting.delete(work));
    });

    opening.catch((error: unknown) => {
      socketLog.error({ err: error }, 'could not open an agent connection');
      socket.disconnect();
    });
  });

  return {
    namespace,
    idle: async () => {
      await Promise.all(disconnecting);
    },
  };
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
