import type { Namespace, Server } from 'socket.io';
import type { z } from 'zod';
import { type AuditEntry, recordAudit } from '../../db/audit';
import type { AppDatabase } from '../../db/connection';
import { findJob, findJobDetail } from '../../db/jobs';
import { findUserById, listRoleAssignments } from '../../db/users';
import type { Ack } from '../../protocol/agent-events';
import {
  agentMessageSchema,
  jobReferenceSchema,
  type ServerToSupportEvents,
  type SupportToServerEvents,
  startCardCheckSchema,
  supportNamespace,
} from '../../protocol/support-events';
import type { AgentRegistry } from '../agents/agent-registry';
import type { SessionStore } from '../auth/session-store';
import type { JobCommandResult, JobEngine } from '../jobs/job-engine';
import type { Logger } from '../logger';
import { validatedHandler } from './validated-handler';

/** Roles that may watch agent sessions live and help. */
export const supportViewerRoles = ['support', 'system_admin'] as const;

interface SupportSocketData {
  userId: string;
  username: string;
  displayName: string;
  sessionId: string;
}

export type SupportNamespace = Namespace<
  SupportToServerEvents,
  ServerToSupportEvents,
  Record<string, never>,
  SupportSocketData
>;

interface SupportDeps {
  db: AppDatabase;
  sessions: SessionStore;
  registry: AgentRegistry;
  jobs: JobEngine;
  logger: Logger;
}

type SupportSocket = Parameters<Parameters<SupportNamespace['on']>[1]>[0];

const jobRoom = (jobId: string) => `job:${jobId}`;
/** Broadcasts go only to this room: a socket leaves it the moment it loses its permission. */
const viewersRoom = 'support-viewers';
/** How often an idle socket re-checks its session, so one that expires quietly stops receiving. */
const recheckIntervalMs = 60_000;

type AccessRefusal = 'session_ended' | 'user_disabled' | 'missing_role';

/** What the support client reads when the server refuses or closes its live view. */
const refusalMessages: Record<AccessRefusal, string> = {
  session_ended: 'Inloggningen har upphört. Logga in igen för att se supportvyn.',
  user_disabled: 'Kontot är avstängt och har inte längre behörighet till supportvyn.',
  missing_role: 'Du har inte längre behörighet till supportvyn.',
};

/** Session alive, account enabled, a support role held: checked at connect and before every event. */
async function accessRefusal(
  deps: SupportDeps,
  access: { sessionId: string; userId: string },
): Promise<AccessRefusal | null> {
  if ((await deps.sessions.activeUserOf(access.sessionId)) !== access.userId) return 'session_ended';
  const user = await findUserById(deps.db, access.userId);
  if (!user || user.disabled) return 'user_disabled';
  const roles = await listRoleAssignments(deps.db, access.userId);
  return roles.some((assignment) => (supportViewerRoles as readonly string[]).includes(assignment.role))
    ? null
    : 'missing_role';
}

function authenticateSupport(deps: SupportDeps, logger: Logger): Parameters<SupportNamespace['use']>[0] {
  return async (socket, next) => {
    try {
      const session = await deps.sessions.validateCookieHeader(socket.handshake.headers.cookie);
      const user = session && (await findUserById(deps.db, session.userId));
      if (!session || !user || user.disabled) {
        next(new Error('unauthorized'));
        return;
      }
      if ((await accessRefusal(deps, session)) === 'missing_role') {
        await recordAudit(deps.db, {
          actorUserId: user.id,
          actorLabel: user.username,
          action: 'support_live_view_join',
          objectType: 'support_namespace',
          outcome: 'refused',
          detail: { reason: 'missing_role' },
        });
        logger.warn({ userId: user.id }, 'support namespace refused: missing role');
        next(new Error('forbidden'));
        return;
      }
      socket.data = {
        userId: user.id,
        username: user.username,
        displayName: user.displayName,
        sessionId: session.sessionId,
      };
      next();
    } catch (error) {
      logger.error({ err: error }, 'support namespace authentication failed');
      next(new Error('internal'));
    }
  };
}

/**
 * Out of every room at once (no broadcast reaches it any more), then disconnected after the refusal's ack
 * has gone out. A namespace disconnect: the client does not reconnect, and no state is kept to recover.
 */
function closeLiveView(socket: SupportSocket): void {
  for (const room of [...socket.rooms]) if (room !== socket.id) socket.leave(room);
  setImmediate(() => socket.disconnect());
}

export function attachSupportNamespace(io: Server, deps: SupportDeps): SupportNamespace {
  // Socket.IO types one event map per server; each namespace here has its own contract.
  const namespace = io.of(supportNamespace) as unknown as SupportNamespace;
  const logger = deps.logger.child({ namespace: supportNamespace });
  namespace.use(authenticateSupport(deps, logger));

  namespace.on('connection', (socket) => {
    const actor = socket.data;
    const log = logger.child({ userId: actor.userId });
    const audit = (entry: Omit<AuditEntry, 'actorUserId' | 'actorLabel'>) =>
      recordAudit(deps.db, { actorUserId: actor.userId, actorLabel: actor.username, ...entry });

    const stillAllowed = (event: string) =>
      closeIfAccessEnded(socket, { action: 'support_live_view_event', detail: { event } });

    /** Every event re-checks session, account and role: logging out or losing the role ends support's view at once. */
    const action = <Schema extends z.ZodType, Result extends object>(
      event: string,
      schema: Schema,
      run: (input: z.infer<Schema>) => Promise<Result> | Result,
    ) =>
      validatedHandler(event, schema, log, async (input) => {
        const refusal = await stillAllowed(event);
        if (refusal) return { ok: false, code: 'unauthorized', message: refusalMessages[refusal] } as const;
        return run(input);
      });

    const auditCommand = async (name: string, requestedFor: string, result: JobCommandResult) => {
      await audit({
        action: name,
        objectType: 'job',
        objectId: result.ok ? result.jobId : null,
        outcome: result.ok ? 'success' : 'refused',
        detail: result.ok ? { requestedFor } : { requestedFor, code: result.code, reason: result.message },
      });
      return result.ok ? result : ({ ok: false, code: 'conflict', message: result.message } satisfies Ack);
    };

    socket.on(
      'support:watch-job',
      action('support:watch-job', jobReferenceSchema, async ({ jobId }) => {
        const detail = await findJobDetail(deps.db, jobId);
        if (!detail) return { ok: false, message: 'Ärendet finns inte.' } as const;
        await socket.join(jobRoom(jobId));
        return detail;
      }),
    );
    socket.on(
      'support:unwatch-job',
      action('support:unwatch-job', jobReferenceSchema, async ({ jobId }) => {
        await socket.leave(jobRoom(jobId));
        return { ok: true } as const;
      }),
    );
    socket.on(
      'support:start-card-check',
      action(
        'support:start-card-check',
        startCardCheckSchema,
        async (input) =>
          await auditCommand(
            'support_start_card_check',
            input.agentSessionId,
            await deps.jobs.startCardCheck({
              ...input,
              actor: { userId: actor.userId, sessionId: actor.sessionId },
            }),
          ),
      ),
    );
    socket.on(
      'support:cancel-job',
      action(
        'support:cancel-job',
        jobReferenceSchema,
        async ({ jobId }) => await auditCommand('support_cancel_job', jobId, await deps.jobs.cancel(jobId)),
      ),
    );
    socket.on(
      'support:retry-job',
      action(
        'support:retry-job',
        jobReferenceSchema,
        async ({ jobId }) => await auditCommand('support_retry_job', jobId, await deps.jobs.retry(jobId)),
      ),
    );
    socket.on(
      'support:send-message',
      action('support:send-message', agentMessageSchema, async ({ text, jobId, agentSessionId }) => {
        const job = jobId ? await findJob(deps.db, jobId) : undefined;
        const to = agentSessionId ?? job?.agentSessionId ?? null;
        const message = { text, from: actor.displayName, at: Date.now(), ...(jobId ? { jobId } : {}) };
        // Delivered by the process that holds the agent's connection, this one or another.
        const sent = to
          ? await deps.jobs.sendMessage(to, message)
          : ({ ok: false, code: 'not_found', message: 'The agent is not connected' } as const);
        await audit({
          action: 'support_send_message',
          objectType: jobId ? 'job' : 'agent_session',
          objectId: jobId ?? agentSessionId ?? null,
          outcome: sent.ok ? 'success' : 'refused',
          detail: sent.ok ? { text } : { text, reason: 'agent_not_connected' },
        });
        if (!sent.ok)
          return { ok: false, code: 'not_found', message: 'The agent is not connected' } satisfies Ack;
        return { ok: true } satisfies Ack;
      }),
    );

    const timer = setInterval(() => void recheck(socket, 'interval'), recheckIntervalMs);
    timer.unref();
    socket.on('disconnect', () => clearInterval(timer));

    const enter = async () => {
      // State recovery restores a socket's rooms without the middleware: out of them until it is checked again.
      if (socket.recovered) {
        const rooms = [...socket.rooms].filter((room) => room !== socket.id);
        for (const room of rooms) socket.leave(room);
        if (await stillAllowed('reconnect')) return;
        socket.join(rooms);
      }
      socket.join(viewersRoom);
      // The agents connected here and to every other process of the installation.
      const elsewhere = await deps.jobs.agentsConnectedElsewhere();
      socket.emit(
        'agents:snapshot',
        [...deps.registry.list(), ...elsewhere].sort((a, b) => a.connectedAt - b.connectedAt),
      );
    };
    enter().catch((error: unknown) => {
      log.error({ err: error }, 'support live view could not be opened');
      closeLiveView(socket);
    });
  });

  deps.registry.on('updated', (agent) => namespace.to(viewersRoom).emit('agent:updated', agent));
  deps.registry.on('disconnected', (payload) =>
    namespace.to(viewersRoom).emit('agent:disconnected', payload),
  );
  deps.jobs.on('job-updated', (job) => namespace.to(viewersRoom).emit('job:updated', job));
  deps.jobs.on('job-step', (step) => namespace.to(jobRoom(step.jobId)).emit('job:step', step));

  const socketsWhere = (matches: (data: SupportSocketData) => boolean) =>
    [...namespace.sockets.values()].filter((socket) => socket.data.sessionId && matches(socket.data));
  deps.sessions.events.on('session-ended', ({ sessionId }) => {
    for (const socket of socketsWhere((data) => data.sessionId === sessionId)) {
      logger.info({ userId: socket.data.userId }, 'support socket closed: session ended');
      closeLiveView(socket);
    }
  });
  deps.sessions.events.on('access-changed', ({ userId }) => {
    for (const socket of socketsWhere((data) => data.userId === userId))
      void recheck(socket, 'access-changed');
  });

  /** Outside any event: the session may expire or the account change while the socket only listens. */
  const recheck = (socket: SupportSocket, trigger: string) =>
    closeIfAccessEnded(socket, { action: 'support_live_view_closed', detail: { trigger } }).catch(
      (error: unknown) =>
        logger.error({ err: error, userId: socket.data.userId, trigger }, 'support recheck failed'),
    );

  /** Re-checks the permission; a socket that lost it is audited, leaves every room and is disconnected. */
  async function closeIfAccessEnded(
    socket: SupportSocket,
    audited: { action: string; detail: Record<string, string> },
  ): Promise<AccessRefusal | null> {
    const { userId, username } = socket.data;
    const refusal = await accessRefusal(deps, socket.data).catch((error: unknown) => {
      logger.error({ err: error, userId, ...audited.detail }, 'support access check failed');
      return 'session_ended' as const;
    });
    if (!refusal || !socket.connected) return refusal;
    try {
      await recordAudit(deps.db, {
        actorUserId: userId,
        actorLabel: username,
        action: audited.action,
        objectType: 'support_namespace',
        outcome: 'refused',
        detail: { ...audited.detail, reason: refusal },
      });
    } finally {
      // Closed even when the audit could not be written: a view whose access ended never stays open.
      logger.warn({ userId, reason: refusal, ...audited.detail }, 'support socket closed: access ended');
      closeLiveView(socket);
    }
    return refusal;
  }

  return namespace;
}
