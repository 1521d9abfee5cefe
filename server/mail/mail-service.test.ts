import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppDatabase } from '../../db/connection';
import { first } from '../../db/engine';
import { listRecentMails } from '../../db/mail-outbox';
import { persons } from '../../db/schema';
import { demoCards, demoPersons, seedDemoData } from '../../db/seed';
import { openTestDatabase } from '../../test-support/test-database';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { devMailPage } from './dev-mail-page';
import { type RunningMail, startMail } from './mail-service';

let db: AppDatabase;
let mail: RunningMail | undefined;

beforeEach(async () => {
  db = await openTestDatabase();
  await seedDemoData(db, { hashPassword: async (password) => password });
});

afterEach(async () => {
  await mail?.stop();
  mail = undefined;
  await db.close();
});

const carinasAttempt = async () => ({
  personId: first(
    await db.select().from(persons).where(eq(persons.hsaId, demoPersons.carina.hsaId)).limit(1),
  )!.id,
  cardSerial: demoCards.lockedOrdinary,
  outcome: 'failed' as const,
  at: new Date(),
});

async function fetchPage(handler: express.RequestHandler): Promise<string> {
  const app = express().get('/dev/mail', handler);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await (await fetch(`http://127.0.0.1:${port}/dev/mail`)).text();
  } finally {
    server.close();
  }
}

describe('mail service', () => {
  it('in development without SMTP_URL, sends to a catcher on loopback that /dev/mail lists', async () => {
    mail = await startMail(loadConfig({ NODE_ENV: 'development' }), { db, logger: createLogger('silent') });
    expect(mail.devCatcher?.url).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);

    await mail.service.queueUnlockAttemptMail(db, await carinasAttempt());

    await expect.poll(() => mail?.devCatcher?.mails().length, { timeout: 5_000 }).toBe(1);
    const page = await fetchPage(devMailPage({ db, catcher: mail.devCatcher }));
    expect(page).toContain('Upplåsning av SITHS-kort i TEST-miljö');
    expect(page).toContain(`med kortserienummer ${demoCards.lockedOrdinary}.`);
    expect(page).toContain('&quot;Carina Svensson Andersson&quot; &lt;');
  });

  it('in production without SMTP_URL, keeps the mail queued, with no environment in the subject', async () => {
    mail = await startMail(loadConfig({ NODE_ENV: 'production' }), { db, logger: createLogger('silent') });
    expect(mail.devCatcher).toBeNull();

    await mail.service.queueUnlockAttemptMail(db, await carinasAttempt());

    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await listRecentMails(db, 10)).toEqual([
      expect.objectContaining({ subject: 'Upplåsning av SITHS-kort', status: 'queued', attempts: 0 }),
    ]);
  });
});
