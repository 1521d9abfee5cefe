import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { hsaIdSchema, normalizePersonalIdentityNumber } from '../protocol/identifiers';
import { type AuditEventView, listAuditEventsAbout } from './audit';
import type { AppDatabase, Queryable } from './connection';
import { first } from './engine';
import {
  cardsOfPerson,
  listPersonEids,
  mobileDevicesOfPerson,
  type PersonCard,
  type PersonEid,
  type PersonMobileDevice,
} from './person-read-model';
import { findableBy, type IdentityViewer, seesNoProtectedIdentity } from './protected-identity';
import { type OrderState, type OrderType, orders, persons, personUnits, units, users } from './schema';
import { inUnitScope, isEmptyUnitScope, type UnitScope, unitScopeCondition } from './unit-scope';

export type PersonRow = typeof persons.$inferSelect;

/** A person by HSA-id or personnummer, as staff type them; undefined when nobody matches. */
export async function findPersonByIdentifier(
  db: Queryable,
  identifier: string,
  today = new Date(),
): Promise<PersonRow | undefined> {
  const personalIdentityNumber = normalizePersonalIdentityNumber(identifier, today);
  if (personalIdentityNumber) {
    return first(
      await db
        .select()
        .from(persons)
        .where(eq(persons.personalIdentityNumber, personalIdentityNumber))
        .limit(1),
    );
  }
  const hsaId = hsaIdSchema.safeParse(identifier);
  return hsaId.success
    ? first(await db.select().from(persons).where(eq(persons.hsaId, hsaId.data)).limit(1))
    : undefined;
}

export async function findPersonById(db: Queryable, personId: string): Promise<PersonRow | undefined> {
  return first(await db.select().from(persons).where(eq(persons.id, personId)).limit(1));
}

/** The units a person belongs to (directly; scope checks expand the staff member's units instead). */
export async function unitIdsOfPerson(db: Queryable, personId: string): Promise<string[]> {
  return (
    await db
      .select({ unitId: personUnits.unitId })
      .from(personUnits)
      .where(eq(personUnits.personId, personId))
  ).map((row) => row.unitId);
}

/** What staff typed in the person search, already told apart and checked by the search form. */
export type PersonQuery =
  | { kind: 'personalIdentityNumber'; value: string }
  | { kind: 'hsaId'; value: string }
  | { kind: 'name'; value: string };

export interface PersonListItem {
  id: string;
  hsaId: string;
  personalIdentityNumber: string | null;
  givenName: string;
  surname: string;
  unitNames: string[];
  /** Shown as a badge: only a viewer with the right ever gets a protected identity in a search. */
  protectedIdentity: boolean;
}

export type PersonSearchResult =
  | { kind: 'identifier'; match: { inScope: true; person: PersonListItem } | { inScope: false } | null }
  | { kind: 'name'; persons: PersonListItem[]; truncated: boolean };

export const nameSearchLimit = 50;

/**
 * An exact HSA-id or personnummer is looked up across the whole region, but a person outside `scope` is
 * only reported as existing, without any of their details. A name is searched only within `scope`. A
 * protected identity is found only by a viewer with the right; for anyone else the answer is the one for
 * nobody.
 */
export async function searchPersons(
  db: AppDatabase,
  query: PersonQuery,
  scope: UnitScope,
  viewer: IdentityViewer,
): Promise<PersonSearchResult> {
  if (query.kind === 'name') {
    const found = await searchPersonsByName(db, query.value, scope, viewer);
    return {
      kind: 'name',
      persons: found.slice(0, nameSearchLimit),
      truncated: found.length > nameSearchLimit,
    };
  }
  const column = query.kind === 'hsaId' ? persons.hsaId : persons.personalIdentityNumber;
  const person = first(
    await db
      .select()
      .from(persons)
      .where(and(eq(column, query.value), findableBy(viewer, persons.protectedIdentity)))
      .limit(1),
  );
  if (!person) return { kind: 'identifier', match: null };
  const unitIds = await unitIdsOfPerson(db, person.id);
  const inScope = scope === 'all' || unitIds.some((unitId) => inUnitScope(scope, unitId));
  if (!inScope) return { kind: 'identifier', match: { inScope: false } };
  return { kind: 'identifier', match: { inScope: true, person: (await withUnitNames(db, [person]))[0]! } };
}

async function searchPersonsByName(
  db: AppDatabase,
  name: string,
  scope: UnitScope,
  viewer: IdentityViewer,
): Promise<PersonListItem[]> {
  if (isEmptyUnitScope(scope)) return [];
  // SQLite's like ignores the case of ASCII letters and PostgreSQL's does not: both sides lower-cased.
  const pattern = `%${name.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
  const fullName = sql`(${persons.givenName} || ' ' || ${persons.surname})`;
  const inScope =
    scope === 'all'
      ? undefined
      : inArray(
          persons.id,
          db
            .select({ id: personUnits.personId })
            .from(personUnits)
            .where(unitScopeCondition(personUnits.unitId, scope)),
        );
  const rows = await db
    .select()
    .from(persons)
    .where(
      and(
        sql`lower(${fullName}) like lower(${pattern}) escape '\\'`,
        inScope,
        findableBy(viewer, persons.protectedIdentity),
      ),
    )
    .orderBy(asc(persons.surname), asc(persons.givenName))
    .limit(nameSearchLimit + 1);
  return withUnitNames(db, rows);
}

async function withUnitNames(db: AppDatabase, rows: PersonRow[]): Promise<PersonListItem[]> {
  if (rows.length === 0) return [];
  const memberships = await db
    .select({ personId: personUnits.personId, unitName: units.name })
    .from(personUnits)
    .innerJoin(units, eq(units.id, personUnits.unitId))
    .where(
      inArray(
        personUnits.personId,
        rows.map((row) => row.id),
      ),
    );
  return rows.map((row) => ({
    id: row.id,
    hsaId: row.hsaId,
    personalIdentityNumber: row.personalIdentityNumber,
    givenName: row.givenName,
    surname: row.surname,
    unitNames: memberships.filter((member) => member.personId === row.id).map((member) => member.unitName),
    protectedIdentity: row.protectedIdentity,
  }));
}

export interface ProfileOrder {
  id: string;
  type: OrderType;
  state: OrderState;
  unitName: string;
  placedBy: string;
  createdAt: number;
  updatedAt: number;
}

export interface PersonProfile {
  person: PersonRow;
  units: Array<{ id: string; hsaId: string; name: string }>;
  cards: PersonCard[];
  eids: PersonEid[];
  mobileDevices: PersonMobileDevice[];
  orders: ProfileOrder[];
  audit: AuditEventView[];
}

export const profileAuditLimit = 50;

/** Everything the person page shows: cards, eIDs valid and invalid, devices, orders and the audit trail about them. */
export async function findPersonProfile(
  db: AppDatabase,
  personId: string,
  viewer: IdentityViewer = seesNoProtectedIdentity,
): Promise<PersonProfile | undefined> {
  const person = await findPersonById(db, personId);
  if (!person) return undefined;
  const profile = {
    person,
    units: await db
      .select({ id: units.id, hsaId: units.hsaId, name: units.name })
      .from(personUnits)
      .innerJoin(units, eq(units.id, personUnits.unitId))
      .where(eq(personUnits.personId, personId))
      .orderBy(asc(units.name)),
    cards: await cardsOfPerson(db, personId),
    eids: await listPersonEids(db, { personId }),
    mobileDevices: await mobileDevicesOfPerson(db, personId),
    orders: await profileOrders(db, personId),
  };
  const audit = await listAuditEventsAbout(
    db,
    [
      { objectType: 'person', objectIds: [personId] },
      { objectType: 'card', objectIds: profile.cards.map((card) => card.id) },
      { objectType: 'reserve_card', objectIds: profile.cards.map((card) => card.id) },
      { objectType: 'eid', objectIds: profile.eids.map((eid) => eid.id) },
      { objectType: 'mobile_device', objectIds: profile.mobileDevices.map((device) => device.id) },
      { objectType: 'order', objectIds: profile.orders.map((order) => order.id) },
    ],
    profileAuditLimit,
    viewer,
  );
  return { ...profile, audit };
}

async function profileOrders(db: AppDatabase, personId: string): Promise<ProfileOrder[]> {
  return (
    await db
      .select({
        id: orders.id,
        type: orders.type,
        state: orders.state,
        unitName: units.name,
        placedBy: users.displayName,
        createdAt: orders.createdAt,
        updatedAt: orders.updatedAt,
      })
      .from(orders)
      .innerJoin(units, eq(units.id, orders.unitId))
      .innerJoin(users, eq(users.id, orders.placedByUserId))
      .where(eq(orders.personId, personId))
      .orderBy(desc(orders.createdAt))
  ).map((order) => ({
    ...order,
    createdAt: order.createdAt.getTime(),
    updatedAt: order.updatedAt.getTime(),
  }));
}

/** Whether a card and an eID belong to the person: the revocation page acts only on what the person page shows. */
export async function findHeldCard(
  db: AppDatabase,
  personId: string,
  cardId: string,
): Promise<PersonCard | undefined> {
  return (await cardsOfPerson(db, personId)).find((card) => card.id === cardId);
}

export async function findHeldEid(
  db: AppDatabase,
  personId: string,
  eidId: string,
): Promise<PersonEid | undefined> {
  return (await listPersonEids(db, { personId })).find((eid) => eid.id === eidId);
}
