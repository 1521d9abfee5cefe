import { and, asc, count, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { maskPersonalIdentityNumber } from '../protocol/identifiers';
import type { Queryable } from './connection';
import { first } from './engine';
import {
  type IdentityViewer,
  type ShownIdentity,
  seesNoProtectedIdentity,
  shownTo,
} from './protected-identity';
import { dueWhere, orderExpiresAt, unitStocks } from './reminders';
import {
  cards,
  eids,
  mobileDevices,
  type OrderState,
  type OrderType,
  orders,
  persons,
  personUnits,
  units,
} from './schema';
import { isEmptyUnitScope, type UnitScope, unitScopeCondition } from './unit-scope';

/** What "Att göra" lists of each kind at most; the counts say how many there are. */
export const todoListLimit = 200;

/** A person as Att göra names them to its reader: a protected identity only to holders of the right. */
export type TodoPerson = ShownIdentity<{
  personId: string;
  name: string;
  /** Masked: the birth date shown, the last four digits not. */
  personalIdentityNumber: string | null;
}>;

const personColumns = {
  personId: persons.id,
  givenName: persons.givenName,
  surname: persons.surname,
  personalIdentityNumber: persons.personalIdentityNumber,
  protectedIdentity: persons.protectedIdentity,
};

interface PersonRow {
  personId: string;
  givenName: string;
  surname: string;
  personalIdentityNumber: string | null;
  protectedIdentity: boolean;
}

/** A row's person as the viewer may see them. */
const shownPerson =
  (viewer: IdentityViewer) =>
  <Row extends { person: PersonRow }>({
    person,
    ...row
  }: Row): Omit<Row, 'person'> & { person: TodoPerson } => ({
    ...row,
    person: shownTo(viewer, person.protectedIdentity, {
      personId: person.personId,
      name: `${person.givenName} ${person.surname}`,
      personalIdentityNumber: person.personalIdentityNumber
        ? maskPersonalIdentityNumber(person.personalIdentityNumber)
        : null,
    }),
  });

export interface ExpiringEid {
  eidId: string;
  validTo: Date;
  cardSerial: string | null;
  deviceName: string | null;
  person: TodoPerson;
}

export interface ExpiringCard {
  cardId: string;
  serial: string;
  unitId: string;
  validTo: Date;
  person: TodoPerson;
}

export interface LowStockUnit {
  unitId: string;
  unitName: string;
  threshold: number;
  inStock: number;
}

export interface ExpiringOrder {
  orderId: string;
  type: OrderType;
  state: OrderState;
  unitId: string;
  expiresAt: Date;
  person: TodoPerson;
}

export interface NotActivatedReserveCard {
  cardId: string;
  serial: string;
  unitId: string;
  assignedAt: Date;
  person: TodoPerson;
}

/** eIDs are scoped by their holder's units (an eID has no unit of its own). */
function eidScope(scope: UnitScope): SQL | undefined {
  const inScope = unitScopeCondition(personUnits.unitId, scope);
  if (!inScope) return undefined;
  return sql`exists (select 1 from ${personUnits} where ${personUnits.personId} = ${eids.personId} and ${inScope})`;
}

/** Active eIDs of persons in the units that expire within 30 days, soonest first. */
export async function listExpiringEids(
  db: Queryable,
  scope: UnitScope,
  now: Date,
  viewer: IdentityViewer = seesNoProtectedIdentity,
): Promise<ExpiringEid[]> {
  if (isEmptyUnitScope(scope)) return [];
  const rows = await db
    .select({
      eidId: eids.id,
      validTo: eids.validTo,
      cardSerial: cards.serial,
      deviceName: mobileDevices.name,
      person: personColumns,
    })
    .from(eids)
    .innerJoin(persons, eq(persons.id, eids.personId))
    .leftJoin(cards, eq(cards.id, eids.cardId))
    .leftJoin(mobileDevices, eq(mobileDevices.id, eids.mobileDeviceId))
    .where(and(dueWhere.eidExpiring(now), eidScope(scope)))
    .orderBy(asc(eids.validTo), asc(eids.id))
    .limit(todoListLimit);
  return rows.map(shownPerson(viewer));
}

/** Cards in use in the units that expire within 30 days, soonest first. */
export async function listExpiringCards(
  db: Queryable,
  scope: UnitScope,
  now: Date,
  viewer: IdentityViewer = seesNoProtectedIdentity,
): Promise<ExpiringCard[]> {
  if (isEmptyUnitScope(scope)) return [];
  const rows = await db
    .select({
      cardId: cards.id,
      serial: cards.serial,
      unitId: cards.unitId,
      validTo: cards.validTo,
      person: personColumns,
    })
    .from(cards)
    .innerJoin(persons, eq(persons.id, cards.holderPersonId))
    .where(and(dueWhere.cardExpiring(now), unitScopeCondition(cards.unitId, scope)))
    .orderBy(asc(cards.validTo), asc(cards.id))
    .limit(todoListLimit);
  return rows.map(shownPerson(viewer));
}

/** Units in scope with fewer reserve cards in stock than their threshold. */
export async function listLowStockUnits(db: Queryable, scope: UnitScope): Promise<LowStockUnit[]> {
  return (await unitStocks(db, scope))
    .filter((unit) => unit.inStock < unit.threshold)
    .map(({ remindedAt: _, ...unit }) => unit);
}

/** Open orders in the units that expire within 14 days, soonest first. */
export async function listExpiringOrders(
  db: Queryable,
  scope: UnitScope,
  now: Date,
  viewer: IdentityViewer = seesNoProtectedIdentity,
): Promise<ExpiringOrder[]> {
  if (isEmptyUnitScope(scope)) return [];
  return (
    await db
      .select({
        orderId: orders.id,
        type: orders.type,
        state: orders.state,
        unitId: orders.unitId,
        createdAt: orders.createdAt,
        person: personColumns,
      })
      .from(orders)
      .innerJoin(persons, eq(persons.id, orders.personId))
      .where(and(dueWhere.orderExpiring(now), unitScopeCondition(orders.unitId, scope)))
      .orderBy(asc(orders.createdAt), asc(orders.id))
      .limit(todoListLimit)
  ).map(({ createdAt, ...row }) => ({
    ...shownPerson(viewer)(row),
    expiresAt: orderExpiresAt(createdAt),
  }));
}

/** Reserve cards in the units assigned 30 days ago or more and still not activated, oldest first. */
export async function listNotActivatedReserveCards(
  db: Queryable,
  scope: UnitScope,
  now: Date,
  viewer: IdentityViewer = seesNoProtectedIdentity,
): Promise<NotActivatedReserveCard[]> {
  if (isEmptyUnitScope(scope)) return [];
  const rows = await db
    .select({
      cardId: cards.id,
      serial: cards.serial,
      unitId: cards.unitId,
      assignedAt: cards.updatedAt,
      person: personColumns,
    })
    .from(cards)
    .innerJoin(persons, eq(persons.id, cards.holderPersonId))
    .where(and(dueWhere.reserveCardNotActivated(now), unitScopeCondition(cards.unitId, scope)))
    .orderBy(asc(cards.updatedAt), asc(cards.id))
    .limit(todoListLimit);
  return rows.map(shownPerson(viewer));
}

export interface TodoCounts {
  expiringEids: number;
  expiringCards: number;
  lowStockUnits: number;
  expiringOrders: number;
  notActivatedReserveCards: number;
}

/** How many things of each kind need action in the units: the overview's counts and the page's headings. */
export async function countTodo(db: Queryable, scope: UnitScope, now: Date): Promise<TodoCounts> {
  if (isEmptyUnitScope(scope)) {
    return {
      expiringEids: 0,
      expiringCards: 0,
      lowStockUnits: 0,
      expiringOrders: 0,
      notActivatedReserveCards: 0,
    };
  }
  const counted = async (query: Promise<Array<{ value: number }>>) => Number(first(await query)?.value ?? 0);
  return {
    expiringEids: await counted(
      db
        .select({ value: count() })
        .from(eids)
        .innerJoin(persons, eq(persons.id, eids.personId))
        .where(and(dueWhere.eidExpiring(now), eidScope(scope))),
    ),
    expiringCards: await counted(
      db
        .select({ value: count() })
        .from(cards)
        .innerJoin(persons, eq(persons.id, cards.holderPersonId))
        .where(and(dueWhere.cardExpiring(now), unitScopeCondition(cards.unitId, scope))),
    ),
    // A region has a few hundred units: the list is the count.
    lowStockUnits: (await listLowStockUnits(db, scope)).length,
    expiringOrders: await counted(
      db
        .select({ value: count() })
        .from(orders)
        .where(and(dueWhere.orderExpiring(now), unitScopeCondition(orders.unitId, scope))),
    ),
    notActivatedReserveCards: await counted(
      db
        .select({ value: count() })
        .from(cards)
        .innerJoin(persons, eq(persons.id, cards.holderPersonId))
        .where(and(dueWhere.reserveCardNotActivated(now), unitScopeCondition(cards.unitId, scope))),
    ),
  };
}

/** The unit names of the given ids, for the page's rows. */
export async function unitNames(db: Queryable, unitIds: readonly string[]): Promise<Map<string, string>> {
  if (unitIds.length === 0) return new Map();
  const rows = await db
    .select({ id: units.id, name: units.name })
    .from(units)
    .where(inArray(units.id, [...new Set(unitIds)]));
  return new Map(rows.map((row) => [row.id, row.name]));
}
