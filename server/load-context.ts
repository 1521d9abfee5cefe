import type { AppDatabase } from '../db/connection';
import type { AgentVersionPolicy } from '../protocol/agent-version';
import type { AgentAccess } from './agents/agent-access';
import type { AgentRegistry } from './agents/agent-registry';
import type { AnonymousStartLimits } from './auth/anonymous-limits';
import type { SessionStore } from './auth/session-store';
import type { CardJobService } from './card-jobs/card-job-service';
import type { DirectorySync } from './directory/directory-sync-service';
import type { isDatabaseUnreachable, noteDatabaseOutage } from './http/error-answer';
import type { AgentConnections } from './jobs/agent-connections';
import type { JobEngine } from './jobs/job-engine';
import type { Logger } from './logger';
import type { MailService } from './mail/mail-service';
import type { LoginLimitsService, MobileSithsService } from './mobile-siths/mobile-siths-service';
import type { SignedStatements } from './pki/signed-statement';
import type { Pki } from './pki/types';

/** Long-lived services the server owns and hands to every Remix loader and action. */
export interface ServerServices {
  db: AppDatabase;
  sessions: SessionStore;
  agentRegistry: AgentRegistry;
  agentConnections: AgentConnections;
  /** Closes a computer's connections on every process (revocation). */
  agentAccess: AgentAccess;
  /** Which SITHS eID-app versions get card jobs, and which are told to update. */
  agentVersions: AgentVersionPolicy;
  jobs: JobEngine;
  mail: MailService;
  pki: Pki;
  /** Checks and packages the signatures of decisions (server/pki/signed-statement.ts). */
  signedStatements: SignedStatements;
  /** Card secrets derive from it (server/secrets/card-secrets.ts); never logged or sent anywhere. */
  masterKey: Buffer;
  cardJobs: CardJobService;
  /** The SITHS eID-app's loopback address on the user's computer, where Mina sidor hands start tokens. */
  agentLocalUrl: string;
  /** This server's address as users see it. */
  publicUrl: string;
  /** The demo accounts' passwords work (config DEMO_PASSWORD_LOGINS); break-glass passwords always do. */
  demoPasswordLogins: boolean;
  logger: Logger;
  /** How often a client address may start an auth order without being logged in. */
  anonymousLimits: AnonymousStartLimits;
  mobileSiths: MobileSithsService;
  loginLimits: LoginLimitsService;
  /** How app/entry.server.tsx's handleError hands a database outage to the server's error answer. */
  /** The HSA directory sync; null when no directory is configured (DIRECTORY_URL). */
  directorySync: DirectorySync | null;
  databaseOutages: {
    isDatabaseUnreachable: typeof isDatabaseUnreachable;
    noteDatabaseOutage: typeof noteDatabaseOutage;
  };
}

export interface RequestContext extends ServerServices {
  cspNonce: string;
  clientAddress: string;
}

declare module '@remix-run/server-runtime' {
  interface AppLoadContext extends RequestContext {}
}
