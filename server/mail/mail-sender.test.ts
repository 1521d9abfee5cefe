import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppDatabase } from '../../db/connection';
import { enqueueMail, listRecentMails } from '../../db/mail-outbox';
import { startSmtpCatcher } from '../../test-support/smtp-catcher';
import { openTestDatabase } from '../../test-support/test-database';
import { createLogger } from '../logger';
import { type MailSender, startMailSender } from './mail-sender';
import { unlockAttemptMail } from './templates';

const serial = '9752269885719985027';
let db: AppDatabase;
const cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  db = await openTestDatabase();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await db.close();
});

function sender(smtpUrl: string): MailSender {
  const started = startMailSender({
    db,
    logger: createLogger('silent'),
    smtpUrl,
    from: 'no-reply@siths.se',
    pollIntervalMs: 50,
    retryBaseDelayMs: 50,
  });
  cleanups.push(() => started.stop());
  return started;
}

async function catcher(port?: number) {
  const started = await startSmtpCatcher(port === undefined ? {} : { port });
  cleanups.push(() => started.stop());
  return started;
}

async function queueUnlockMail(): Promise<number> {
  return await enqueueMail(db, {
    recipient: '"Carina Svensson Andersson" <carina.svensson-andersson@vgregion.se>',
    ...unlockAttemptMail({ cardSerial: serial, environmentLabel: 'TEST-miljö' }),
  });
}

describe('mail sender', () => {
  it('sends a queued mail over SMTP when kicked, and marks it sent', async () => {
    const smtp = await catcher();
    const mailSender = sender(smtp.url);
    const id = await queueUnlockMail();
    mailSender.kick();

    const mail = await smtp.waitForMail((received) => received.subject.startsWith('Upplåsning'), 5_000);
    expect(mail.envelope).toEqual({
      from: 'no-reply@siths.se',
      to: ['carina.svensson-andersson@vgregion.se'],
    });
    expect(mail.to).toBe('"Carina Svensson Andersson" <carina.svensson-andersson@vgregion.se>');
    expect(mail.from).toBe('no-reply@siths.se');
    expect(mail.subject).toBe('Upplåsning av SITHS-kort i TEST-miljö');
    expect(mail.text).toContain(`med kortserienummer ${serial}.`);
    expect(mail.text).toContain('Kontakta lokal support om detta inte var din avsikt.');
    expect(mail.html).toContain(`<strong>${serial}</strong>`);
    await mailSender.runOnce();
    expect((await listRecentMails(db, 1))[0]).toMatchObject({
      id,
      status: 'sent',
      attempts: 1,
      lastError: null,
    });
  });

  it('keeps a mail queued with the error while the SMTP server is down, and sends it once it is back', async () => {
    const down = await startSmtpCatcher();
    const { port } = down;
    await down.stop();
    const mailSender = sender(`smtp://127.0.0.1:${port}`);
    const id = await queueUnlockMail();
    await mailSender.runOnce();
    const [failed] = await listRecentMails(db, 1);
    expect(failed).toMatchObject({ id, status: 'queued', attempts: 1, sentAt: null });
    expect(failed?.lastError).toMatch(/ECONNREFUSED/);

    const smtp = await catcher(port);
    const mail = await smtp.waitForMail((received) => received.envelope.to.length > 0, 5_000);
    expect(mail.subject).toBe('Upplåsning av SITHS-kort i TEST-miljö');
    await expect.poll(async () => (await listRecentMails(db, 1))[0]?.status).toBe('sent');
    expect(smtp.mails).toHaveLength(1);
  });

  it('sends each queued mail once, in the order they were queued', async () => {
    const smtp = await catcher();
    const mailSender = sender(smtp.url);
    for (const name of ['a', 'b', 'c'])
      await enqueueMail(db, { recipient: `${name}@example.org`, subject: name, textBody: name });
    mailSender.kick();
    mailSender.kick();
    await mailSender.runOnce();
    expect(smtp.mails.map((mail) => mail.subject)).toEqual(['a', 'b', 'c']);
  });
});
