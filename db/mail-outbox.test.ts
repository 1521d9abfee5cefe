import { beforeEach, describe, expect, it } from 'vitest';
import { type AppDatabase, openMigratedDatabase } from './connection';
import {
  claimDueMails,
  enqueueMail,
  listRecentMails,
  mailClaimLeaseMs,
  mailRetryDelayMs,
  markMailFailed,
  markMailSent,
  maxMailAttempts,
} from './mail-outbox';

let db: AppDatabase;
const now = new Date('2026-05-05T10:00:00Z');
const later = (ms: number) => new Date(now.getTime() + ms);

beforeEach(() => {
  db = openMigratedDatabase(':memory:');
});

const mail = (recipient: string) => ({ recipient, subject: 'Ämne', textBody: 'Text' });

describe('mail outbox', () => {
  it('queues inside the caller’s transaction and loses the mail when it rolls back', () => {
    expect(() =>
      db.transaction((tx) => {
        enqueueMail(tx, mail('a@example.org'));
        throw new Error('change failed');
      }),
    ).toThrow('change failed');
    expect(listRecentMails(db, 10)).toEqual([]);
  });

  it('claims due mails oldest first, up to the limit, and not again while the claim holds', () => {
    const first = enqueueMail(db, mail('a@example.org'));
    const second = enqueueMail(db, mail('b@example.org'));
    enqueueMail(db, mail('c@example.org'));

    const claimed = claimDueMails(db, now, 2);
    expect(claimed.map((row) => row.id)).toEqual([first, second]);
    expect(claimed.every((row) => row.attempts === 1)).toBe(true);
    expect(claimDueMails(db, now, 10).map((row) => row.recipient)).toEqual(['c@example.org']);
    expect(claimDueMails(db, later(mailClaimLeaseMs - 1), 10)).toEqual([]);
    // The process that claimed them died: after the lease another one takes them.
    expect(claimDueMails(db, later(mailClaimLeaseMs), 10)).toHaveLength(3);
  });

  it('never claims a sent mail again', () => {
    const id = enqueueMail(db, mail('a@example.org'));
    claimDueMails(db, now, 10);
    markMailSent(db, id, now);
    expect(claimDueMails(db, later(mailClaimLeaseMs * 10), 10)).toEqual([]);
    expect(listRecentMails(db, 10)[0]).toMatchObject({ id, status: 'sent', sentAt: now, lastError: null });
  });

  it('retries a failed mail when its next attempt is due, with the error kept', () => {
    const id = enqueueMail(db, mail('a@example.org'));
    claimDueMails(db, now, 10);
    expect(markMailFailed(db, id, 'connect ECONNREFUSED 127.0.0.1:2525', later(60_000))).toBe('retrying');

    expect(claimDueMails(db, later(59_999), 10)).toEqual([]);
    const [retried] = claimDueMails(db, later(60_000), 10);
    expect(retried).toMatchObject({ id, attempts: 2, lastError: 'connect ECONNREFUSED 127.0.0.1:2525' });
    expect(listRecentMails(db, 10)[0]?.status).toBe('queued');
  });

  it(`gives up after ${maxMailAttempts} attempts and keeps the mail, unsent, with its last error`, () => {
    const id = enqueueMail(db, mail('a@example.org'));
    let clock = now;
    for (let attempt = 1; attempt <= maxMailAttempts; attempt += 1) {
      expect(claimDueMails(db, clock, 10).map((row) => row.id)).toEqual([id]);
      clock = new Date(clock.getTime() + mailRetryDelayMs(attempt));
      const result = markMailFailed(db, id, `failure ${attempt}`, clock);
      expect(result).toBe(attempt < maxMailAttempts ? 'retrying' : 'gave_up');
    }
    expect(claimDueMails(db, later(365 * 24 * 3_600_000), 10)).toEqual([]);
    expect(listRecentMails(db, 10)[0]).toMatchObject({
      id,
      status: 'gave_up',
      attempts: maxMailAttempts,
      sentAt: null,
      lastError: `failure ${maxMailAttempts}`,
    });
  });

  it('backs off exponentially from the base delay', () => {
    expect([1, 2, 3, 8].map((attempts) => mailRetryDelayMs(attempts, 1_000))).toEqual([
      1_000, 2_000, 4_000, 128_000,
    ]);
  });

  it('lists the newest mails first, up to the limit', () => {
    for (const recipient of ['a@example.org', 'b@example.org', 'c@example.org'])
      enqueueMail(db, mail(recipient));
    expect(listRecentMails(db, 2).map((row) => row.recipient)).toEqual(['c@example.org', 'b@example.org']);
  });
});
