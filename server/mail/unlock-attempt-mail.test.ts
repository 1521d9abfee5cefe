import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listAuditEvents } from '../../db/audit';
import type { AppDatabase } from '../../db/connection';
import { first } from '../../db/engine';
import { listRecentMails } from '../../db/mail-outbox';
import { cards, mailOutbox, persons } from '../../db/schema';
import { demoCards, demoPersons, seedDemoData } from '../../db/seed';
import { startSmtpCatcher } from '../../test-support/smtp-catcher';
import { openTestDatabase } from '../../test-support/test-database';
import { startTestServer, type TestServer } from '../testing/test-server';
import { formatRecipient, queueUnlockAttemptMail, type UnlockAttempt } from './unlock-attempt-mail';

const at = new Date('2026-05-05T10:00:00Z');
const settings = { environmentLabel: 'TEST-miljö' };
const seed = (db: AppDatabase) => seedDemoData(db, { hashPassword: async (password) => password });
const personId = async (db: AppDatabase, hsaId: string) =>
  first(await db.select().from(persons).where(eq(persons.hsaId, hsaId)).limit(1))!.id;
const auditOf = async (db: AppDatabase, action: string) =>
  (await listAuditEvents(db, { scope: 'all', action }, { page: 1, pageSize: 10 })).events;

describe('queueUnlockAttemptMail', () => {
  let db: AppDatabase;
  beforeEach(async () => {
    db = await openTestDatabase();
    await seed(db);
  });
  afterEach(() => db.close());

  const attempt = async (hsaId: string, outcome: UnlockAttempt['outcome']): Promise<UnlockAttempt> => ({
    personId: await personId(db, hsaId),
    cardSerial: demoCards.lockedOrdinary,
    outcome,
    at,
  });

  it.each(['succeeded', 'failed'] as const)(
    'queues the mail to the HSA email after a %s attempt, and audits it',
    async (outcome) => {
      const result = await queueUnlockAttemptMail(
        db,
        await attempt(demoPersons.carina.hsaId, outcome),
        settings,
      );

      expect(result.queued).toBe(true);
      const [mail] = await db.select().from(mailOutbox);
      expect(mail).toMatchObject({
        recipient: `"Carina Svensson Andersson" <${demoPersons.carina.email}>`,
        subject: 'Upplåsning av SITHS-kort i TEST-miljö',
      });
      expect(mail?.textBody).toContain(`kortserienummer ${demoCards.lockedOrdinary}.`);
      const card = first(
        await db.select().from(cards).where(eq(cards.serial, demoCards.lockedOrdinary)).limit(1),
      )!;
      expect(await auditOf(db, 'unlock_mail_queued')).toEqual([
        expect.objectContaining({
          actorLabel: 'system',
          objectType: 'card',
          objectId: card.id,
          unitId: card.unitId,
          outcome: 'success',
          detail: {
            cardSerial: demoCards.lockedOrdinary,
            unlockOutcome: outcome,
            attemptedAt: at.toISOString(),
            mailId: mail?.id,
          },
        }),
      ]);
    },
  );

  it('queues nothing for a person without an email, and the audit says why', async () => {
    const result = await queueUnlockAttemptMail(
      db,
      await attempt(demoPersons.elsa.hsaId, 'failed'),
      settings,
    );

    expect(result).toEqual({ queued: false, reason: 'no_email' });
    expect(await listRecentMails(db, 10)).toEqual([]);
    expect(await auditOf(db, 'unlock_mail_queued')).toEqual([]);
    expect(await auditOf(db, 'unlock_mail_skipped')).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        detail: expect.objectContaining({ reason: 'no_email', unlockOutcome: 'failed' }),
      }),
    ]);
  });

  it('queues nothing for a protected identity, even with an email, and the audit says why', async () => {
    const carinas = await attempt(demoPersons.carina.hsaId, 'succeeded');
    await db.update(persons).set({ protectedIdentity: true }).where(eq(persons.id, carinas.personId));

    const result = await queueUnlockAttemptMail(db, carinas, settings);

    expect(result).toEqual({ queued: false, reason: 'protected_identity' });
    expect(await listRecentMails(db, 10)).toEqual([]);
    expect(await auditOf(db, 'unlock_mail_queued')).toEqual([]);
    expect(await auditOf(db, 'unlock_mail_skipped')).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        detail: expect.objectContaining({ reason: 'protected_identity', unlockOutcome: 'succeeded' }),
      }),
    ]);
  });

  it('is part of the caller’s transaction: rolled back with it, the mail and its audit are gone', async () => {
    const carinas = await attempt(demoPersons.carina.hsaId, 'succeeded');
    await expect(
      db.transaction(async (tx) => {
        await queueUnlockAttemptMail(tx, carinas, settings);
        throw new Error('unlock not recorded');
      }),
    ).rejects.toThrow('unlock not recorded');
    expect(await listRecentMails(db, 10)).toEqual([]);
    expect(await auditOf(db, 'unlock_mail_queued')).toEqual([]);
  });

  it('quotes the recipient’s name so it cannot add addresses', () => {
    expect(formatRecipient('Eve "x" <e@evil>, a', 'eve@example.org')).toBe(
      '"Eve \\"x\\" <e@evil>, a" <eve@example.org>',
    );
  });
});

describe('unlock mail through the server', () => {
  it('reaches the SMTP server at SMTP_URL as soon as it is queued, and the development page lists it', async () => {
    const smtp = await startSmtpCatcher();
    let server: TestServer | undefined;
    try {
      server = await startTestServer({ env: { SMTP_URL: smtp.url } });
      await seed(server.db);
      const carina = await personId(server.db, demoPersons.carina.hsaId);

      await server.server.services.mail.queueUnlockAttemptMail(server.db, {
        personId: carina,
        cardSerial: demoCards.lockedOrdinary,
        outcome: 'succeeded',
        at,
      });

      const mail = await smtp.waitForMail((received) =>
        received.envelope.to.includes(demoPersons.carina.email!),
      );
      expect(mail.subject).toBe('Upplåsning av SITHS-kort i TEST-miljö');
      expect(mail.to).toContain('Carina Svensson Andersson');
      const page = await fetch(`${server.url}/dev/mail`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Upplåsning av SITHS-kort i TEST-miljö');
    } finally {
      await server?.stop();
      await smtp.stop();
    }
  });
});
