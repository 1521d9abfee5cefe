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
import type { AgentConnections } from '../jobs/agent-connections';
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
  connections: AgentConnections;
  jobs: JobEngine;
  logger: Logger;
}

const jobRoom = (jobId: string) => `job:${jobId}`;

function authenticateSupport(deps: SupportDeps, logger: Logger): Parameters<SupportNamespace['use']>[0] {
  return async (socket, next) => {
    try {
      const session = await deps.sessions.validateCookieHeader(socket.handshake.headers.cookie);
      const user = session && findUserById(deps.db, session.userId);
      if (!session || !user || user.disabled) {
        next(new Error('unauthorized'));
        return;
      }
      const roles = listRoleAssignments(deps.db, session.userId);
      if (!roles.some((assignment) => (supportViewerRoles as readonly string[]).includes(assignment.role))) {
        recordAudit(deps.db, {
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

    /** Every action re-checks the login session: logging out elsewhere ends support's powers at once. */
    const action = <Schema extends z.ZodType, Result extends object>(
      event: string,
      schema: Schema,
      run: (input: z.infer<Schema>) => Promise<Result> | Result,
    ) =>
      validatedHandler(event, schema, log, async (input) => {
        if (!(await deps.sessions.isActive(actor.sessionId))) {
          setImmediate(() => socket.disconnect(true));
          return { ok: false, code: 'unauthorized', message: 'The login session has ended' } as const;
        }
        return run(input);
      });

    const auditCommand = (name: string, requestedFor: string, result: JobCommandResult) => {
      audit({
        action: name,
        objectType: 'job',
        objectId: result.ok ? result.jobId : null,
        outcome: result.ok ? 'success' : 'refused',
        detail: result.ok ? { requestedFor } : { requestedFor, code: result.code, reason: result.message },
      });
      return result.ok ? result : ({ ok: false, code: 'conflict', message: result.message } satisfies Ack);
    };

    socket.emit('agents:snapshot', deps.registry.list());

    socket.on(
      'support:watch-job',
      validatedHandler('support:watch-job', jobReferenceSchema, log, async ({ jobId }) => {
        const detail = findJobDetail(deps.db, jobId);
        if (!detail) return { ok: false, message: 'No such job' } as const;
        await socket.join(jobRoom(jobId));
        return detail;
      }),
    );
    socket.on(
      'support:unwatch-job',
      validatedHandler('support:unwatch-job', jobReferenceSchema, log, async ({ jobId }) => {
        await socket.leave(jobRoom(jobId));
      }),
    );
    socket.on(
      'support:start-card-check',
      action('support:start-card-check', startCardCheckSchema, async (input) =>
        auditCommand(
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
      action('support:cancel-job', jobReferenceSchema, ({ jobId }) =>
        auditCommand('support_cancel_job', jobId, deps.jobs.cancel(jobId)),
      ),
    );
    socket.on(
      'support:retry-job',
      action('support:retry-job', jobReferenceSchema, async ({ jobId }) =>
        auditCommand('support_retry_job', jobId, await deps.jobs.retry(jobId)),
      ),
    );
    socket.on(
      'support:send-message',
      action('support:send-message', agentMessageSchema, ({ text, jobId, agentSessionId }) => {
        const job = jobId ? findJob(deps.db, jobId) : undefined;
        const channel = deps.connections.bySession(agentSessionId ?? job?.agentSessionId ?? null);
        audit({
          action: 'support_send_message',
          objectType: jobId ? 'job' : 'agent_session',
          objectId: jobId ?? agentSessionId ?? null,
          outcome: channel ? 'success' : 'refused',
          detail: channel ? { text } : { text, reason: 'agent_not_connected' },
        });
        if (!channel)
          return { ok: false, code: 'not_found', message: 'The agent is not connected' } satisfies Ack;
        channel.sendMessage({ text, from: actor.displayName, at: Date.now(), ...(jobId ? { jobId } : {}) });
        return { ok: true } satisfies Ack;
      }),
    );
  });

  deps.registry.on('updated', (agent) => namespace.emit('agent:updated', agent));
  deps.registry.on('disconnected', (payload) => namespace.emit('agent:disconnected', payload));
  deps.jobs.on('job-updated', (job) => namespace.emit('job:updated', job));
  deps.jobs.on('job-step', (step) => namespace.to(jobRoom(step.jobId)).emit('job:step', step));

  return namespace;
}
