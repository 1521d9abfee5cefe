import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AppDatabase, openDatabase } from '../../db/connection';
import { createReminderWorld, daysFrom, type ReminderWorld } from '../../db/reminder-test-fixtures';
import { auditEvents, mailOutbox, reminderDeliveries } from '../../db/schema';
import { startSmtpCatcher } from '../../test-support/smtp-catcher';
import { createTestDatabaseLocation, openTestDatabase } from '../../test-support/test-database';
import { createLogger } from '../logger';
import { startMailSender } from '../mail/mail-sender';
import { type ReminderSweep, startReminderSweep } from './reminder-sweep';

const now = new Date('2026-03-02T09:00:00Z');
const mailSettings = { environmentLabel: null, publicUrl: 'https://siths.example.se' };
let db: AppDatabase;
let world: ReminderWorld;
const cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  db = await openTestDatabase();
  world = await createReminderWorld(db, now);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await db.close();
});

async function sweepOn(on: AppDatabase, options: { onMailQueued?: () => void; at?: Date } = {}) {
  const sweep: ReminderSweep = await startReminderSweep({
    db: on,
    logger: createLogger('silent'),
    mail: mailSettings,
    now: () => options.at ?? now,
    ...(options.onMailQueued ? { onMailQueued: options.onMailQueued } : {}),
  });
  cleanups.push(() => sweep.stop());
  return sweep;
}

/** One of each reminder, due at `now`. */
async function everyKindDue() {
  const card = await world.card({
    unitId: world.units.akut,
    holder: world.persons.carina,
    state: 'active',
    validTo: daysFrom(now, 10),
  });
  await world.eid({ personId: world.persons.carina, cardId: card.id, validTo: daysFrom(now, 10) });
  const order = await world.order({
    personId: world.persons.carina,
    unitId: world.units.akut,
    placedBy: world.users.chef,
    createdAt: new Date('2025-12-10T08:00:00Z'),
  });
  const reserve = await world.card({
    unitId: world.units.akut,
    holder: world.persons.olof,
    state: 'assigned',
    updatedAt: daysFrom(now, -31),
  });
  return { card, order, reserve };
}

async function deliveries(on: AppDatabase = db) {
  return on.select().from(reminderDeliveries);
}

describe('reminder sweep', () => {
  it('sends each reminder in Swedish over SMTP through the outbox, with a delivery row and an audit entry', async () => {
    const smtp = await startSmtpCatcher();
    cleanups.push(() => smtp.stop());
    const sender = startMailSender({
      db,
      logger: createLogger('silent'),
      smtpUrl: smtp.url,
      from: 'no-reply@siths.se',
      pollIntervalMs: 60_000,
    });
    cleanups.push(() => sender.stop());
    const { card, order, reserve } = await everyKindDue();

    const sweep = await sweepOn(db, { onMailQueued: () => sender.kick() });
    await sweep.idle();

    const to = (address: string, subject: string) =>
      smtp.waitForMail((mail) => mail.envelope.to.includes(address) && mail.subject === subject);
    const cardMail = await to('carina.andersson@vgregion.se', 'Ditt SITHS-kort går ut 2026-03-12');
    expect(cardMail.to).toBe('"Carina Andersson" <carina.andersson@vgregion.se>');
    expect(cardMail.text).toContain(`Ditt SITHS-kort med kortserienummer ${card.serial} går ut 2026-03-12.`);
    expect(cardMail.html).toContain('<html lang="sv">');
    const eidMail = await to('carina.andersson@vgregion.se', 'Ditt SITHS eID går ut 2026-03-12');
    expect(eidMail.text).toContain(`på SITHS-kortet med kortserienummer ${card.serial}`);
    const digest = await to(
      'kim.kontakt@vgregion.se',
      'SITHS eID och kort som går ut inom 30 dagar, vecka 10',
    );
    expect(digest.text).toContain(`kort ${card.serial}, Carina Andersson, går ut 2026-03-12`);
    expect(digest.text).toContain('https://siths.example.se/admin/att-gora');
    const orderMail = await to('anna.bergström@vgregion.se', 'Din beställning går ut 2026-03-10');
    expect(orderMail.text).toContain('SITHS eID på kort för Carina Andersson');
    expect(orderMail.text).toContain(`https://siths.example.se/admin/bestallningar/${order}`);
    const lowStock = await to(
      'kim.kontakt@vgregion.se',
      'Lågt lager av reservkort: Akutmottagning Sahlgrenska',
    );
    expect(lowStock.text).toContain('har 0 reservkort i lager, färre än gränsen 2.');
    await to('sara.skövde@vgregion.se', 'Lågt lager av reservkort: Skaraborgs Sjukhus Skövde');
    const notActivated = await to(
      'kim.kontakt@vgregion.se',
      `Reservkort ${reserve.serial} är inte aktiverat`,
    );
    expect(notActivated.text).toContain('tilldelades Olof Lindqvist 2026-01-30 men har inte aktiverats.');
    // Contact persons of another unit hear nothing of Sahlgrenska's.
    expect(
      smtp.mails
        .filter((mail) => mail.envelope.to.includes('sara.skövde@vgregion.se'))
        .map((mail) => mail.subject),
    ).toEqual(['Lågt lager av reservkort: Skaraborgs Sjukhus Skövde']);

    expect((await deliveries()).map((row) => row.kind).sort()).toEqual([
      'card_expiring',
      'eid_expiring',
      'expiry_digest',
      'order_expiring',
      'reserve_card_not_activated',
      'reserve_stock_low',
      'reserve_stock_low',
    ]);
    expect((await deliveries()).every((row) => row.mailId !== null)).toBe(true);
    const queued = await db.select().from(auditEvents).where(eq(auditEvents.action, 'reminder_mail_queued'));
    expect(queued).toHaveLength(7);
    expect(queued.find((event) => event.objectId === order)).toMatchObject({
      actorLabel: 'system',
      actorUserId: null,
      objectType: 'order',
      unitId: world.units.akut,
      outcome: 'success',
      detail: { kind: 'order_expiring', period: '2026-03-10' },
    });
  });

  it('sends a reminder once per period: a second sweep sends nothing, the next week brings a new digest', async () => {
    await everyKindDue();
    const sweep = await sweepOn(db);
    await sweep.idle();
    const mails = (await db.select().from(mailOutbox)).length;
    expect(mails).toBe(7);

    const again = await sweep.runOnce();
    expect(Object.values(again).every((count) => count.reminders === 0)).toBe(true);
    expect(await db.select().from(mailOutbox)).toHaveLength(mails);

    const nextWeek = await sweepOn(db, { at: daysFrom(now, 7) });
    await nextWeek.idle();
    const digests = await db
      .select()
      .from(reminderDeliveries)
      .where(eq(reminderDeliveries.kind, 'expiry_digest'));
    expect(digests.map((row) => row.period).sort()).toEqual(['2026-W10', '2026-W11']);
  });

  it('sends no mail to a protected identity, a person who left or one without an e-mail, and audits why', async () => {
    const holders = {
      protected_identity: world.persons.protectedHolder,
      left_region: world.persons.leaver,
      no_email: world.persons.noEmail,
    };
    const cardOf = new Map<string, string>();
    for (const [reason, holder] of Object.entries(holders)) {
      const card = await world.card({
        unitId: world.units.akut,
        holder,
        state: 'active',
        validTo: daysFrom(now, 5),
      });
      cardOf.set(reason, card.id);
    }
    const sweep = await sweepOn(db);
    await sweep.idle();

    const recipients = (await db.select().from(mailOutbox)).map((mail) => mail.recipient);
    expect(
      recipients.filter((recipient) => !recipient.includes('kim.kontakt') && !recipient.includes('sara.')),
    ).toEqual([]);
    for (const [reason, cardId] of cardOf) {
      const skipped = await db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.objectId, cardId), eq(auditEvents.action, 'reminder_mail_skipped')));
      expect(skipped).toMatchObject([{ outcome: 'failed', detail: { kind: 'card_expiring', reason } }]);
      const [delivery] = await db
        .select()
        .from(reminderDeliveries)
        .where(eq(reminderDeliveries.subjectId, cardId));
      expect(delivery).toMatchObject({ kind: 'card_expiring', mailId: null });
    }
    const digest = (await db.select().from(mailOutbox)).find((mail) =>
      mail.subject.startsWith('SITHS eID och kort'),
    );
    expect(digest?.textBody).toContain('en person med skyddad identitet');
    expect(digest?.textBody).not.toContain('Hemlig');
  });

  it('sends each reminder once when two processes sweep at the same time', async () => {
    const location = await createTestDatabaseLocation();
    cleanups.push(() => location.remove());
    const first = await openDatabase(location.url);
    const second = await openDatabase(location.url);
    cleanups.push(() => second.close());
    cleanups.push(() => first.close());
    const shared = await createReminderWorld(first, now);
    const card = await shared.card({
      unitId: shared.units.akut,
      holder: shared.persons.carina,
      state: 'active',
      validTo: daysFrom(now, 10),
    });
    await shared.eid({ personId: shared.persons.carina, cardId: card.id, validTo: daysFrom(now, 10) });
    await shared.order({
      personId: shared.persons.carina,
      unitId: shared.units.akut,
      placedBy: shared.users.chef,
      createdAt: new Date('2025-12-10T08:00:00Z'),
    });
    await shared.card({
      unitId: shared.units.akut,
      holder: shared.persons.olof,
      state: 'assigned',
      updatedAt: daysFrom(now, -40),
    });

    const sweeps = [await sweepOn(first), await sweepOn(second), await sweepOn(first), await sweepOn(second)];
    await Promise.all(sweeps.flatMap((sweep) => [sweep.idle(), sweep.runOnce()]));

    const mails = await first.select().from(mailOutbox);
    const subjects = mails.map((mail) => `${mail.recipient} ${mail.subject}`);
    expect(subjects).toHaveLength(new Set(subjects).size);
    expect(mails).toHaveLength(7);
    expect(await deliveries(first)).toHaveLength(7);
    expect(
      await first.select().from(auditEvents).where(eq(auditEvents.action, 'reminder_mail_queued')),
    ).toHaveLength(7);
  });
});
