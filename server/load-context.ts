import type { AppDatabase } from '../db/connection';
import type { AgentRegistry } from './agents/agent-registry';
import type { SessionStore } from './auth/session-store';
import type { AgentConnections } from './jobs/agent-connections';
import type { JobEngine } from './jobs/job-engine';
import type { Logger } from './logger';
import type { MailService } from './mail/mail-service';

/** Long-lived services the server owns and hands to every Remix loader and action. */
export interface ServerServices {
  db: AppDatabase;
  sessions: SessionStore;
  agentRegistry: AgentRegistry;
  agentConnections: AgentConnections;
  jobs: JobEngine;
  mail: MailService;
  logger: Logger;
}

export interface RequestContext extends ServerServices {
  cspNonce: string;
  clientAddress: string;
}

declare module '@remix-run/server-runtime' {
  interface AppLoadContext extends RequestContext {}
}
