import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabaseLocation, openTestDatabase } from '../test-support/test-database';
import { type AppDatabase, openDatabase } from './connection';
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

beforeEach(async () => {
  db = await openTestDatabase();
});

afterEach(async () => {
  await db.close();
});

/**
 * A sender process: its own connection, started together with the other, claiming three at a time until
 * nothing is due. The worker loads its TypeScript through tsx, as `node --import tsx` would.
 */
const claimWorker = `import('tsx/esm/api').then(async (tsx) => {
  tsx.register();
  const { parentPort, workerData } = await import('node:worker_threads');
  const { openDatabase } = await import(${JSON.stringify(new URL('./connection.ts', import.meta.url).href)});
  const { claimDueMails } = await import(${JSON.stringify(new URL('./mail-outbox.ts', import.meta.url).href)});
  const db = await openDatabase(workerData.url);
  Atomics.add(workerData.start, 0, 1);
  while (Atomics.load(workerData.start, 0) < 2) Atomics.wait(workerData.start, 0, 1, 5);
  const claimed = [];
  for (;;) {
    const batch = await claimDueMails(db, new Date(workerData.now), 3);
    if (batch.length === 0) break;
    claimed.push(...batch.map((row) => row.id));
  }
  parentPort.postMessage(claimed);
  await db.close();
});`;

const mail = (recipient: string) => ({ recipient, subject: 'Ämne', textBody: 'Text' });

describe('mail outbox', () => {
  it('queues inside the caller’s transaction and loses the mail when it rolls back', async () => {
    await expect(
      db.transaction(async (tx) => {
        await enqueueMail(tx, mail('a@example.org'));
        throw new Error('change failed');
      }),
    ).rejects.toThrow('change failed');
    expect(await listRecentMails(db, 10)).toEqual([]);
  });

  it('claims due mails oldest first, up to the limit, and not again while the claim holds', async () => {
    const first = await enqueueMail(db, mail('a@example.org'));
    const second = await enqueueMail(db, mail('b@example.org'));
    await enqueueMail(db, mail('c@example.org'));

    const claimed = await claimDueMails(db, now, 2);
    expect(claimed.map((row) => row.id)).toEqual([first, second]);
    expect(claimed.every((row) => row.attempts === 1)).toBe(true);
    expect((await claimDueMails(db, now, 10)).map((row) => row.recipient)).toEqual(['c@example.org']);
    expect(await claimDueMails(db, later(mailClaimLeaseMs - 1), 10)).toEqual([]);
    // The process that claimed them died: after the lease another one takes them.
    expect(await claimDueMails(db, later(mailClaimLeaseMs), 10)).toHaveLength(3);
  });

  it('gives each mail to exactly one of two senders claiming at once on their own connections', async () => {
    const location = await createTestDatabaseLocation();
    const outbox = await openDatabase(location.url);
    try {
      const queued: number[] = [];
      for (let index = 0; index < 40; index++) {
        queued.push(await enqueueMail(outbox, mail(`${index}@example.org`)));
      }
      const start = new Int32Array(new SharedArrayBuffer(4));
      const claims = await Promise.all(
        [1, 2].map(
          () =>
            new Promise<number[]>((resolve, reject) => {
              const worker = new Worker(claimWorker, {
                eval: true,
                workerData: { url: location.url, start, now: now.getTime() },
              });
              worker.once('message', resolve);
              worker.once('error', reject);
            }),
        ),
      );
      const claimed = claims.flat();
      expect(claimed.sort((a, b) => a - b)).toEqual(queued);
    } finally {
      await outbox.close();
      await location.remove();
    }
  });

  it('never claims a sent mail again', async () => {
    const id = await enqueueMail(db, mail('a@example.org'));
    await claimDueMails(db, now, 10);
    await markMailSent(db, id, now);
    expect(await claimDueMails(db, later(mailClaimLeaseMs * 10), 10)).toEqual([]);
    expect((await listRecentMails(db, 10))[0]).toMatchObject({
      id,
      status: 'sent',
      sentAt: now,
      lastError: null,
    });
  });

  it('retries a failed mail when its next attempt is due, with the error kept', async () => {
    const id = await enqueueMail(db, mail('a@example.org'));
    await claimDueMails(db, now, 10);
    expect(await markMailFailed(db, id, 'connect ECONNREFUSED 127.0.0.1:2525', later(60_000))).toBe(
      'retrying',
    );

    expect(await claimDueMails(db, later(59_999), 10)).toEqual([]);
    const [retried] = await claimDueMails(db, later(60_000), 10);
    expect(retried).toMatchObject({ id, attempts: 2, lastError: 'connect ECONNREFUSED 127.0.0.1:2525' });
    expect((await listRecentMails(db, 10))[0]?.status).toBe('queued');
  });

  it(`gives up after ${maxMailAttempts} attempts and keeps the mail, unsent, with its last error`, async () => {
    const id = await enqueueMail(db, mail('a@example.org'));
    let clock = now;
    for (let attempt = 1; attempt <= maxMailAttempts; attempt += 1) {
      expect((await claimDueMails(db, clock, 10)).map((row) => row.id)).toEqual([id]);
      clock = new Date(clock.getTime() + mailRetryDelayMs(attempt));
      const result = await markMailFailed(db, id, `failure ${attempt}`, clock);
      expect(result).toBe(attempt < maxMailAttempts ? 'retrying' : 'gave_up');
    }
    expect(await claimDueMails(db, later(365 * 24 * 3_600_000), 10)).toEqual([]);
    expect((await listRecentMails(db, 10))[0]).toMatchObject({
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

  it('lists the newest mails first, up to the limit', async () => {
    for (const recipient of ['a@example.org', 'b@example.org', 'c@example.org'])
      await enqueueMail(db, mail(recipient));
    expect((await listRecentMails(db, 2)).map((row) => row.recipient)).toEqual([
      'c@example.org',
      'b@example.org',
    ]);
  });
});
