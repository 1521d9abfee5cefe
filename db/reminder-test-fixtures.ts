import type { AppDatabase } from './connection';
import { newId } from './ids';
import { cards, eids, orders, persons, personUnits, staffRoleAssignments, units, users } from './schema';

/** Test data for the reminders: a small HSA tree, its people and staff, and helpers to add what is due. */
export interface ReminderWorld {
  units: { sahlgrenska: string; akut: string; skovde: string };
  persons: {
    carina: string;
    protectedHolder: string;
    leaver: string;
    noEmail: string;
    olof: string;
  };
  users: { kontakt: string; kontaktSkovde: string; chef: string; admin: string };
  card(input: {
    unitId: string;
    holder: string | null;
    state: 'in_stock' | 'assigned' | 'active' | 'locked';
    validTo?: Date;
    kind?: 'ordinary' | 'reserve';
    updatedAt?: Date;
  }): Promise<{ id: string; serial: string }>;
  eid(input: { personId: string; cardId: string; validTo: Date }): Promise<string>;
  order(input: { personId: string; unitId: string; placedBy: string; createdAt: Date }): Promise<string>;
}

const dayMs = 24 * 60 * 60 * 1000;
let serialCounter = 0;

export async function createReminderWorld(db: AppDatabase, now: Date): Promise<ReminderWorld> {
  const unit = async (name: string, hsa: string, parentId: string | null, threshold: number) => {
    const id = newId();
    await db.insert(units).values({
      id,
      hsaId: `SE2321000131-${hsa}`,
      name,
      parentId,
      organisation: 'Västra Götalandsregionen',
      lowStockThreshold: threshold,
    });
    return id;
  };
  const sahlgrenska = await unit('Sahlgrenska Universitetssjukhuset', 'S000000010100', null, 0);
  const akut = await unit('Akutmottagning Sahlgrenska', 'S000000010112', sahlgrenska, 2);
  const skovde = await unit('Skaraborgs Sjukhus Skövde', 'S000000030300', null, 1);

  let personCount = 0;
  const person = async (
    givenName: string,
    surname: string,
    unitId: string,
    more: { email?: string | null; protectedIdentity?: boolean; leftAt?: Date } = {},
  ) => {
    const id = newId();
    personCount += 1;
    await db.insert(persons).values({
      id,
      hsaId: `SE2321000131-P${String(personCount).padStart(11, '0')}`,
      personalIdentityNumber: `1980010${String(personCount).padStart(5, '0')}`,
      givenName,
      surname,
      email:
        more.email === undefined
          ? `${givenName.toLowerCase()}.${surname.toLowerCase()}@vgregion.se`
          : more.email,
      protectedIdentity: more.protectedIdentity ?? false,
      leftAt: more.leftAt ?? null,
    });
    await db.insert(personUnits).values({ personId: id, unitId });
    return id;
  };
  const carina = await person('Carina', 'Andersson', akut);
  const protectedHolder = await person('Hemlig', 'Person', akut, { protectedIdentity: true });
  const leaver = await person('Lämnat', 'Regionen', akut, { leftAt: new Date(now.getTime() - dayMs) });
  const noEmail = await person('Utan', 'Epost', akut, { email: null });
  const olof = await person('Olof', 'Lindqvist', skovde);
  const kontaktPerson = await person('Kim', 'Kontakt', sahlgrenska);
  const skovdePerson = await person('Sara', 'Skövde', skovde);
  const chefPerson = await person('Anna', 'Bergström', sahlgrenska);

  const user = async (username: string, personId: string | null, role: string, unitId: string | null) => {
    const id = newId();
    await db.insert(users).values({ id, personId, username, displayName: username });
    await db
      .insert(staffRoleAssignments)
      .values({ id: newId(), userId: id, role: role as 'manager', unitId });
    return id;
  };
  const world: ReminderWorld = {
    units: { sahlgrenska, akut, skovde },
    persons: { carina, protectedHolder, leaver, noEmail, olof },
    users: {
      kontakt: await user('kontakt', kontaktPerson, 'contact_person', sahlgrenska),
      kontaktSkovde: await user('kontakt.skovde', skovdePerson, 'contact_person', skovde),
      chef: await user('chef', chefPerson, 'manager', sahlgrenska),
      admin: await user('admin', null, 'system_admin', null),
    },
    async card(input) {
      const id = newId();
      serialCounter += 1;
      const serial = `97523${String(serialCounter).padStart(14, '0')}`;
      await db.insert(cards).values({
        id,
        serial,
        kind:
          input.kind ?? (input.state === 'in_stock' || input.state === 'assigned' ? 'reserve' : 'ordinary'),
        productCode: 'SITHS-RK',
        trustLevel: 2,
        state: input.state,
        holderPersonId: input.holder,
        unitId: input.unitId,
        validFrom: new Date(now.getTime() - 365 * dayMs),
        validTo: input.validTo ?? new Date(now.getTime() + 2 * 365 * dayMs),
        updatedAt: input.updatedAt ?? now,
      });
      return { id, serial };
    },
    async eid(input) {
      const id = newId();
      await db.insert(eids).values({
        id,
        personId: input.personId,
        cardId: input.cardId,
        purpose: 'authentication',
        issuingCa: 'SITHS e-id Person ID 3 CA v1',
        certificateSerial: id,
        trustLevel: 2,
        validFrom: new Date(now.getTime() - 365 * dayMs),
        validTo: input.validTo,
      });
      return id;
    },
    async order(input) {
      const id = newId();
      await db.insert(orders).values({
        id,
        type: 'eid_on_card',
        personId: input.personId,
        unitId: input.unitId,
        placedByUserId: input.placedBy,
        createdAt: input.createdAt,
        updatedAt: input.createdAt,
      });
      return id;
    },
  };
  return world;
}

export const daysFrom = (moment: Date, days: number) => new Date(moment.getTime() + days * dayMs);
