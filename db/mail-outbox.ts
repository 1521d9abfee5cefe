import { and, asc, desc, eq, inArray, isNull, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import type { AppDatabase, Queryable } from './connection';
import { first, forEngine } from './engine';
import { mailOutbox } from './schema';

/** A mail to send: written to the outbox in the caller's transaction, sent later by the mail sender. */
export interface OutgoingMail {
  /** An address, or `"Name" <address>`. */
  recipient: string;
  subject: string;
  textBody: string;
  htmlBody?: string;
}

export type QueuedMail = typeof mailOutbox.$inferSelect;

/** The database or a transaction on it: a mail is queued with the change it tells about. */
export type MailWriter = Pick<AppDatabase, 'insert'>;

/** After this many attempts a mail is given up: the row stays, unsent, with its last error. */
export const maxMailAttempts = 8;

/**
 * How long a claimed mail is left to the process that claimed it. Longer than any SMTP timeout, so a
 * mail is sent twice only when its sender died mid-send; then another process takes it after this.
 */
export const mailClaimLeaseMs = 5 * 60_000;

/** Queues a mail and returns its id. */
export async function enqueueMail(db: MailWriter, mail: OutgoingMail): Promise<number> {
  const row = first(
    await db
      .insert(mailOutbox)
      .values({
        recipient: mail.recipient,
        subject: mail.subject,
        textBody: mail.textBody,
        htmlBody: mail.htmlBody ?? null,
      })
      .returning({ id: mailOutbox.id }),
  );
  if (!row) throw new Error('The outbox returned no id for the queued mail.');
  return row.id;
}

/**
 * Claims up to `limit` mails that are due at `now`, oldest first, and counts the attempt. A claimed mail
 * is not due again until the lease runs out, so several sender processes never send the same mail.
 */
export async function claimDueMails(db: AppDatabase, now: Date, limit: number): Promise<QueuedMail[]> {
  const claim = (q: Queryable, dueIds: SQL) =>
    q
      .update(mailOutbox)
      .set({
        attempts: sql`${mailOutbox.attempts} + 1`,
        nextAttemptAt: new Date(now.getTime() + mailClaimLeaseMs),
      })
      .where(dueIds)
      .returning();
  const due = and(
    isNull(mailOutbox.sentAt),
    lt(mailOutbox.attempts, maxMailAttempts),
    or(isNull(mailOutbox.nextAttemptAt), lte(mailOutbox.nextAttemptAt, now)),
  );
  const oldestFirst = [asc(mailOutbox.createdAt), asc(mailOutbox.id)];
  // The one place where the engines claim differently.
  const claimed = await forEngine(db, {
    // The transaction begins immediate: it holds the write lock before it reads which mails are due, so
    // another process's claim waits for it and then finds them leased.
    sqlite: () =>
      db.transaction((tx) =>
        claim(
          tx,
          inArray(
            mailOutbox.id,
            tx
              .select({ id: mailOutbox.id })
              .from(mailOutbox)
              .where(due)
              .orderBy(...oldestFirst)
              .limit(limit),
          ),
        ),
      ),
    // Rows another sender is claiming are locked by it and skipped, so concurrent claims take different mails
    // and never wait for each other; the ids are read once (array of a subquery), before the update.
    postgres: () =>
      claim(
        db,
        sql`${mailOutbox.id} = any(array(select ${mailOutbox.id} from ${mailOutbox} where ${due}
          order by ${sql.join(oldestFirst, sql`, `)} limit ${limit} for update skip locked))`,
      ),
  })();
  return claimed.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id - b.id);
}

export async function markMailSent(db: AppDatabase, id: number, sentAt: Date): Promise<void> {
  await db
    .update(mailOutbox)
    .set({ sentAt, nextAttemptAt: null, lastError: null })
    .where(eq(mailOutbox.id, id));
}

/**
 * Records a failed attempt. Returns `gave_up` when the mail has had all its attempts: it then stays in
 * the outbox unsent, never claimed again, with `error` as its last error.
 */
export async function markMailFailed(
  db: AppDatabase,
  id: number,
  error: string,
  nextAttemptAt: Date,
): Promise<'retrying' | 'gave_up'> {
  const row = first(
    await db
      .update(mailOutbox)
      .set({ lastError: error.slice(0, 1000), nextAttemptAt })
      .where(eq(mailOutbox.id, id))
      .returning({ attempts: mailOutbox.attempts }),
  );
  if (!row || row.attempts < maxMailAttempts) return 'retrying';
  await db.update(mailOutbox).set({ nextAttemptAt: null }).where(eq(mailOutbox.id, id));
  return 'gave_up';
}

/** Exponential backoff after the n-th failed attempt: base, 2 × base, 4 × base, ... */
export function mailRetryDelayMs(attempts: number, baseMs = 60_000): number {
  return baseMs * 2 ** Math.max(0, attempts - 1);
}

export type MailStatus = 'queued' | 'sent' | 'gave_up';

export interface MailListItem {
  id: number;
  recipient: string;
  subject: string;
  createdAt: Date;
  sentAt: Date | null;
  attempts: number;
  lastError: string | null;
  status: MailStatus;
}

/** The newest mails in the outbox, sent or not, for the development mail page. */
export async function listRecentMails(db: AppDatabase, limit: number): Promise<MailListItem[]> {
  return (
    await db
      .select({
        id: mailOutbox.id,
        recipient: mailOutbox.recipient,
        subject: mailOutbox.subject,
        createdAt: mailOutbox.createdAt,
        sentAt: mailOutbox.sentAt,
        attempts: mailOutbox.attempts,
        lastError: mailOutbox.lastError,
      })
      .from(mailOutbox)
      .orderBy(desc(mailOutbox.id))
      .limit(limit)
  ).map((row) => ({ ...row, status: mailStatus(row) }));
}

function mailStatus(row: { sentAt: Date | null; attempts: number }): MailStatus {
  if (row.sentAt) return 'sent';
  return row.attempts >= maxMailAttempts ? 'gave_up' : 'queued';
}
