import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { AppDatabase, Queryable } from './connection';
import { first } from './engine';
import { newId } from './ids';
import { cards, mobileEnrolments, sessions } from './schema';

export type MobileEnrolmentRow = typeof mobileEnrolments.$inferSelect;

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

/** A new single-use enrolment; the token goes into the QR code and only its hash is kept. */
export async function createMobileEnrolment(
  db: AppDatabase,
  input: { personId: string; sessionId: string; ttlMs: number },
  now: Date,
): Promise<{ enrolmentId: string; token: string; expiresAt: Date }> {
  const enrolmentId = newId();
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + input.ttlMs);
  await db.insert(mobileEnrolments).values({
    id: enrolmentId,
    personId: input.personId,
    sessionId: input.sessionId,
    tokenHash: sha256(token),
    createdAt: now,
    expiresAt,
  });
  return { enrolmentId, token, expiresAt };
}

export async function findMobileEnrolment(
  db: AppDatabase,
  enrolmentId: string,
): Promise<MobileEnrolmentRow | undefined> {
  return first(await db.select().from(mobileEnrolments).where(eq(mobileEnrolments.id, enrolmentId)).limit(1));
}

export async function findMobileEnrolmentByToken(
  db: AppDatabase,
  token: string,
): Promise<MobileEnrolmentRow | undefined> {
  return first(
    await db
      .select()
      .from(mobileEnrolments)
      .where(eq(mobileEnrolments.tokenHash, sha256(token)))
      .limit(1),
  );
}

/** Uses the enrolment for `mobileDeviceId`, once: false when it was used already or has expired. */
export async function claimMobileEnrolment(
  db: Queryable,
  enrolmentId: string,
  mobileDeviceId: string,
  now: Date,
): Promise<boolean> {
  const claimed = await db
    .update(mobileEnrolments)
    .set({ usedAt: now, mobileDeviceId })
    .where(
      and(
        eq(mobileEnrolments.id, enrolmentId),
        isNull(mobileEnrolments.usedAt),
        gt(mobileEnrolments.expiresAt, now),
      ),
    )
    .returning({ id: mobileEnrolments.id });
  return claimed.length === 1;
}

/** The card a login session was opened with, and its trust level; undefined unless it was a card login. */
export async function findCardOfSession(
  db: AppDatabase,
  sessionId: string,
): Promise<{ cardSerial: string; trustLevel: number; validTo: Date } | undefined> {
  return first(
    await db
      .select({ cardSerial: cards.serial, trustLevel: cards.trustLevel, validTo: cards.validTo })
      .from(sessions)
      .innerJoin(cards, eq(cards.serial, sessions.loginCredential))
      .where(and(eq(sessions.id, sessionId), eq(sessions.loginMethod, 'card')))
      .limit(1),
  );
}
