import type { Express } from 'express';
import type { AppDatabase } from '../../db/connection';
import { databaseAnswers } from '../../db/health';

/**
 * The two questions a load balancer asks: is the process alive (`/healthz`: restart it if not), and may it
 * be sent requests (`/readyz`: its database answers; while not, the balancer sends them elsewhere).
 */
export function mountHealthRoutes(app: Express, db: AppDatabase): void {
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', async (_req, res) => {
    const database = await databaseAnswers(db);
    res.status(database ? 200 : 503).json({ ready: database, database: database ? 'ok' : 'unreachable' });
  });
}
