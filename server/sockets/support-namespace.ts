import type { Namespace, Server } from 'socket.io';
import { recordAudit } from '../../db/audit';
import type { AppDatabase } from '../../db/connection';
import { findUserById, listRoleAssignments } from '../../db/users';
import {
  type ServerToSupportEvents,
  type SupportToServerEvents,
  supportNamespace,
} from '../../protocol/support-events';
import type { AgentRegistry } from '../agents/agent-registry';
import type { SessionStore } from '../auth/session-store';
import type { Logger } from '../logger';

/** Roles that may watch agent sessions live. */
export const supportViewerRoles = ['support', 'system_admin'] as const;

interface SupportSocketData {
  userId: string;
}

export type SupportNamespace = Namespace<
  SupportToServerEvents,
  ServerToSupportEvents,
  Record<string, never>,
  SupportSocketData
>;

export function attachSupportNamespace(
  io: Server,
  deps: { db: AppDatabase; sessions: SessionStore; registry: AgentRegistry; logger: Logger },
): SupportNamespace {
  // Socket.IO types one event map per server; each namespace here has its own contract.
  const namespace = io.of(supportNamespace) as unknown as SupportNamespace;
  const logger = deps.logger.child({ namespace: supportNamespace });

  namespace.use(async (socket, next) => {
    try {
      const session = await deps.sessions.validateCookieHeader(socket.handshake.headers.cookie);
      if (!session) {
        next(new Error('unauthorized'));
        return;
      }
      const roles = listRoleAssignments(deps.db, session.userId);
      if (!roles.some((assignment) => (supportViewerRoles as readonly string[]).includes(assignment.role))) {
        const user = findUserById(deps.db, session.userId);
        recordAudit(deps.db, {
          actorUserId: session.userId,
          actorLabel: user?.username ?? session.userId,
          action: 'support_live_view_join',
          objectType: 'support_namespace',
          outcome: 'refused',
          detail: { reason: 'missing_role' },
        });
        logger.warn({ userId: session.userId }, 'support namespace refused: missing role');
        next(new Error('forbidden'));
        return;
      }
      socket.data.userId = session.userId;
      next();
    } catch (error) {
      logger.error({ err: error }, 'support namespace authentication failed');
      next(new Error('internal'));
    }
  });

  namespace.on('connection', (socket) => {
    socket.emit('agents:snapshot', deps.registry.list());
  });
  deps.registry.on('updated', (agent) => namespace.emit('agent:updated', agent));
  deps.registry.on('disconnected', (payload) => namespace.emit('agent:disconnected', payload));

  return namespace;
}
