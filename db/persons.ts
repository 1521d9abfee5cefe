import { eq } from 'drizzle-orm';
import { hsaIdSchema, normalizePersonalIdentityNumber } from '../protocol/identifiers';
import type { AppDatabase } from './connection';
import { persons, personUnits } from './schema';

export type PersonRow = typeof persons.$inferSelect;

/** A person by HSA-id or personnummer, as staff type them; undefined when nobody matches. */
export function findPersonByIdentifier(
  db: AppDatabase,
  identifier: string,
  today = new Date(),
): PersonRow | undefined {
  const personalIdentityNumber = normalizePersonalIdentityNumber(identifier, today);
  if (personalIdentityNumber) {
    return db.select().from(persons).where(eq(persons.personalIdentityNumber, personalIdentityNumber)).get();
  }
  const hsaId = hsaIdSchema.safeParse(identifier);
  return hsaId.success ? db.select().from(persons).where(eq(persons.hsaId, hsaId.data)).get() : undefined;
}

export function findPersonById(db: AppDatabase, personId: string): PersonRow | undefined {
  return db.select().from(persons).where(eq(persons.id, personId)).get();
}

/** The units a person belongs to (directly; scope checks expand the staff member's units instead). */
export function unitIdsOfPerson(db: AppDatabase, personId: string): string[] {
  return db
    .select({ unitId: personUnits.unitId })
    .from(personUnits)
    .where(eq(personUnits.personId, personId))
    .all()
    .map((row) => row.unitId);
}
