import type { AppLoadContext } from '@remix-run/node';
import type { AppDatabase } from '../../db/connection';
import { AgentRegistry } from '../agents/agent-registry';
import { createSessionStore } from '../auth/session-store';
import { createLogger } from '../logger';

/** What the server hands a loader, over the given database, for calling loaders and helpers in tests. */
export function createTestLoadContext(db: AppDatabase): AppLoadContext {
  return {
    db,
    sessions: createSessionStore(db, { secureCookies: false }),
    agentRegistry: new AgentRegistry(),
    logger: createLogger('silent'),
    cspNonce: '',
    clientAddress: '127.0.0.1',
  };
}
