import { eq } from 'drizzle-orm';
import type { AppDatabase } from './connection';
import { type StaffRole, staffRoleAssignments, units, users } from './schema';

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
