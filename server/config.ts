import { z } from 'zod';
import { agentReleaseVersion } from '../protocol/agent-version';

const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    DATABASE_URL: z.string().optional(),
    /**
     * Set when several server processes serve one installation (behind a balancer): the Redis they share for
     * Socket.IO's events and rooms and for the login limits. Unset: one process, both kept in memory.
     */
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
      .optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Set when a reverse proxy terminates TLS: client addresses and scheme come from X-Forwarded-*, cookies are Secure (always in production). */
    TRUST_PROXY: z
      .enum(['true', 'false'])
      .default('false')
      .transform((value) => value === 'true'),
    LOGIN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(10),
    /** Auth orders (SITHS eID logins, reserve-card registrations) a client address may start a minute without a session. */
    ANONYMOUS_STARTS_PER_MINUTE: z.coerce.number().int().positive().default(10),
    /** How often the reminder sweep (expiring eIDs and cards, orders, reserve cards, low stock) runs; it also runs at start. */
    REMINDER_SWEEP_INTERVAL_MINUTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(60),
    /** The region's HSA directory over LDAP, e.g. `ldaps://hsa.region.se:636`. Unset: no directory sync. */
    DIRECTORY_URL: z
      .string()
      .regex(/^ldaps?:\/\//, 'an ldap:// or ldaps:// URL')
      .optional(),
    /** The read-only account the sync binds as, and its password. */
    DIRECTORY_BIND_DN: z.string().min(1).optional(),
    DIRECTORY_BIND_PASSWORD: z.string().min(1).optional(),
    /** Where the HSA tree starts. */
    DIRECTORY_BASE_DN: z.string().min(1).default('c=SE'),
    /** How often the schedule reads what changed in the directory (incremental, by modifyTimestamp). */
    DIRECTORY_SYNC_INTERVAL_MINUTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(15),
    /** How often the schedule reads the whole directory instead: only a full read finds persons who left. */
    DIRECTORY_FULL_SYNC_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 7)
      .default(24),
    /** Where the SITHS eID-app (card-agent) listens on the user's computer: Mina sidor hands it start tokens. */
    SITHS_AGENT_LOCAL_URL: z.url().default('http://127.0.0.1:8790'),
    /** The lowest SITHS eID-app version given card jobs (x.y.z). Unset: every version. */
    AGENT_MIN_VERSION: z
      .string()
      .regex(/^\d{1,5}\.\d{1,5}\.\d{1,5}$/, 'a version x.y.z')
      .optional(),
    /** The newest SITHS eID-app; older ones show a notice to update. Default: this release's. */
    AGENT_CURRENT_VERSION: z
      .string()
      .regex(/^\d{1,5}\.\d{1,5}\.\d{1,5}$/, 'a version x.y.z')
      .default(agentReleaseVersion),
    /**
     * Whether an agent may connect with a device token (the demo's and the tests' agents) or only with an
     * enrolled device key. Unset: refused in production, accepted elsewhere.
     */
    AGENT_DEVICE_TOKENS: z.enum(['accept', 'refuse']).optional(),
    /** This server's address as users see it; the SITHS eID-app shows it ("Jag legitimerar mig hos ..."). */
    PUBLIC_URL: z.url().optional(),
    /** Where the mail outbox is sent, e.g. `smtp://user:password@relay:587`. Unset: mails stay queued (dev: a local catcher). */
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\//, 'an smtp:// or smtps:// URL')
      .optional(),
    MAIL_FROM: z.string().min(1).default('no-reply@siths.se'),
    /** Named in mail subjects ("i TEST-miljö"); default `TEST-miljö` outside production, none in it. Empty: none. */
    MAIL_ENVIRONMENT_LABEL: z.string().optional(),
    /**
     * Whether the demo accounts (password_login 'demo') may log in with their passwords. Unset: yes outside
     * production, never in it unless set to true. Break-glass accounts always may.
     */
    DEMO_PASSWORD_LOGINS: z.enum(['true', 'false']).optional(),
  })
  .refine((config) => !config.DIRECTORY_URL || (config.DIRECTORY_BIND_DN && config.DIRECTORY_BIND_PASSWORD), {
    message: 'DIRECTORY_URL needs DIRECTORY_BIND_DN and DIRECTORY_BIND_PASSWORD',
    path: ['DIRECTORY_URL'],
  });

export type ServerConfig = z.infer<typeof configSchema>;

/** Production is served over TLS, behind a proxy or not: its cookies never travel over plain HTTP. */
export function secureCookies(config: ServerConfig): boolean {
  return config.NODE_ENV === 'production' || config.TRUST_PROXY;
}

export function demoPasswordLogins(config: ServerConfig): boolean {
  return (config.DEMO_PASSWORD_LOGINS ?? (config.NODE_ENV === 'production' ? 'false' : 'true')) === 'true';
}

export function agentDeviceTokens(config: ServerConfig): 'accept' | 'refuse' {
  return config.AGENT_DEVICE_TOKENS ?? (config.NODE_ENV === 'production' ? 'refuse' : 'accept');
}

export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): ServerConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid server configuration:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}
