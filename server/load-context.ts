import type { AppDatabase } from '../db/connection';
import type { AgentRegistry } from './agents/agent-registry';
import type { SessionStore } from './auth/session-store';
import type { Logger } from './logger';

/** Long-lived services the server owns and hands to every Remix loader and action. */
export interface ServerServices {
  db: AppDatabase;
  sessions: SessionStore;
  agentRegistry: AgentRegistry;
  logger: Logger;
}

export interface RequestContext extends ServerServices {
  cspNonce: string;
  clientAddress: string;
}

declare module '@remix-run/server-runtime' {
  interface AppLoadContext extends RequestContext {}
}
