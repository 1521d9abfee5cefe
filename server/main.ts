import { databasePathFromEnv, openMigratedDatabase } from '../db/connection';
import { loadConfig } from './config';
import { createServer } from './create-server';
import { createLogger } from './logger';

const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL);
const databasePath = databasePathFromEnv();
const db = openMigratedDatabase(databasePath);
const server = await createServer(config, { db, logger });

server.httpServer.listen(config.PORT, config.HOST, () => {
  const address = server.httpServer.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info(
    { url: `http://${config.HOST}:${port}`, databasePath, mode: config.NODE_ENV },
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
  db.$client.close();
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutDown('SIGTERM'));
process.on('SIGINT', () => void shutDown('SIGINT'));
