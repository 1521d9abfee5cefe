import { recordAudit } from '../../db/audit';
import type { AppDatabase, AppTransaction } from '../../db/connection';
import { enqueueMail } from '../../db/mail-outbox';
import { personMailAddress } from '../../db/person-mail';
import {
  claimReminder,
  noteReminderMail,
  type ReminderKey,
  type ReminderRecipient,
} from '../../db/reminders';
import type { MailContent } from '../mail/templates';
import { formatRecipient } from '../mail/unlock-attempt-mail';

/** One reminder about one subject for one period, to one or more people. */
export interface Reminder {
  key: ReminderKey;
  /** What the audit entries are about. */
  about: { objectType: string; objectId: string; unitId: string | null };
  recipients: readonly ReminderRecipient[];
  /** Why nobody is to get it, when `recipients` is empty (default `no_recipient`). */
  noRecipientReason?: string;
  mail: MailContent;
  /** Facts the audit entries carry besides the kind, period and mail. */
  detail?: Record<string, unknown>;
  /** A further claim in the same transaction (the low-stock crossing); false: another process has it. */
  claim?: (tx: AppTransaction) => Promise<boolean>;
}

/** What became of a reminder: how many mails were queued, or nothing because it went out already. */
export type ReminderOutcome = { sent: true; mails: number } | { sent: false };

/**
 * Sends a reminder once: claims it, queues a mail to each recipient that may get one, and writes an audit
 * entry per recipient (queued, or skipped and why), all in one transaction. A process that finds the
 * reminder claimed sends nothing.
 */
export async function sendReminder(db: AppDatabase, reminder: Reminder, now: Date): Promise<ReminderOutcome> {
  return db.transaction(async (tx): Promise<ReminderOutcome> => {
    if (reminder.claim && !(await reminder.claim(tx))) return { sent: false };
    if (!(await claimReminder(tx, reminder.key, now))) return { sent: false };
    const audit = (action: string, outcome: 'success' | 'failed', detail: Record<string, unknown>) =>
      recordAudit(tx, {
        actorUserId: null,
        actorLabel: 'system',
        action,
        objectType: reminder.about.objectType,
        objectId: reminder.about.objectId,
        unitId: reminder.about.unitId,
        outcome,
        detail: { kind: reminder.key.kind, period: reminder.key.period, ...reminder.detail, ...detail },
      });
    if (reminder.recipients.length === 0) {
      await audit('reminder_mail_skipped', 'failed', {
        reason: reminder.noRecipientReason ?? 'no_recipient',
      });
      return { sent: true, mails: 0 };
    }
    let firstMailId: number | null = null;
    let queued = 0;
    for (const recipient of reminder.recipients) {
      const address = personMailAddress(recipient);
      if (!address.send) {
        await audit('reminder_mail_skipped', 'failed', {
          personId: recipient.personId,
          reason: address.reason,
        });
        continue;
      }
      const mailId = await enqueueMail(tx, {
        recipient: formatRecipient(address.name, address.email),
        ...reminder.mail,
      });
      firstMailId ??= mailId;
      queued += 1;
      await audit('reminder_mail_queued', 'success', { personId: recipient.personId, mailId });
    }
    if (firstMailId !== null) await noteReminderMail(tx, reminder.key, firstMailId);
    return { sent: true, mails: queued };
  });
}
