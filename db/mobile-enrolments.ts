import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { AppDatabase } from './connection';
import { newId } from './ids';
import { cards, mobileEnrolments, sessions } from './schema';

export type MobileEnrolmentRow = typeof mobileEnrolments.$inferSelect;

type Writer = Pick<AppDatabase, 'update'>;

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

/** A new single-use enrolment; the token goes into the QR code and only its hash is kept. */
export function createMobileEnrolment(
  db: AppDatabase,
  input: { personId: string; sessionId: string; ttlMs: number },
  now: Date,
): { enrolmentId: string; token: string; expiresAt: Date } {
  const enrolmentId = newId();
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + input.ttlMs);
  db.insert(mobileEnrolments)
    .values({
      id: enrolmentId,
      personId: input.personId,
      sessionId: input.sessionId,
      tokenHash: sha256(token),
      createdAt: now,
      expiresAt,
    })
    .run();
  return { enrolmentId, token, expiresAt };
}

export function findMobileEnrolment(db: AppDatabase, enrolmentId: string): MobileEnrolmentRow | undefined {
  return db.select().from(mobileEnrolments).where(eq(mobileEnrolments.id, enrolmentId)).get();
}

export function findMobileEnrolmentByToken(db: AppDatabase, token: string): MobileEnrolmentRow | undefined {
  return db
    .select()
    .from(mobileEnrolments)
    .where(eq(mobileEnrolments.tokenHash, sha256(token)))
    .get();
}

/** Uses the enrolment for `mobileDeviceId`, once: false when it was used already or has expired. */
export function claimMobileEnrolment(
  db: Writer,
  enrolmentId: string,
  mobileDeviceId: string,
  now: Date,
): boolean {
  return (
    db
      .update(mobileEnrolments)
      .set({ usedAt: now, mobileDeviceId })
      .where(
        and(
          eq(mobileEnrolments.id, enrolmentId),
          isNull(mobileEnrolments.usedAt),
          gt(mobileEnrolments.expiresAt, now),
        ),
      )
      .run().changes === 1
  );
}

/** The card a login session was opened with, and its trust level; undefined unless it was a card login. */
export function findCardOfSession(
  db: AppDatabase,
  sessionId: string,
): { cardSerial: string; trustLevel: number; validTo: Date } | undefined {
  return db
    .select({ cardSerial: cards.serial, trustLevel: cards.trustLevel, validTo: cards.validTo })
    .from(sessions)
    .innerJoin(cards, eq(cards.serial, sessions.loginCredential))
    .where(and(eq(sessions.id, sessionId), eq(sessions.loginMethod, 'card')))
    .get();
}
