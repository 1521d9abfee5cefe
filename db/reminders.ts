import { and, eq, gt, gte, inArray, isNotNull, isNull, lte, sql } from 'drizzle-orm';
import type { AppDatabase, Queryable } from './connection';
import { first, queryRows } from './engine';
import { openOrderStates } from './order-lifecycle';
import { expiryCutoff } from './orders';
import type { MailablePerson } from './person-mail';
import {
  cards,
  eids,
  mobileDevices,
  type OrderType,
  orders,
  persons,
  type ReminderKind,
  reminderDeliveries,
  staffRoleAssignments,
  units,
  users,
} from './schema';
import { isEmptyUnitScope, type UnitScope, unitScopeCondition } from './unit-scope';

const dayMs = 24 * 60 * 60 * 1000;

/** How far ahead (or back) each reminder looks. */
export const reminderWindows = {
  /** An eID or card expiring within this many days is reminded of, to its holder and in the digest. */
  expiryDays: 30,
  /** An order is reminded of this many days before its three months run out. */
  orderExpiryDays: 14,
  /** A reserve card assigned this many days ago and still not activated. */
  notActivatedDays: 30,
} as const;

export const daysAfter = (moment: Date, days: number) => new Date(moment.getTime() + days * dayMs);

/** What each reminder (and the Att göra page) counts as due at `now`: one rule each, used by both. */
export const dueWhere = {
  eidExpiring: (now: Date) =>
    and(
      eq(eids.state, 'active'),
      gt(eids.validTo, now),
      lte(eids.validTo, daysAfter(now, reminderWindows.expiryDays)),
    ),
  cardExpiring: (now: Date) =>
    and(
      inArray(cards.state, ['active', 'locked']),
      gt(cards.validTo, now),
      lte(cards.validTo, daysAfter(now, reminderWindows.expiryDays)),
    ),
  /** Open and placed at most three months ago (older ones the expiry sweep expires), expiring within 14 days. */
  orderExpiring: (now: Date) =>
    and(
      inArray(orders.state, [...openOrderStates]),
      gte(orders.createdAt, expiryCutoff(now)),
      lte(orders.createdAt, expiryCutoff(daysAfter(now, reminderWindows.orderExpiryDays))),
    ),
  /** A reserve card's last change while assigned is its assignment (activation moves it on). */
  reserveCardNotActivated: (now: Date) =>
    and(
      eq(cards.kind, 'reserve'),
      eq(cards.state, 'assigned'),
      lte(cards.updatedAt, daysAfter(now, -reminderWindows.notActivatedDays)),
    ),
};

/** The period of a reminder tied to a date (an expiry, an assignment): the UTC day, `2026-04-01`. */
export function dayPeriod(moment: Date): string {
  return moment.toISOString().slice(0, 10);
}

/** The period of the weekly digest: the ISO week, `2026-W14` (the year is the week's Thursday's). */
export function isoWeekPeriod(moment: Date): string {
  const day = new Date(Date.UTC(moment.getUTCFullYear(), moment.getUTCMonth(), moment.getUTCDate()));
  const thursday = new Date(day.getTime() + (3 - ((day.getUTCDay() + 6) % 7)) * dayMs);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * dayMs)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

export interface ReminderKey {
  kind: ReminderKind;
  subjectId: string;
  period: string;
}

/** A person a reminder may go to; `personMailAddress` decides whether it does. */
export type ReminderRecipient = MailablePerson & { personId: string };

const recipientColumns = {
  personId: persons.id,
  givenName: persons.givenName,
  surname: persons.surname,
  email: persons.email,
  protectedIdentity: persons.protectedIdentity,
  leftAt: persons.leftAt,
};

/**
 * Claims a reminder for this process: true when no process has sent it for its period yet. Run it in the
 * transaction that queues the mail; a concurrent claim of the same key waits for that transaction and then
 * finds the row (the primary key), so a reminder is sent once whatever the number of sweeping processes.
 */
export async function claimReminder(tx: Queryable, key: ReminderKey, now: Date): Promise<boolean> {
  const claimed = await tx
    .insert(reminderDeliveries)
    .values({ ...key, sentAt: now })
    .onConflictDoNothing()
    .returning({ kind: reminderDeliveries.kind });
  return claimed.length > 0;
}

/** Notes the mail a claimed reminder queued (the first, when it went to several people). */
export async function noteReminderMail(tx: Queryable, key: ReminderKey, mailId: number): Promise<void> {
  await tx
    .update(reminderDeliveries)
    .set({ mailId })
    .where(
      and(
        eq(reminderDeliveries.kind, key.kind),
        eq(reminderDeliveries.subjectId, key.subjectId),
        eq(reminderDeliveries.period, key.period),
      ),
    );
}

/** Drops the candidates whose reminder for their period was already sent. */
async function notYetSent<T extends { subjectId: string; period: string }>(
  db: Queryable,
  kind: ReminderKind,
  candidates: T[],
): Promise<T[]> {
  const sent = new Set<string>();
  for (let start = 0; start < candidates.length; start += 500) {
    const ids = candidates.slice(start, start + 500).map((candidate) => candidate.subjectId);
    const rows = await db
      .select({ subjectId: reminderDeliveries.subjectId, period: reminderDeliveries.period })
      .from(reminderDeliveries)
      .where(and(eq(reminderDeliveries.kind, kind), inArray(reminderDeliveries.subjectId, ids)));
    for (const row of rows) sent.add(`${row.subjectId}\n${row.period}`);
  }
  return candidates.filter((candidate) => !sent.has(`${candidate.subjectId}\n${candidate.period}`));
}

export interface DueEidExpiry {
  subjectId: string;
  period: string;
  validTo: Date;
  cardSerial: string | null;
  deviceName: string | null;
  holder: ReminderRecipient;
}

/** Active eIDs of a person expiring within 30 days whose holder has not been reminded of that expiry. */
export async function dueEidExpiries(db: AppDatabase, now: Date): Promise<DueEidExpiry[]> {
  const rows = await db
    .select({
      id: eids.id,
      validTo: eids.validTo,
      cardSerial: cards.serial,
      deviceName: mobileDevices.name,
      holder: recipientColumns,
    })
    .from(eids)
    .innerJoin(persons, eq(persons.id, eids.personId))
    .leftJoin(cards, eq(cards.id, eids.cardId))
    .leftJoin(mobileDevices, eq(mobileDevices.id, eids.mobileDeviceId))
    .where(dueWhere.eidExpiring(now));
  return notYetSent(
    db,
    'eid_expiring',
    rows.map(({ id, ...row }) => ({ ...row, subjectId: id, period: dayPeriod(row.validTo) })),
  );
}

export interface DueCardExpiry {
  subjectId: string;
  period: string;
  serial: string;
  unitId: string;
  validTo: Date;
  holder: ReminderRecipient;
}

/** Cards in use (active or locked) expiring within 30 days whose holder has not been reminded of it. */
export async function dueCardExpiries(db: AppDatabase, now: Date): Promise<DueCardExpiry[]> {
  const rows = await db
    .select({
      id: cards.id,
      serial: cards.serial,
      unitId: cards.unitId,
      validTo: cards.validTo,
      holder: recipientColumns,
    })
    .from(cards)
    .innerJoin(persons, eq(persons.id, cards.holderPersonId))
    .where(dueWhere.cardExpiring(now));
  return notYetSent(
    db,
    'card_expiring',
    rows.map(({ id, ...row }) => ({ ...row, subjectId: id, period: dayPeriod(row.validTo) })),
  );
}

/** When an order placed at `createdAt` expires (three months, as `expireStaleOrders` counts them). */
export function orderExpiresAt(createdAt: Date): Date {
  const expires = new Date(createdAt);
  expires.setUTCMonth(expires.getUTCMonth() + 3);
  return expires;
}

export interface DueOrderExpiry {
  subjectId: string;
  period: string;
  type: OrderType;
  unitId: string;
  expiresAt: Date;
  /** Whom the order is for. */
  person: ReminderRecipient;
  placedByUserId: string;
  /** Null when the account that placed it has no person (the bootstrap administrator). */
  placer: ReminderRecipient | null;
}

/** Open orders that expire within 14 days, not yet reminded of, with the staff member who placed them. */
export async function dueOrderExpiries(db: AppDatabase, now: Date): Promise<DueOrderExpiry[]> {
  const rows = await db
    .select({
      id: orders.id,
      type: orders.type,
      unitId: orders.unitId,
      createdAt: orders.createdAt,
      placedByUserId: orders.placedByUserId,
      person: recipientColumns,
    })
    .from(orders)
    .innerJoin(persons, eq(persons.id, orders.personId))
    .where(dueWhere.orderExpiring(now));
  const due = await notYetSent(
    db,
    'order_expiring',
    rows.map(({ id, createdAt, ...row }) => {
      const expiresAt = orderExpiresAt(createdAt);
      return { ...row, subjectId: id, period: dayPeriod(expiresAt), expiresAt };
    }),
  );
  const placers = await staffPersons(db, [...new Set(due.map((order) => order.placedByUserId))]);
  return due.map((order) => ({ ...order, placer: placers.get(order.placedByUserId) ?? null }));
}

/** The persons behind staff accounts, by user id (accounts without a person are left out). */
async function staffPersons(db: Queryable, userIds: string[]): Promise<Map<string, ReminderRecipient>> {
  const found = new Map<string, ReminderRecipient>();
  for (let start = 0; start < userIds.length; start += 500) {
    const rows = await db
      .select({ userId: users.id, person: recipientColumns })
      .from(users)
      .innerJoin(persons, eq(persons.id, users.personId))
      .where(inArray(users.id, userIds.slice(start, start + 500)));
    for (const row of rows) found.set(row.userId, row.person);
  }
  return found;
}

export interface DueNotActivatedCard {
  subjectId: string;
  period: string;
  serial: string;
  unitId: string;
  assignedAt: Date;
  holder: ReminderRecipient;
}

/** Reserve cards assigned to a person 30 days ago or more and still not activated (`updated_at`: assigned). */
export async function dueNotActivatedReserveCards(
  db: AppDatabase,
  now: Date,
): Promise<DueNotActivatedCard[]> {
  const rows = await db
    .select({
      id: cards.id,
      serial: cards.serial,
      unitId: cards.unitId,
      assignedAt: cards.updatedAt,
      holder: recipientColumns,
    })
    .from(cards)
    .innerJoin(persons, eq(persons.id, cards.holderPersonId))
    .where(dueWhere.reserveCardNotActivated(now));
  return notYetSent(
    db,
    'reserve_card_not_activated',
    rows.map(({ id, ...row }) => ({ ...row, subjectId: id, period: dayPeriod(row.assignedAt) })),
  );
}

export interface UnitStock {
  unitId: string;
  unitName: string;
  threshold: number;
  inStock: number;
  remindedAt: Date | null;
}

/**
 * Every unit in scope that keeps a threshold or was reminded of its stock (and is still in the directory),
 * with its reserve cards in stock.
 */
export async function unitStocks(db: Queryable, scope: UnitScope = 'all'): Promise<UnitStock[]> {
  if (isEmptyUnitScope(scope)) return [];
  const inScope = unitScopeCondition(sql.raw('u.id'), scope);
  const rows = await queryRows<{
    unit_id: string;
    unit_name: string;
    threshold: number | string;
    in_stock: number | string;
    reminded_at: number | string | null;
  }>(
    db,
    sql`select u.id as unit_id, u.name as unit_name, u.low_stock_threshold as threshold,
      u.low_stock_reminded_at as reminded_at,
      (select count(*) from cards c where c.unit_id = u.id and c.kind = 'reserve' and c.state = 'in_stock')
        as in_stock
    from units u
    where u.gone_from_directory_at is null and (u.low_stock_threshold > 0 or u.low_stock_reminded_at is not null)
      ${inScope ? sql`and ${inScope}` : sql``}
    order by u.name, u.id`,
  );
  return rows.map((row) => ({
    unitId: row.unit_id,
    unitName: row.unit_name,
    threshold: Number(row.threshold),
    inStock: Number(row.in_stock),
    remindedAt: row.reminded_at === null ? null : new Date(Number(row.reminded_at)),
  }));
}

/** Units under their threshold that have not been reminded since they went under it. */
export async function unitsNewlyLowOnStock(db: AppDatabase): Promise<UnitStock[]> {
  return (await unitStocks(db)).filter((unit) => unit.inStock < unit.threshold && unit.remindedAt === null);
}

/**
 * Forgets the reminder of every unit whose stock is back at its threshold, so the next time it goes under
 * the contact persons hear of it again. Returns the units cleared.
 */
export async function clearRecoveredStockReminders(db: AppDatabase): Promise<string[]> {
  const recovered = (await unitStocks(db))
    .filter((unit) => unit.remindedAt !== null && unit.inStock >= unit.threshold)
    .map((unit) => unit.unitId);
  if (recovered.length === 0) return [];
  await db
    .update(units)
    .set({ lowStockRemindedAt: null })
    .where(and(inArray(units.id, recovered), isNotNull(units.lowStockRemindedAt)));
  return recovered;
}

/**
 * Marks a unit as reminded of its low stock, if no process has since it went under: true for the one
 * process whose reminder goes out. Run it in the transaction that queues the mail.
 */
export async function claimLowStockCrossing(tx: Queryable, unitId: string, now: Date): Promise<boolean> {
  const claimed = await tx
    .update(units)
    .set({ lowStockRemindedAt: now })
    .where(and(eq(units.id, unitId), isNull(units.lowStockRemindedAt)))
    .returning({ id: units.id });
  return claimed.length > 0;
}

export interface ContactPerson extends ReminderRecipient {
  userId: string;
  /** The units the role was granted at; it reaches their sub-units too. */
  grantedUnitIds: string[];
}

/** Every contact person with an enabled account, with the units their role was granted at. */
export async function listContactPersons(db: Queryable): Promise<ContactPerson[]> {
  const rows = await db
    .select({ userId: users.id, unitId: staffRoleAssignments.unitId, person: recipientColumns })
    .from(staffRoleAssignments)
    .innerJoin(users, eq(users.id, staffRoleAssignments.userId))
    .innerJoin(persons, eq(persons.id, users.personId))
    .where(and(eq(staffRoleAssignments.role, 'contact_person'), isNull(users.disabledAt)));
  const byUser = new Map<string, ContactPerson>();
  for (const row of rows) {
    const known = byUser.get(row.userId) ?? { ...row.person, userId: row.userId, grantedUnitIds: [] };
    if (row.unitId) known.grantedUnitIds.push(row.unitId);
    byUser.set(row.userId, known);
  }
  return Array.from(byUser, ([, contactPerson]) => contactPerson);
}

/**
 * Who the contact persons of a unit are: those granted the role at the unit or at a unit above it (their
 * scope reaches down the HSA tree).
 */
export async function contactPersonsByUnit(db: AppDatabase): Promise<(unitId: string) => ContactPerson[]> {
  const contactPersons = await listContactPersons(db);
  const parents = new Map(
    (await db.select({ id: units.id, parentId: units.parentId }).from(units)).map((unit) => [
      unit.id,
      unit.parentId,
    ]),
  );
  return (unitId) => {
    const above = new Set<string>();
    for (let at: string | null | undefined = unitId; at && !above.has(at); at = parents.get(at))
      above.add(at);
    return contactPersons.filter((person) => person.grantedUnitIds.some((granted) => above.has(granted)));
  };
}

/** The unit's name, for a mail about it. */
export async function unitName(db: Queryable, unitId: string): Promise<string | undefined> {
  return first(await db.select({ name: units.name }).from(units).where(eq(units.id, unitId)).limit(1))?.name;
}

/** Whether the reminder went out already (a cheap look before building a digest; the claim still decides). */
export async function reminderSent(db: Queryable, key: ReminderKey): Promise<boolean> {
  const row = first(
    await db
      .select({ kind: reminderDeliveries.kind })
      .from(reminderDeliveries)
      .where(
        and(
          eq(reminderDeliveries.kind, key.kind),
          eq(reminderDeliveries.subjectId, key.subjectId),
          eq(reminderDeliveries.period, key.period),
        ),
      )
      .limit(1),
  );
  return row !== undefined;
}
