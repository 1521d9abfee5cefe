import type { Express } from 'express';
import type { AppDatabase } from '../../db/connection';
import { databaseAnswers } from '../../db/health';

export interface Readiness {
  db: AppDatabase;
  /** The Redis the processes share, when there is one: without it live views and limits are not shared. */
  redis?: { answers(): Promise<boolean> };
  /** True from the moment the process starts to shut down: the balancer sends new work elsewhere. */
  draining(): boolean;
}

/**
 * The two questions a load balancer asks: is the process alive (`/healthz`: restart it if not), and may it
 * be sent requests (`/readyz`: its database and Redis answer and it is not shutting down; while not, the
 * balancer sends them elsewhere).
 */
export function mountHealthRoutes(app: Express, readiness: Readiness): void {
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', async (_req, res) => {
    const [database, redis] = await Promise.all([
      databaseAnswers(readiness.db),
      readiness.redis ? readiness.redis.answers() : undefined,
    ]);
    const draining = readiness.draining();
    const ready = database && redis !== false && !draining;
    res.status(ready ? 200 : 503).json({
      ready,
      database: database ? 'ok' : 'unreachable',
      ...(redis === undefined ? {} : { redis: redis ? 'ok' : 'unreachable' }),
      ...(draining ? { draining: true } : {}),
    });
  });
}
