import { and, eq, gt, inArray } from 'drizzle-orm';
import type { AppDatabase } from './connection';
import { first } from './engine';
import { cards, eids, type LoginMethod, mobileDevices, sessions, users } from './schema';

/** Card states in which the card's eIDs still log in (a locked card keeps them; its PIN is only blocked). */
const cardStatesThatLogIn = ['active', 'locked'] as const;

/**
 * Whether the eID a session was opened with still stands: the card (serial) or Mobile SITHS device (id)
 * holds an active, unexpired eID of the person. A revoked or expired eID ends the sessions it opened.
 */
export async function isLoginCredentialValid(
  db: AppDatabase,
  login: { method: LoginMethod; credential: string; personId: string },
  now: Date,
): Promise<boolean> {
  const eidStands = and(eq(eids.personId, login.personId), eq(eids.state, 'active'), gt(eids.validTo, now));
  if (login.method === 'card') {
    const row = first(
      await db
        .select({ id: eids.id })
        .from(cards)
        .innerJoin(eids, eq(eids.cardId, cards.id))
        .where(
          and(
            eq(cards.serial, login.credential),
            inArray(cards.state, [...cardStatesThatLogIn]),
            eq(eids.purpose, 'authentication'),
            eidStands,
          ),
        )
        .limit(1),
    );
    return row !== undefined;
  }
  if (login.method === 'mobile_siths') {
    const row = first(
      await db
        .select({ id: eids.id })
        .from(mobileDevices)
        .innerJoin(eids, eq(eids.mobileDeviceId, mobileDevices.id))
        .where(
          and(
            eq(mobileDevices.id, login.credential),
            eq(mobileDevices.state, 'active'),
            gt(mobileDevices.validTo, now),
            eidStands,
          ),
        )
        .limit(1),
    );
    return row !== undefined;
  }
  return true;
}

/** The sessions opened with any of these cards or devices, with their user's person: candidates to end. */
export async function listSessionsOpenedWith(
  db: AppDatabase,
  credentials: readonly string[],
): Promise<Array<{ sessionId: string; method: LoginMethod; credential: string; personId: string | null }>> {
  if (credentials.length === 0) return [];
  const rows = await db
    .select({
      sessionId: sessions.id,
      method: sessions.loginMethod,
      credential: sessions.loginCredential,
      personId: users.personId,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(inArray(sessions.loginCredential, [...credentials]));
  return rows.flatMap((row) => (row.credential ? [{ ...row, credential: row.credential }] : []));
}
