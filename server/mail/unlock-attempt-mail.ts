import { type AuditEntry, recordAudit } from '../../db/audit';
import type { Queryable } from '../../db/connection';
import { enqueueMail } from '../../db/mail-outbox';
import { type PersonMailSkipReason, personMailAddress } from '../../db/person-mail';
import { findUnlockMailFacts } from '../../db/unlock-mail';
import { unlockAttemptMail } from './templates';

export interface UnlockAttempt {
  personId: string;
  cardSerial: string;
  outcome: 'succeeded' | 'failed';
  at: Date;
}

export type UnlockMailResult =
  | { queued: true; mailId: number }
  | { queued: false; reason: PersonMailSkipReason | 'unknown_person' };

/** The database or a transaction on it: the mail is queued with the attempt it tells about. */
export type UnlockMailDb = Queryable;

export interface UnlockMailSettings {
  environmentLabel: string | null;
}

/**
 * Tells the card holder about an unlock attempt, whatever its outcome, at their HSA email. Where no mail may
 * go (no email, a protected identity, a person who left) nothing is sent; either way the audit log says
 * what became of the mail.
 */
export async function queueUnlockAttemptMail(
  db: UnlockMailDb,
  attempt: UnlockAttempt,
  settings: UnlockMailSettings,
): Promise<UnlockMailResult> {
  return db.transaction(async (tx): Promise<UnlockMailResult> => {
    const { person, card } = await findUnlockMailFacts(tx, attempt.personId, attempt.cardSerial);
    const about = card
      ? { objectType: 'card', objectId: card.id, unitId: card.unitId }
      : { objectType: 'person', objectId: attempt.personId };
    const audit = (entry: Pick<AuditEntry, 'action' | 'outcome'>, detail: Record<string, unknown>) =>
      recordAudit(tx, {
        actorUserId: null,
        actorLabel: 'system',
        ...about,
        ...entry,
        detail: {
          cardSerial: attempt.cardSerial,
          unlockOutcome: attempt.outcome,
          attemptedAt: attempt.at.toISOString(),
          ...detail,
        },
      });
    const address = person
      ? personMailAddress(person)
      : { send: false as const, reason: 'unknown_person' as const };
    if (!address.send) {
      await audit({ action: 'unlock_mail_skipped', outcome: 'failed' }, { reason: address.reason });
      return { queued: false, reason: address.reason };
    }
    const mailId = await enqueueMail(tx, {
      recipient: formatRecipient(address.name, address.email),
      ...unlockAttemptMail({ cardSerial: attempt.cardSerial, environmentLabel: settings.environmentLabel }),
    });
    await audit({ action: 'unlock_mail_queued', outcome: 'success' }, { mailId });
    return { queued: true, mailId };
  });
}

/** `"Name" <address>`, so the mail reads "Till Carina Svensson Andersson" as in the guide. */
export function formatRecipient(name: string, email: string): string {
  const quoted = name.replace(/[\\"]/g, (character) => `\\${character}`).replace(/[\r\n]+/g, ' ');
  return `"${quoted}" <${email}>`;
}
