import { randomBytes } from 'node:crypto';
import type { AppDatabase } from '../db/connection';
import type { DirectorySource } from '../db/directory-entries';
import { type AgentVersionPolicy, agentReleaseVersion } from '../protocol/agent-version';
import { AgentAccess } from './agents/agent-access';
import { AgentRegistry } from './agents/agent-registry';
import { anonymousLimitsFor } from './auth/anonymous-limits';
import { createSessionStore } from './auth/session-store';
import { CardJobService } from './card-jobs/card-job-service';
import type { RedisLink } from './cluster/redis-link';
import { createDirectorySync } from './directory/directory-sync-service';
import { isDatabaseUnreachable, noteDatabaseOutage } from './http/error-answer';
import { AgentConnections } from './jobs/agent-connections';
import { JobEngine, type JobTimeouts } from './jobs/job-engine';
import type { ServerServices } from './load-context';
import type { Logger } from './logger';
import { createMailService, type MailService } from './mail/mail-service';
import { loginLimitsService, mobileSithsService } from './mobile-siths/mobile-siths-service';
import { createPki } from './pki/create-pki';
import { signedStatementsOf } from './pki/signed-statement';

export function createServerServices(options: {
  db: AppDatabase;
  logger: Logger;
  secureCookies: boolean;
  jobTimeouts?: Partial<JobTimeouts>;
  /** The running mail sender; without one, mail is queued and waits. */
  mail?: MailService;
  /** Card secrets and CA keys derive from it; tests that never meet a card may leave it out. */
  masterKey?: Buffer;
  /** This server's address as users see it. */
  publicUrl?: string;
  /** The SITHS eID-app's loopback address on users' computers. */
  agentLocalUrl?: string;
  /** The Redis the processes share: limits are counted there. */
  redis?: RedisLink | undefined;
  /** Whether the demo accounts may log in with a password (default: yes; production turns it off). */
  demoPasswordLogins?: boolean;
  /** Auth orders an address may start a minute without a session (default 10). */
  anonymousStartsPerMinute?: number;
  /** The region's HSA directory; without one there is no directory sync. */
  directory?: DirectorySource | undefined;
  /** Default: no minimum, this release current. */
  agentVersions?: AgentVersionPolicy;
}): ServerServices {
  const masterKey = options.masterKey ?? randomBytes(32);
  const publicUrl = options.publicUrl ?? 'http://127.0.0.1:3000';
  const sessions = createSessionStore(options.db, { secureCookies: options.secureCookies });
  const agentConnections = new AgentConnections();
  const jobs = new JobEngine({
    db: options.db,
    logger: options.logger.child({ component: 'jobs' }),
    connections: agentConnections,
    isSessionActive: (sessionId) => sessions.isActive(sessionId),
    ...(options.jobTimeouts ? { timeouts: options.jobTimeouts } : {}),
  });
  const pki = createPki({ db: options.db, masterKey, publicBaseUrl: publicUrl });
  const mail = options.mail ?? createMailService({ environmentLabel: null });
  const cardJobs = new CardJobService({
    db: options.db,
    logger: options.logger.child({ component: 'card-jobs' }),
    pki,
    masterKey,
    jobs,
    relyingParty: publicUrl,
    onUnlockAttempt: async (attempt) => {
      await mail.queueUnlockAttemptMail(options.db, attempt);
    },
  });
  return {
    db: options.db,
    agentAccess: new AgentAccess(),
    agentVersions: options.agentVersions ?? { minimum: null, current: agentReleaseVersion },
    pki,
    signedStatements: signedStatementsOf(pki),
    masterKey,
    cardJobs,
    agentLocalUrl: options.agentLocalUrl ?? 'http://127.0.0.1:8790',
    publicUrl,
    demoPasswordLogins: options.demoPasswordLogins ?? true,
    logger: options.logger,
    anonymousLimits: anonymousLimitsFor(options.redis, options.logger, options.anonymousStartsPerMinute),
    mobileSiths: mobileSithsService,
    loginLimits: loginLimitsService,
    databaseOutages: { isDatabaseUnreachable, noteDatabaseOutage },
    directorySync: options.directory
      ? createDirectorySync({
          db: options.db,
          source: options.directory,
          logger: options.logger.child({ component: 'directory-sync' }),
        })
      : null,
    sessions,
    agentRegistry: new AgentRegistry(),
    agentConnections,
    jobs,
    mail,
  };
}
