import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppDatabase } from '../../db/connection';
import { newId } from '../../db/ids';
import { sessions, users } from '../../db/schema';
import { openTestDatabase } from '../../test-support/test-database';
import { createSessionStore, type SessionStore } from '../auth/session-store';

/**
 * Finding 8 of issue 11: the sessions table holds only the SHA-256 of the cookie's token, as device and
 * collect tokens already are, so a copy of the database does not let anyone log in as anybody.
 */
let db: AppDatabase;
let store: SessionStore;
let userId: string;

beforeEach(async () => {
  db = await openTestDatabase();
  store = createSessionStore(db, { secureCookies: false });
  userId = newId();
  await db.insert(users).values({ id: userId, username: 'asa', displayName: 'Åsa Öberg' });
});

afterEach(() => db.close());

const cookieValue = (setCookie: string) => setCookie.split(';')[0]!.split('=')[1]!;

describe('session tokens are stored hashed', () => {
  it('never stores the cookie value; the stored id is the SHA-256 of it', async () => {
    const { sessionId, cookie } = await store.create({ userId, loginMethod: 'password' });
    const token = cookieValue(cookie);
    expect(token.length).toBeGreaterThanOrEqual(32);
    const rows = await db.select().from(sessions);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(rows.map((row) => row.id)).toEqual([createHash('sha256').update(token, 'utf8').digest('hex')]);
    expect(sessionId).toBe(rows[0]!.id);
  });

  it('validates the cookie by its hash, and a stored id used as a cookie lets nobody in', async () => {
    const { sessionId, cookie } = await store.create({ userId, loginMethod: 'password' });
    const valid = await store.validateCookieHeader(cookie.split(';')[0]);
    expect(valid).toMatchObject({ sessionId, userId });
    expect(await store.validateCookieHeader(`${store.cookieName}=${sessionId}`)).toBeNull();
    expect(await store.isActive(sessionId)).toBe(true);
    await store.invalidate(sessionId);
    expect(await store.validateCookieHeader(cookie.split(';')[0])).toBeNull();
    expect(await store.isActive(sessionId)).toBe(false);
  });
});
