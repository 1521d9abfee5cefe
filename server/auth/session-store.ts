import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { eq, lte } from 'drizzle-orm';
import { type Adapter, type DatabaseSession, type DatabaseUser, Lucia, TimeSpan } from 'lucia';
import type { AppDatabase } from '../../db/connection';
import { type LoginMethod, sessions, users } from '../../db/schema';

export interface ValidSession {
  /** The SHA-256 of the cookie's token: how the rest of the server names the session; not a secret. */
  sessionId: string;
  userId: string;
  loginMethod: LoginMethod;
  loginCredential: string | null;
  /** A Set-Cookie value when the session was extended or had to be cleared; send it with the response. */
  refreshedCookie: string | null;
}

/** What open connections (the support live view) must hear at once, so they never outlive a permission. */
export interface SessionEvents {
  /** The session was ended (logout): every socket opened with it closes. */
  'session-ended': [{ sessionId: string }];
  /** The user's roles or account changed: every socket of theirs checks its permission again. */
  'access-changed': [{ userId: string }];
}

/**
 * The only module that knows lucia. Routes, the support namespace and tests go through this interface,
 * so the session library can be replaced without touching them.
 */
export interface SessionStore {
  readonly cookieName: string;
  readonly events: EventEmitter<SessionEvents>;
  create(input: {
    userId: string;
    loginMethod: LoginMethod;
    loginCredential?: string | null;
  }): Promise<{ sessionId: string; cookie: string }>;
  validateCookieHeader(cookieHeader: string | null | undefined): Promise<ValidSession | null>;
  /** Whether a session still exists and has not expired; jobs run only while the session that created them does. */
  isActive(sessionId: string): Promise<boolean>;
  /** The session's user, if the session still exists and has not expired. */
  activeUserOf(sessionId: string): Promise<string | null>;
  invalidate(sessionId: string): Promise<string>;
  /** Call after changing a user's roles or account: their open connections are checked again. */
  accessChanged(userId: string): void;
  blankCookie(): string;
}

/**
 * The cookie carries a random token; the database keeps only its SHA-256, as device and collect tokens
 * are kept, so a copy of the sessions table logs nobody in.
 */
const sessionIdOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
const tokenShape = /^[A-Za-z0-9_-]{43}$/;

const unixSeconds = (at: Date) => Math.floor(at.getTime() / 1000);

/**
 * Lucia's sessions on our sessions table, with the query builders both engines run (lucia's own drizzle
 * adapter uses SQLite-only calls). Expiry is stored in Unix seconds, as that adapter stored it.
 */
class SessionTableAdapter implements Adapter {
  constructor(private readonly db: AppDatabase) {}

  async getSessionAndUser(sessionId: string): Promise<[DatabaseSession | null, DatabaseUser | null]> {
    const rows = await this.db
      .select({ session: sessions, userId: users.id })
      .from(sessions)
      .innerJoin(users, eq(sessions.userId, users.id))
      .where(eq(sessions.id, sessionId));
    const row = rows.length === 1 ? rows[0] : undefined;
    if (!row) return [null, null];
    return [databaseSession(row.session), { id: row.userId, attributes: {} }];
  }

  async getUserSessions(userId: string): Promise<DatabaseSession[]> {
    const rows = await this.db.select().from(sessions).where(eq(sessions.userId, userId));
    return rows.map(databaseSession);
  }

  async setSession(session: DatabaseSession): Promise<void> {
    await this.db.insert(sessions).values({
      id: session.id,
      userId: session.userId,
      expiresAt: unixSeconds(session.expiresAt),
      ...session.attributes,
    });
  }

  async updateSessionExpiration(sessionId: string, expiresAt: Date): Promise<void> {
    await this.db
      .update(sessions)
      .set({ expiresAt: unixSeconds(expiresAt) })
      .where(eq(sessions.id, sessionId));
  }

  async deleteSession(sessionId: string): Promise<void> {
    await this.db.delete(sessions).where(eq(sessions.id, sessionId));
  }

  async deleteUserSessions(userId: string): Promise<void> {
    await this.db.delete(sessions).where(eq(sessions.userId, userId));
  }

  async deleteExpiredSessions(): Promise<void> {
    await this.db.delete(sessions).where(lte(sessions.expiresAt, unixSeconds(new Date())));
  }
}

function databaseSession(row: typeof sessions.$inferSelect): DatabaseSession {
  const { id, userId, expiresAt, ...attributes } = row;
  return { id, userId, expiresAt: new Date(expiresAt * 1000), attributes };
}

function createLucia(db: AppDatabase, secureCookies: boolean) {
  return new Lucia(new SessionTableAdapter(db), {
    sessionExpiresIn: new TimeSpan(8, 'h'),
    sessionCookie: { name: 'siths_session', attributes: { secure: secureCookies, sameSite: 'lax' } },
    getSessionAttributes: (attributes) => ({
      loginMethod: attributes.loginMethod,
      loginCredential: attributes.loginCredential,
    }),
  });
}

declare module 'lucia' {
  interface Register {
    Lucia: ReturnType<typeof createLucia>;
    DatabaseSessionAttributes: { loginMethod: LoginMethod; loginCredential: string | null };
  }
}

export function createSessionStore(db: AppDatabase, options: { secureCookies: boolean }): SessionStore {
  const lucia = createLucia(db, options.secureCookies);
  const events = new EventEmitter<SessionEvents>();
  const activeSession = async (sessionId: string) => (await lucia.validateSession(sessionId)).session;
  return {
    cookieName: lucia.sessionCookieName,
    events,
    async create({ userId, loginMethod, loginCredential = null }) {
      const token = randomBytes(32).toString('base64url');
      const session = await lucia.createSession(
        userId,
        { loginMethod, loginCredential },
        { sessionId: sessionIdOf(token) },
      );
      return { sessionId: session.id, cookie: lucia.createSessionCookie(token).serialize() };
    },
    async validateCookieHeader(cookieHeader) {
      const token = lucia.readSessionCookie(cookieHeader ?? '');
      if (!token || !tokenShape.test(token)) return null;
      const session = await activeSession(sessionIdOf(token));
      if (!session) return null;
      return {
        sessionId: session.id,
        userId: session.userId,
        loginMethod: session.loginMethod,
        loginCredential: session.loginCredential,
        refreshedCookie: session.fresh ? lucia.createSessionCookie(token).serialize() : null,
      };
    },
    async isActive(sessionId) {
      return (await activeSession(sessionId)) !== null;
    },
    async activeUserOf(sessionId) {
      return (await activeSession(sessionId))?.userId ?? null;
    },
    async invalidate(sessionId) {
      await lucia.invalidateSession(sessionId);
      events.emit('session-ended', { sessionId });
      return lucia.createBlankSessionCookie().serialize();
    },
    accessChanged(userId) {
      events.emit('access-changed', { userId });
    },
    blankCookie: () => lucia.createBlankSessionCookie().serialize(),
  };
}
