import type { AppLoadContext } from '@remix-run/node';
import type { AppDatabase } from '../../db/connection';
import { createLogger } from '../logger';
import { createServerServices } from '../services';

/** What the server hands a loader, over the given database, for calling loaders and helpers in tests. */
export function createTestLoadContext(db: AppDatabase): AppLoadContext {
  return {
    ...createServerServices({ db, logger: createLogger('silent'), secureCookies: false }),
    cspNonce: '',
    clientAddress: '127.0.0.1',
  };
}
