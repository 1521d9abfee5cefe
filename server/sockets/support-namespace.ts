import type { Namespace, Server } from 'socket.io';
import type { z } from 'zod';
import { agentShownTo } from '../../db/agents';
import { type AuditEntry, recordAudit } from '../../db/audit';
import type { AppDatabase } from '../../db/connection';
import { findJob, findJobDetail, jobShownTo } from '../../db/jobs';
import {
  type IdentityViewer,
  identityViewerHolding,
  seesEveryIdentity,
  seesNoProtectedIdentity,
} from '../../db/protected-identity';
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
  /** Whether the user sees protected identities: read again with every check of their access. */
  viewer: IdentityViewer;
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
/**
 * The part of viewersRoom that sees protected identities: broadcasts reach it in full and the rest of the
 * room masked. A socket joins and leaves it as its access is checked (at connect, every event, a role change).
 */
const protectedIdentityViewersRoom = 'support-viewers:protected-identities';
/** How often an idle socket re-checks its session, so one that expires quietly stops receiving. */
const recheckIntervalMs = 60_000;

type AccessRefusal = 'session_ended' | 'user_disabled' | 'missing_role';

/** What the support client reads when the server refuses or closes its live view. */
const refusalMessages: Record<AccessRefusal, string> = {
  session_ended: 'Inloggningen har upphört. Logga in igen för att se supportvyn.',
  user_disabled: 'Kontot är avstängt och har inte längre behörighet till supportvyn.',
  missing_role: 'Du har inte längre behörighet till supportvyn.',
};

type Access = { refusal: AccessRefusal } | { refusal: null; viewer: IdentityViewer };

/**
 * Session alive, account enabled, a support role held, and whether protected identities are shown: checked at
 * connect and before every event.
 */
async function accessOf(deps: SupportDeps, access: { sessionId: string; userId: string }): Promise<Access> {
  if ((await deps.sessions.activeUserOf(access.sessionId)) !== access.userId)
    return { refusal: 'session_ended' };
  const user = await findUserById(deps.db, access.userId);
  if (!user || user.disabled) return { refusal: 'user_disabled' };
  const roles = (await listRoleAssignments(deps.db, access.userId)).map((assignment) => assignment.role);
  if (!roles.some((role) => (supportViewerRoles as readonly string[]).includes(role))) {
    return { refusal: 'missing_role' };
  }
  return { refusal: null, viewer: identityViewerHolding(roles) };
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
      const access = await accessOf(deps, session);
      if (access.refusal === 'missing_role') {
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
        viewer: access.refusal === null ? access.viewer : seesNoProtectedIdentity,
      };
      next();
    } catch (error) {
      logger.error({ err: error }, 'support namespace authentication failed');
      next(new Error('internal'));
    }
  };
}

/**
 * The socket's viewer as last checked; in the room that gets protected identities in full exactly while it is
 * a viewer (in viewersRoom) whose user holds the right.
 */
function seeProtectedIdentities(socket: SupportSocket, viewer: IdentityViewer): void {
  socket.data.viewer = viewer;
  if (viewer.seesProtectedIdentities && socket.rooms.has(viewersRoom))
    socket.join(protectedIdentityViewersRoom);
  else socket.leave(protectedIdentityViewersRoom);
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
        const detail = await findJobDetail(deps.db, jobId, socket.data.viewer);
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
      seeProtectedIdentities(socket, socket.data.viewer);
      // The agents connected here and to every other process of the installation.
      const elsewhere = await deps.jobs.agentsConnectedElsewhere();
      socket.emit(
        'agents:snapshot',
        [...deps.registry.list(), ...elsewhere]
          .sort((a, b) => a.connectedAt - b.connectedAt)
          .map((agent) => agentShownTo(socket.data.viewer, agent)),
      );
    };
    enter().catch((error: unknown) => {
      log.error({ err: error }, 'support live view could not be opened');
      closeLiveView(socket);
    });
  });

  /** A broadcast reaches every viewer as they may see it: in full those who see protected identities, masked the rest. */
  const toEveryViewer = (emit: (to: ReturnType<SupportNamespace['to']>, viewer: IdentityViewer) => void) => {
    emit(namespace.to(protectedIdentityViewersRoom), seesEveryIdentity);
    emit(namespace.to(viewersRoom).except(protectedIdentityViewersRoom), seesNoProtectedIdentity);
  };
  deps.registry.on('updated', (agent) =>
    toEveryViewer((to, viewer) => to.emit('agent:updated', agentShownTo(viewer, agent))),
  );
  deps.registry.on('disconnected', (payload) =>
    namespace.to(viewersRoom).emit('agent:disconnected', payload),
  );
  deps.jobs.on('job-updated', (job) =>
    toEveryViewer((to, viewer) => to.emit('job:updated', jobShownTo(viewer, job))),
  );
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
    const access = await accessOf(deps, socket.data).catch((error: unknown): Access => {
      logger.error({ err: error, userId, ...audited.detail }, 'support access check failed');
      return { refusal: 'session_ended' };
    });
    if (access.refusal === null) {
      seeProtectedIdentities(socket, access.viewer);
      return null;
    }
    const { refusal } = access;
    if (!socket.connected) return refusal;
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
