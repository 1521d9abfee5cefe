import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import compression from 'compression';
import express from 'express';
import { Server as SocketServer } from 'socket.io';
import { closeAllOpenAgentSessions } from '../db/agents';
import type { AppDatabase } from '../db/connection';
import type { DirectorySource } from '../db/directory-entries';
import { connectRedis, type RedisLink } from './cluster/redis-link';
import { attachSocketCluster } from './cluster/socket-cluster';
import { agentDeviceTokens, demoPasswordLogins, type ServerConfig, secureCookies } from './config';
import { startDirectorySchedule } from './directory/directory-schedule';
import { createLdapDirectory } from './directory/ldap-directory';
import { answerErrors } from './http/error-answer';
import { mountHealthRoutes } from './http/health-routes';
import { loginRateLimit } from './http/login-rate-limit';
import { pkiRoutes } from './http/pki-routes';
import { boundedFormBodies, readableAddresses, sameOriginWrites } from './http/request-guards';
import { requestLogger } from './http/request-log';
import { fromOwnOrigin } from './http/request-origin';
import { assignCspNonce, noStoreButPkiFiles, securityHeaders } from './http/security';
import type { JobTimeouts } from './jobs/job-engine';
import type { ServerServices } from './load-context';
import type { Logger } from './logger';
import { devMailPage } from './mail/dev-mail-page';
import { startMail } from './mail/mail-service';
import { mailEnvironmentLabel } from './mail/settings';
import { startOrderExpirySweep } from './orders/expiry-sweep';
import { startReminderSweep } from './reminders/reminder-sweep';
import { loadMasterKey } from './secrets/master-key';
import { createServerServices } from './services';
import { attachAgentNamespace } from './sockets/agent-namespace';
import { attachSupportNamespace } from './sockets/support-namespace';

export interface RunningServer {
  httpServer: HttpServer;
  io: SocketServer;
  services: ServerServices;
  /** The Redis the processes share (`REDIS_URL`), if any. */
  redis: RedisLink | undefined;
  close(): Promise<void>;
}

function directoryOf(config: ServerConfig): DirectorySource | undefined {
  if (!config.DIRECTORY_URL || !config.DIRECTORY_BIND_DN || !config.DIRECTORY_BIND_PASSWORD) return undefined;
  return createLdapDirectory({
    url: config.DIRECTORY_URL,
    bindDn: config.DIRECTORY_BIND_DN,
    bindPassword: config.DIRECTORY_BIND_PASSWORD,
    baseDn: config.DIRECTORY_BASE_DN,
  });
}

/** How long a closing process lets the requests under way finish before it closes their connections. */
const drainRequestsMs = 5_000;

/** Socket messages are small; anything larger is refused before a handler sees it. */
const maxSocketMessageBytes = 64 * 1024;

export async function createServer(
  config: ServerConfig,
  deps: {
    db: AppDatabase;
    logger: Logger;
    withRemix?: boolean;
    jobTimeouts?: Partial<JobTimeouts>;
    masterKey?: Buffer;
  },
): Promise<RunningServer> {
  const development = config.NODE_ENV === 'development';
  const masterKey =
    deps.masterKey ??
    loadMasterKey({
      env: process.env,
      production: config.NODE_ENV === 'production',
      devKeyFile: 'data/master-key',
    });
  const redis = config.REDIS_URL ? await connectRedis(config.REDIS_URL, deps.logger) : undefined;
  let draining = false;
  const mail = await startMail(config, { db: deps.db, logger: deps.logger.child({ component: 'mail' }) });
  const services = createServerServices({
    db: deps.db,
    logger: deps.logger,
    secureCookies: secureCookies(config),
    mail: mail.service,
    masterKey,
    publicUrl: config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`,
    redis,
    agentLocalUrl: config.SITHS_AGENT_LOCAL_URL,
    demoPasswordLogins: demoPasswordLogins(config),
    anonymousStartsPerMinute: config.ANONYMOUS_STARTS_PER_MINUTE,
    directory: directoryOf(config),
    agentVersions: { minimum: config.AGENT_MIN_VERSION ?? null, current: config.AGENT_CURRENT_VERSION },
    ...(deps.jobTimeouts ? { jobTimeouts: deps.jobTimeouts } : {}),
  });
  await services.pki.ensureHierarchy();
  if (!redis) {
    // The only process: no agent is connected yet, and every unfinished job waits for its agent. With
    // several, the others' connections and jobs are live; a dead process's jobs end at their deadline or
    // move with their agent's next connection.
    await closeAllOpenAgentSessions(deps.db, new Date());
    await services.jobs.recoverAfterRestart();
  }
  services.jobs.startOverdueSweep();
  const orderExpiry = await startOrderExpirySweep({ db: deps.db, logger: deps.logger });
  const directorySchedule =
    services.directorySync &&
    (await startDirectorySchedule({
      db: deps.db,
      sync: services.directorySync,
      logger: deps.logger.child({ component: 'directory-sync' }),
      intervalMs: config.DIRECTORY_SYNC_INTERVAL_MINUTES * 60_000,
      fullEveryMs: config.DIRECTORY_FULL_SYNC_HOURS * 3_600_000,
    }));
  const reminders = await startReminderSweep({
    db: deps.db,
    logger: deps.logger.child({ component: 'reminders' }),
    mail: { environmentLabel: mailEnvironmentLabel(config), publicUrl: services.publicUrl },
    onMailQueued: () => mail.service.kick(),
    intervalMs: config.REMINDER_SWEEP_INTERVAL_MINUTES * 60_000,
  });

  const app = express();
  app.disable('x-powered-by');
  // One proxy (the balancer) in front: the client address is the one it appended to X-Forwarded-For, not
  // whatever the client itself put before it.
  app.set('trust proxy', config.TRUST_PROXY ? 1 : false);
  app.use(
    assignCspNonce,
    securityHeaders({ development, agentLocalOrigin: new URL(config.SITHS_AGENT_LOCAL_URL).origin }),
  );
  app.use(compression());
  app.use(requestLogger(deps.logger));
  app.use('/build', express.static('public/build', { immutable: true, maxAge: '1y' }));
  app.use(express.static('public', { maxAge: '1h' }));
  app.use(noStoreButPkiFiles);
  mountHealthRoutes(app, { db: deps.db, ...(redis ? { redis } : {}), draining: () => draining });
  if (config.NODE_ENV !== 'production')
    app.get('/dev/mail', devMailPage({ db: deps.db, catcher: mail.devCatcher }));
  // Before any route and the login limit: a refused request is not a login attempt.
  const ownOrigin = { trustProxy: config.TRUST_PROXY, publicUrl: config.PUBLIC_URL };
  app.use(
    readableAddresses({ db: deps.db }),
    sameOriginWrites({ ...ownOrigin, db: deps.db }),
    boundedFormBodies({ db: deps.db }),
  );
  app.post(
    '/logga-in',
    loginRateLimit({ perMinute: config.LOGIN_RATE_LIMIT_PER_MINUTE, logger: deps.logger, redis }),
  );
  app.use(pkiRoutes(services.pki));
  if (deps.withRemix !== false) {
    const { createRemixHandler } = await import('./http/remix-handler');
    app.all(
      '*',
      await createRemixHandler(services, {
        development,
        logger: deps.logger,
        secureCookies: secureCookies(config),
      }),
    );
  }
  app.use(answerErrors(deps.logger));

  const httpServer = createHttpServer(app);
  const io = new SocketServer(httpServer, {
    maxHttpBufferSize: maxSocketMessageBytes,
    // A page of another origin (or the same site) must not open a socket with the user's session cookie.
    allowRequest: (req, callback) => callback(null, fromOwnOrigin(req, ownOrigin)),
    connectionStateRecovery: { maxDisconnectionDuration: 2 * 60_000 },
    // Every client (agent, support page) connects by WebSocket alone: a balancer needs no sticky sessions.
    transports: ['websocket'],
    ...(redis ? { adapter: redis.socketAdapter() } : {}),
  });
  const socketDeps = {
    db: deps.db,
    sessions: services.sessions,
    registry: services.agentRegistry,
    connections: services.agentConnections,
    jobs: services.jobs,
    cardJobs: services.cardJobs,
    logger: deps.logger,
    masterKey,
    access: services.agentAccess,
    versions: services.agentVersions,
    deviceTokens: agentDeviceTokens(config),
  };
  const agents = attachAgentNamespace(io, socketDeps);
  attachSupportNamespace(io, socketDeps);
  if (redis)
    services.jobs.attachCluster(
      attachSocketCluster(io, {
        jobs: services.jobs,
        registry: services.agentRegistry,
        logger: deps.logger,
        agentNamespace: agents.namespace.name,
      }),
    );

  let closing: Promise<void> | undefined;
  return {
    httpServer,
    io,
    services,
    redis,
    close: () => {
      closing ??= shutDown();
      return closing;
    },
  };

  async function shutDown(): Promise<void> {
    draining = true;
    const jobsStopped = services.jobs.stop();
    const sweepsStopped = Promise.all([orderExpiry.stop(), reminders.stop(), directorySchedule?.stop()]);
    await Promise.all([
      new Promise<void>((resolve) => {
        // Stops listening, so the balancer sends new connections to another process, and closes every
        // socket's transport: agents and support pages reconnect through the balancer elsewhere, and an
        // agent's jobs are taken over there. Requests under way get a moment to finish.
        void io.close(() => resolve());
        httpServer.closeIdleConnections();
        setTimeout(() => httpServer.closeAllConnections(), drainRequestsMs).unref();
      }),
      mail.stop(),
    ]);
    // The database may close after this: what the closed agent connections still write is written.
    await Promise.all([jobsStopped, sweepsStopped, agents.idle()]);
    await redis?.close();
  }
}
