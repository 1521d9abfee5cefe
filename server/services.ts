import type { AppDatabase } from '../db/connection';
import { AgentRegistry } from './agents/agent-registry';
import { createSessionStore } from './auth/session-store';
import { AgentConnections } from './jobs/agent-connections';
import { JobEngine, type JobTimeouts } from './jobs/job-engine';
import type { ServerServices } from './load-context';
import type { Logger } from './logger';
import { createMailService, type MailService } from './mail/mail-service';

export function createServerServices(options: {
  db: AppDatabase;
  logger: Logger;
  secureCookies: boolean;
  jobTimeouts?: Partial<JobTimeouts>;
  /** The running mail sender; without one, mail is queued and waits. */
  mail?: MailService;
}): ServerServices {
  const sessions = createSessionStore(options.db, { secureCookies: options.secureCookies });
  const agentConnections = new AgentConnections();
  const jobs = new JobEngine({
    db: options.db,
    logger: options.logger.child({ component: 'jobs' }),
    connections: agentConnections,
    isSessionActive: (sessionId) => sessions.isActive(sessionId),
    ...(options.jobTimeouts ? { timeouts: options.jobTimeouts } : {}),
  });
  return {
    db: options.db,
    logger: options.logger,
    sessions,
    agentRegistry: new AgentRegistry(),
    agentConnections,
    jobs,
    mail: options.mail ?? createMailService({ environmentLabel: null }),
  };
}
