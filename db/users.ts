import { eq } from 'drizzle-orm';
import type { AppDatabase } from './connection';
import { first, isUniqueViolation } from './engine';
import { newId } from './ids';
import {
  type PasswordLoginKind,
  persons,
  type StaffRole,
  staffRoleAssignments,
  units,
  users,
} from './schema';

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
  /** Whether the password may be used at all: break-glass accounts, and demo accounts while the demo flag is on. */
  passwordLogin: PasswordLoginKind | null;
  disabled: boolean;
}

export async function findUserByUsername(
  db: AppDatabase,
  username: string,
): Promise<UserAccount | undefined> {
  const row = first(
    await db.select().from(users).where(eq(users.username, username.trim().toLowerCase())).limit(1),
  );
  return row && toAccount(row);
}

export async function findUserById(db: AppDatabase, userId: string): Promise<UserAccount | undefined> {
  const row = first(await db.select().from(users).where(eq(users.id, userId)).limit(1));
  return row && toAccount(row);
}

/** The staff account of a person: how a SITHS eID login finds its roles. Never creates one. */
export async function findUserByPersonId(
  db: AppDatabase,
  personId: string,
): Promise<UserAccount | undefined> {
  const row = first(await db.select().from(users).where(eq(users.personId, personId)).limit(1));
  return row && toAccount(row);
}

export async function listRoleAssignments(db: AppDatabase, userId: string): Promise<RoleAssignment[]> {
  return await db
    .select({ role: staffRoleAssignments.role, unitId: staffRoleAssignments.unitId, unitName: units.name })
    .from(staffRoleAssignments)
    .leftJoin(units, eq(units.id, staffRoleAssignments.unitId))
    .where(eq(staffRoleAssignments.userId, userId));
}

function toAccount(row: typeof users.$inferSelect): UserAccount {
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    personId: row.personId,
    passwordHash: row.passwordHash,
    passwordLogin: row.passwordLogin,
    disabled: row.disabledAt !== null,
  };
}

/**
 * The login account of a person who proved themselves with a SITHS eID: their existing one, or a new
 * account without a password (username: the HSA-id) on their first Mina sidor login.
 */
export async function ensureUserForPerson(
  db: AppDatabase,
  personId: string,
): Promise<UserAccount | undefined> {
  try {
    return await createUserForPerson(db, personId);
  } catch (error) {
    // A simultaneous first login created the account (PostgreSQL runs the two transactions side by side).
    if (!isUniqueViolation(error)) throw error;
    const row = first(await db.select().from(users).where(eq(users.personId, personId)).limit(1));
    if (!row) throw error;
    return toAccount(row);
  }
}

async function createUserForPerson(db: AppDatabase, personId: string): Promise<UserAccount | undefined> {
  return db.transaction(async (tx) => {
    const existing = first(await tx.select().from(users).where(eq(users.personId, personId)).limit(1));
    if (existing) return toAccount(existing);
    const person = first(await tx.select().from(persons).where(eq(persons.id, personId)).limit(1));
    if (!person) return undefined;
    const row = {
      id: newId(),
      personId,
      username: person.hsaId.toLowerCase(),
      displayName: `${person.givenName} ${person.surname}`,
      passwordHash: null,
    };
    await tx.insert(users).values(row);
    return toAccount(first(await tx.select().from(users).where(eq(users.id, row.id)).limit(1))!);
  });
}
