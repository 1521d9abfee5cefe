import type { AppDatabase } from '../../db/connection';
import { seesNoProtectedIdentity } from '../../db/protected-identity';
import {
  claimLowStockCrossing,
  clearRecoveredStockReminders,
  contactPersonsByUnit,
  dayPeriod,
  dueCardExpiries,
  dueEidExpiries,
  dueNotActivatedReserveCards,
  dueOrderExpiries,
  isoWeekPeriod,
  listContactPersons,
  type ReminderRecipient,
  reminderSent,
  unitName,
  unitsNewlyLowOnStock,
} from '../../db/reminders';
import type { ReminderKind } from '../../db/schema';
import { listExpiringCards, listExpiringEids, type TodoPerson } from '../../db/todo-list';
import { expandUnitSubtrees } from '../../db/units';
import {
  cardExpiringMail,
  type DigestLine,
  eidExpiringMail,
  expiryDigestMail,
  orderExpiringMail,
  type ReminderMailSettings,
  reserveCardNotActivatedMail,
  reserveStockLowMail,
} from '../mail/reminder-templates';
import { type ReminderOutcome, sendReminder } from './send-reminder';

/** What one kind's pass needs. */
export interface ReminderPass {
  db: AppDatabase;
  now: Date;
  mail: ReminderMailSettings;
}

/** How many reminders of a kind went out in a pass, and how many mails they queued. */
export interface PassCount {
  reminders: number;
  mails: number;
}

function tally(outcomes: ReminderOutcome[]): PassCount {
  const sent = outcomes.flatMap((outcome) => (outcome.sent ? [outcome.mails] : []));
  return { reminders: sent.length, mails: sent.reduce((sum, mails) => sum + mails, 0) };
}

const protectedInMail = 'en person med skyddad identitet';

/** How a person is named to staff in a mail: never by name when their identity is protected. */
function staffFacingName(person: { givenName: string; surname: string; protectedIdentity: boolean }): string {
  return person.protectedIdentity ? protectedInMail : `${person.givenName} ${person.surname}`;
}

/** Att göra's lists, read for a mail as by a reader without the right: a mail may be forwarded. */
function digestName(person: TodoPerson): string {
  return person.hidden ? protectedInMail : person.name;
}

async function eidExpiring({ db, now, mail }: ReminderPass): Promise<PassCount> {
  const outcomes: ReminderOutcome[] = [];
  for (const eid of await dueEidExpiries(db, now)) {
    const reminder = {
      key: { kind: 'eid_expiring' as const, subjectId: eid.subjectId, period: eid.period },
      about: { objectType: 'eid', objectId: eid.subjectId, unitId: null },
      recipients: [eid.holder],
      mail: eidExpiringMail(eid, mail),
      detail: { validTo: eid.validTo.toISOString() },
    };
    outcomes.push(await sendReminder(db, reminder, now));
  }
  return tally(outcomes);
}

async function cardExpiring({ db, now, mail }: ReminderPass): Promise<PassCount> {
  const outcomes: ReminderOutcome[] = [];
  for (const card of await dueCardExpiries(db, now)) {
    const reminder = {
      key: { kind: 'card_expiring' as const, subjectId: card.subjectId, period: card.period },
      about: { objectType: 'card', objectId: card.subjectId, unitId: card.unitId },
      recipients: [card.holder],
      mail: cardExpiringMail(card, mail),
      detail: { cardSerial: card.serial, validTo: card.validTo.toISOString() },
    };
    outcomes.push(await sendReminder(db, reminder, now));
  }
  return tally(outcomes);
}

/** Each contact person's weekly list of the eIDs and cards in their units that expire within 30 days. */
async function expiryDigest({ db, now, mail }: ReminderPass): Promise<PassCount> {
  const outcomes: ReminderOutcome[] = [];
  const week = isoWeekPeriod(now);
  for (const contactPerson of await listContactPersons(db)) {
    const key = { kind: 'expiry_digest' as const, subjectId: contactPerson.userId, period: week };
    if (await reminderSent(db, key)) continue;
    const scope = await expandUnitSubtrees(db, contactPerson.grantedUnitIds);
    const lines: DigestLine[] = [
      ...(await listExpiringEids(db, scope, now, seesNoProtectedIdentity)).map((eid) => ({
        what: eid.cardSerial
          ? `eID på kort ${eid.cardSerial}`
          : `Mobilt SITHS ${eid.deviceName ?? ''}`.trim(),
        holder: digestName(eid.person),
        validTo: eid.validTo,
      })),
      ...(await listExpiringCards(db, scope, now, seesNoProtectedIdentity)).map((card) => ({
        what: `kort ${card.serial}`,
        holder: digestName(card.person),
        validTo: card.validTo,
      })),
    ].sort((a, b) => a.validTo.getTime() - b.validTo.getTime());
    if (lines.length === 0) continue;
    const reminder = {
      key,
      about: { objectType: 'user', objectId: contactPerson.userId, unitId: null },
      recipients: [contactPerson],
      mail: expiryDigestMail({ week, lines }, mail),
      detail: { items: lines.length },
    };
    outcomes.push(await sendReminder(db, reminder, now));
  }
  return tally(outcomes);
}

async function orderExpiring({ db, now, mail }: ReminderPass): Promise<PassCount> {
  const outcomes: ReminderOutcome[] = [];
  for (const order of await dueOrderExpiries(db, now)) {
    const reminder = {
      key: { kind: 'order_expiring' as const, subjectId: order.subjectId, period: order.period },
      about: { objectType: 'order', objectId: order.subjectId, unitId: order.unitId },
      recipients: order.placer ? [order.placer] : [],
      noRecipientReason: 'placer_has_no_person',
      mail: orderExpiringMail(
        {
          orderId: order.subjectId,
          type: order.type,
          forWhom: staffFacingName(order.person),
          expiresAt: order.expiresAt,
        },
        mail,
      ),
      detail: { expiresAt: order.expiresAt.toISOString(), placedByUserId: order.placedByUserId },
    };
    outcomes.push(await sendReminder(db, reminder, now));
  }
  return tally(outcomes);
}

/** Once per crossing: a unit's contact persons hear when its stock goes under the threshold, not again until it recovered. */
async function reserveStockLow({ db, now, mail }: ReminderPass): Promise<PassCount> {
  await clearRecoveredStockReminders(db);
  const low = await unitsNewlyLowOnStock(db);
  if (low.length === 0) return tally([]);
  const contactPersonsOf = await contactPersonsByUnit(db);
  const outcomes: ReminderOutcome[] = [];
  for (const unit of low) {
    const reminder = {
      key: { kind: 'reserve_stock_low' as const, subjectId: unit.unitId, period: now.toISOString() },
      about: { objectType: 'unit', objectId: unit.unitId, unitId: unit.unitId },
      recipients: contactPersonsOf(unit.unitId) satisfies ReminderRecipient[],
      mail: reserveStockLowMail(unit, mail),
      detail: { inStock: unit.inStock, threshold: unit.threshold },
      claim: (tx: Parameters<typeof claimLowStockCrossing>[0]) => claimLowStockCrossing(tx, unit.unitId, now),
    };
    outcomes.push(await sendReminder(db, reminder, now));
  }
  return tally(outcomes);
}

async function reserveCardNotActivated({ db, now, mail }: ReminderPass): Promise<PassCount> {
  const due = await dueNotActivatedReserveCards(db, now);
  if (due.length === 0) return tally([]);
  const contactPersonsOf = await contactPersonsByUnit(db);
  const outcomes: ReminderOutcome[] = [];
  for (const card of due) {
    const reminder = {
      key: { kind: 'reserve_card_not_activated' as const, subjectId: card.subjectId, period: card.period },
      about: { objectType: 'card', objectId: card.subjectId, unitId: card.unitId },
      recipients: contactPersonsOf(card.unitId),
      mail: reserveCardNotActivatedMail(
        {
          serial: card.serial,
          unitName: (await unitName(db, card.unitId)) ?? card.unitId,
          holder: staffFacingName(card.holder),
          assignedAt: card.assignedAt,
        },
        mail,
      ),
      detail: { cardSerial: card.serial, assignedAt: dayPeriod(card.assignedAt) },
    };
    outcomes.push(await sendReminder(db, reminder, now));
  }
  return tally(outcomes);
}

/** Every reminder kind's pass, in the order a sweep runs them. */
export const reminderPasses: Record<ReminderKind, (pass: ReminderPass) => Promise<PassCount>> = {
  eid_expiring: eidExpiring,
  card_expiring: cardExpiring,
  expiry_digest: expiryDigest,
  reserve_stock_low: reserveStockLow,
  order_expiring: orderExpiring,
  reserve_card_not_activated: reserveCardNotActivated,
};
