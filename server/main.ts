import { type AppDatabase, databaseLocation, databaseUrlFromEnv, openDatabase } from '../db/connection';
import { redactedUrl } from '../db/engines/postgres';
import { loadConfig } from './config';
import { createServer } from './create-server';
import { createLogger } from './logger';

const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL);
const databaseUrl = databaseUrlFromEnv();
const location = databaseLocation(databaseUrl);
/** Where the data lives, as the log may show it: never a password. */
const database = location.engine === 'postgres' ? redactedUrl(location.url) : location.path;

let db: AppDatabase | undefined;
try {
  db = await openDatabase(databaseUrl);
} catch (error) {
  // One clear line and a failed exit, before anything listens or writes: the URL is wrong or its server down.
  logger.fatal(
    { engine: location.engine, database },
    `siths-desk cannot open its database: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exitCode = 1;
}

if (db) await serve(db);

async function serve(db: AppDatabase): Promise<void> {
  const server = await createServer(config, { db, logger });

  server.httpServer.listen(config.PORT, config.HOST, () => {
    const address = server.httpServer.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    logger.info(
      { url: `http://${config.HOST}:${port}`, engine: location.engine, database, mode: config.NODE_ENV },
      'siths-desk listening',
    );
  });

  let shuttingDown = false;
  async function shutDown(signal: string) {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    const forceExit = setTimeout(() => {
      logger.error('shutdown took too long, exiting');
      process.exit(1);
    }, 10_000);
    forceExit.unref();
    await server.close();
    await db.close();
    logger.info('stopped');
    process.exit(0);
  }
  process.on('SIGTERM', () => void shutDown('SIGTERM'));
  process.on('SIGINT', () => void shutDown('SIGINT'));
}
