import { eq } from 'drizzle-orm';
import type { AppDatabase } from './connection';
import { newId } from './ids';
import { persons, type StaffRole, staffRoleAssignments, units, users } from './schema';

export interface RoleAssignment {
  role: StaffRole;
  unitId: string | null;
  unitName: string | null;
}

export interface UserAccount {
  id: string;
  username: string;
  displayName: string;
  personId: string | null;
  passwordHash: string | null;
  disabled: boolean;
}

export function findUserByUsername(db: AppDatabase, username: string): UserAccount | undefined {
  const row = db.select().from(users).where(eq(users.username, username.trim().toLowerCase())).get();
  return row && toAccount(row);
}

export function findUserById(db: AppDatabase, userId: string): UserAccount | undefined {
  const row = db.select().from(users).where(eq(users.id, userId)).get();
  return row && toAccount(row);
}

export function listRoleAssignments(db: AppDatabase, userId: string): RoleAssignment[] {
  return db
    .select({ role: staffRoleAssignments.role, unitId: staffRoleAssignments.unitId, unitName: units.name })
    .from(staffRoleAssignments)
    .leftJoin(units, eq(units.id, staffRoleAssignments.unitId))
    .where(eq(staffRoleAssignments.userId, userId))
    .all();
}

function toAccount(row: typeof users.$inferSelect): UserAccount {
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    personId: row.personId,
    passwordHash: row.passwordHash,
    disabled: row.disabledAt !== null,
  };
}

/**
 * The login account of a person who proved themselves with a SITHS eID: their existing one, or a new
 * account without a password (username: the HSA-id) on their first Mina sidor login.
 */
export function ensureUserForPerson(db: AppDatabase, personId: string): UserAccount | undefined {
  return db.transaction((tx) => {
    const existing = tx.select().from(users).where(eq(users.personId, personId)).get();
    if (existing) return toAccount(existing);
    const person = tx.select().from(persons).where(eq(persons.id, personId)).get();
    if (!person) return undefined;
    const row = {
      id: newId(),
      personId,
      username: person.hsaId.toLowerCase(),
      displayName: `${person.givenName} ${person.surname}`,
      passwordHash: null,
    };
    tx.insert(users).values(row).run();
    return toAccount(tx.select().from(users).where(eq(users.id, row.id)).get()!);
  });
}
