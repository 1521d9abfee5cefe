import { DrizzleSQLiteAdapter } from '@lucia-auth/adapter-drizzle';
import { Lucia, TimeSpan } from 'lucia';
import type { AppDatabase } from '../../db/connection';
import { type LoginMethod, sessions, users } from '../../db/schema';

export interface ValidSession {
  sessionId: string;
  userId: string;
  loginMethod: LoginMethod;
  loginCredential: string | null;
  /** A Set-Cookie value when the session was extended or had to be cleared; send it with the response. */
  refreshedCookie: string | null;
}

/**
 * The only module that knows lucia. Routes, the support namespace and tests go through this interface,
 * so the session library can be replaced without touching them.
 */
export interface SessionStore {
  readonly cookieName: string;
  create(input: {
    userId: string;
    loginMethod: LoginMethod;
    loginCredential?: string | null;
  }): Promise<{ sessionId: string; cookie: string }>;
  validateCookieHeader(cookieHeader: string | null | undefined): Promise<ValidSession | null>;
  /** Whether a session still exists and has not expired; jobs run only while the session that created them does. */
  isActive(sessionId: string): Promise<boolean>;
  invalidate(sessionId: string): Promise<string>;
  blankCookie(): string;
}

function createLucia(db: AppDatabase, secureCookies: boolean) {
  const adapter = new DrizzleSQLiteAdapter(db, sessions, users);
  return new Lucia(adapter, {
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
  return {
    cookieName: lucia.sessionCookieName,
    async create({ userId, loginMethod, loginCredential = null }) {
      const session = await lucia.createSession(userId, { loginMethod, loginCredential });
      return { sessionId: session.id, cookie: lucia.createSessionCookie(session.id).serialize() };
    },
    async validateCookieHeader(cookieHeader) {
      const sessionId = lucia.readSessionCookie(cookieHeader ?? '');
      if (!sessionId) return null;
      const { session } = await lucia.validateSession(sessionId);
      if (!session) return null;
      return {
        sessionId: session.id,
        userId: session.userId,
        loginMethod: session.loginMethod,
        loginCredential: session.loginCredential,
        refreshedCookie: session.fresh ? lucia.createSessionCookie(session.id).serialize() : null,
      };
    },
    async isActive(sessionId) {
      const { session } = await lucia.validateSession(sessionId);
      return session !== null;
    },
    async invalidate(sessionId) {
      await lucia.invalidateSession(sessionId);
      return lucia.createBlankSessionCookie().serialize();
    },
    blankCookie: () => lucia.createBlankSessionCookie().serialize(),
  };
}
