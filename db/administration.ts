import { and, asc, count, eq, isNull } from 'drizzle-orm';
import { hsaIdSchema } from '../protocol/identifiers';
import { recordAttempt } from './audit';
import type { AppDatabase } from './connection';
import { newId } from './ids';
import {
  persons,
  personUnits,
  type StaffRole,
  staffRoleAssignments,
  staffRoles,
  units,
  users,
} from './schema';

export interface AdminActor {
  userId: string;
  label: string;
}

export type AdministrationRefusal =
  | 'invalid_hsa_id'
  | 'hsa_id_taken'
  | 'invalid_name'
  | 'parent_required'
  | 'unknown_parent'
  | 'unknown_unit'
  | 'unknown_user'
  | 'unknown_role'
  | 'unit_required'
  | 'unit_not_allowed'
  | 'duplicate_role'
  | 'unknown_assignment'
  | 'own_last_system_admin';

export type AdministrationOutcome = { ok: true; id: string } | { ok: false; refusal: AdministrationRefusal };

/** Roles that belong to one unit (and its sub-units); every other role is global. */
export const unitScopedRoles: readonly StaffRole[] = ['manager', 'contact_person'];
const maxNameLength = 200;

interface Attempt {
  action: 'unit_create' | 'unit_rename' | 'staff_role_grant' | 'staff_role_revoke';
  objectType: 'unit' | 'staff_role_assignment';
  objectId?: string | null;
  /** Only a unit that exists: the audit log references units. */
  unitId?: string | null;
  detail?: Record<string, unknown>;
}

function refuse(db: AppDatabase, actor: AdminActor, attempt: Attempt, refusal: AdministrationRefusal) {
  recordAttempt(db, actor, attempt, refusal);
  return { ok: false as const, refusal };
}

export function findUnit(db: AppDatabase, unitId: string) {
  return db.select().from(units).where(eq(units.id, unitId)).get();
}

export interface UnitTreeNode {
  id: string;
  hsaId: string;
  name: string;
  parentId: string | null;
  organisation: string;
  depth: number;
  personCount: number;
  staffCount: number;
}

/** Every unit in tree order (each parent before its children, siblings by name), with its depth and head counts. */
export function listUnitTree(db: AppDatabase): UnitTreeNode[] {
  const all = db.select().from(units).orderBy(asc(units.name)).all();
  const personCounts = countBy(
    db.select({ unitId: personUnits.unitId, n: count() }).from(personUnits).groupBy(personUnits.unitId).all(),
  );
  const staffCounts = countBy(
    db
      .select({ unitId: staffRoleAssignments.unitId, n: count() })
      .from(staffRoleAssignments)
      .groupBy(staffRoleAssignments.unitId)
      .all(),
  );
  const children = new Map<string | null, typeof all>();
  for (const unit of all) children.set(unit.parentId, [...(children.get(unit.parentId) ?? []), unit]);
  const tree: UnitTreeNode[] = [];
  const visit = (parentId: string | null, depth: number) => {
    for (const unit of children.get(parentId) ?? []) {
      tree.push({
        id: unit.id,
        hsaId: unit.hsaId,
        name: unit.name,
        parentId: unit.parentId,
        organisation: unit.organisation,
        depth,
        personCount: personCounts.get(unit.id) ?? 0,
        staffCount: staffCounts.get(unit.id) ?? 0,
      });
      visit(unit.id, depth + 1);
    }
  };
  visit(null, 0);
  return tree;
}

function countBy(rows: Array<{ unitId: string | null; n: number }>): Map<string, number> {
  return new Map(rows.filter((row) => row.unitId !== null).map((row) => [row.unitId as string, row.n]));
}

export interface NewUnit {
  hsaId: string;
  name: string;
  /** Null only for a new organisation root, which then needs `organisation`. */
  parentId: string | null;
  organisation?: string;
}

/** A unit below `parentId`, in the parent's organisation; or an organisation root. */
export function createUnit(db: AppDatabase, input: NewUnit, actor: AdminActor): AdministrationOutcome {
  const hsaId = hsaIdSchema.safeParse(input.hsaId);
  const name = input.name.trim();
  const attempt: Attempt = {
    action: 'unit_create',
    objectType: 'unit',
    detail: { hsaId: input.hsaId, name, parentId: input.parentId },
  };
  if (!hsaId.success) return refuse(db, actor, attempt, 'invalid_hsa_id');
  if (name.length === 0 || name.length > maxNameLength) return refuse(db, actor, attempt, 'invalid_name');
  const parent = input.parentId ? findUnit(db, input.parentId) : undefined;
  if (input.parentId && !parent) return refuse(db, actor, attempt, 'unknown_parent');
  const organisation = parent?.organisation ?? input.organisation?.trim();
  if (!organisation) return refuse(db, actor, attempt, 'parent_required');
  if (db.select().from(units).where(eq(units.hsaId, hsaId.data)).get()) {
    return refuse(
      db,
      actor,
      { ...attempt, detail: { ...attempt.detail, hsaId: hsaId.data } },
      'hsa_id_taken',
    );
  }
  const id = newId();
  db.transaction((tx) => {
    tx.insert(units)
      .values({ id, hsaId: hsaId.data, name, parentId: parent?.id ?? null, organisation })
      .run();
    recordAttempt(tx, actor, {
      ...attempt,
      objectId: id,
      unitId: id,
      detail: { after: { hsaId: hsaId.data, name, organisation } },
    });
  });
  return { ok: true, id };
}

export function renameUnit(
  db: AppDatabase,
  unitId: string,
  newName: string,
  actor: AdminActor,
): AdministrationOutcome {
  const name = newName.trim();
  const unit = findUnit(db, unitId);
  const attempt: Attempt = {
    action: 'unit_rename',
    objectType: 'unit',
    objectId: unitId,
    unitId: unit?.id ?? null,
    detail: { before: unit?.name, after: name },
  };
  if (!unit) return refuse(db, actor, attempt, 'unknown_unit');
  if (name.length === 0 || name.length > maxNameLength) return refuse(db, actor, attempt, 'invalid_name');
  db.transaction((tx) => {
    tx.update(units).set({ name }).where(eq(units.id, unitId)).run();
    recordAttempt(tx, actor, attempt);
  });
  return { ok: true, id: unitId };
}

export interface StaffRoleView {
  assignmentId: string;
  role: StaffRole;
  unitId: string | null;
  unitName: string | null;
}

export interface StaffMember {
  userId: string;
  username: string;
  displayName: string;
  personHsaId: string | null;
  disabled: boolean;
  roles: StaffRoleView[];
}

/** Every user account with its role assignments (users without a role too: they are the ones to grant one). */
export function listStaff(db: AppDatabase): StaffMember[] {
  const accounts = db
    .select({
      userId: users.id,
      username: users.username,
      displayName: users.displayName,
      personHsaId: persons.hsaId,
      disabledAt: users.disabledAt,
    })
    .from(users)
    .leftJoin(persons, eq(persons.id, users.personId))
    .orderBy(asc(users.displayName))
    .all();
  const assignments = db
    .select({
      assignmentId: staffRoleAssignments.id,
      userId: staffRoleAssignments.userId,
      role: staffRoleAssignments.role,
      unitId: staffRoleAssignments.unitId,
      unitName: units.name,
    })
    .from(staffRoleAssignments)
    .leftJoin(units, eq(units.id, staffRoleAssignments.unitId))
    .orderBy(asc(staffRoleAssignments.role), asc(units.name))
    .all();
  return accounts.map(({ disabledAt, ...account }) => ({
    ...account,
    disabled: disabledAt !== null,
    roles: assignments
      .filter((assignment) => assignment.userId === account.userId)
      .map(({ userId: _userId, ...role }) => role),
  }));
}

export interface RoleGrant {
  userId: string;
  role: string;
  unitId: string | null;
}

export function grantRole(db: AppDatabase, grant: RoleGrant, actor: AdminActor): AdministrationOutcome {
  const unit = grant.unitId ? findUnit(db, grant.unitId) : undefined;
  const attempt: Attempt = {
    action: 'staff_role_grant',
    objectType: 'staff_role_assignment',
    unitId: unit?.id ?? null,
    detail: { userId: grant.userId, role: grant.role, unitId: grant.unitId },
  };
  const refusal = grantRefusal(db, grant, unit !== undefined);
  if (refusal) return refuse(db, actor, attempt, refusal);
  const id = newId();
  db.transaction((tx) => {
    tx.insert(staffRoleAssignments)
      .values({ id, userId: grant.userId, role: grant.role as StaffRole, unitId: grant.unitId })
      .run();
    recordAttempt(tx, actor, { ...attempt, objectId: id });
  });
  return { ok: true, id };
}

function grantRefusal(db: AppDatabase, grant: RoleGrant, unitExists: boolean): AdministrationRefusal | null {
  if (!db.select().from(users).where(eq(users.id, grant.userId)).get()) return 'unknown_user';
  if (!staffRoles.includes(grant.role as StaffRole)) return 'unknown_role';
  const unitScoped = unitScopedRoles.includes(grant.role as StaffRole);
  if (unitScoped && !grant.unitId) return 'unit_required';
  if (!unitScoped && grant.unitId) return 'unit_not_allowed';
  if (grant.unitId && !unitExists) return 'unknown_unit';
  const same = db
    .select()
    .from(staffRoleAssignments)
    .where(
      and(
        eq(staffRoleAssignments.userId, grant.userId),
        eq(staffRoleAssignments.role, grant.role as StaffRole),
        grant.unitId ? eq(staffRoleAssignments.unitId, grant.unitId) : isNull(staffRoleAssignments.unitId),
      ),
    )
    .get();
  return same ? 'duplicate_role' : null;
}

export function findRoleAssignment(db: AppDatabase, assignmentId: string) {
  return db
    .select({
      assignmentId: staffRoleAssignments.id,
      userId: staffRoleAssignments.userId,
      username: users.username,
      displayName: users.displayName,
      role: staffRoleAssignments.role,
      unitId: staffRoleAssignments.unitId,
      unitName: units.name,
    })
    .from(staffRoleAssignments)
    .innerJoin(users, eq(users.id, staffRoleAssignments.userId))
    .leftJoin(units, eq(units.id, staffRoleAssignments.unitId))
    .where(eq(staffRoleAssignments.id, assignmentId))
    .get();
}

/** Removes one role. A system admin may not remove their own last system-admin role: no one could grant it back. */
export function revokeRole(db: AppDatabase, assignmentId: string, actor: AdminActor): AdministrationOutcome {
  const assignment = findRoleAssignment(db, assignmentId);
  const attempt: Attempt = {
    action: 'staff_role_revoke',
    objectType: 'staff_role_assignment',
    objectId: assignmentId,
    unitId: assignment?.unitId ?? null,
    detail: assignment && {
      before: { userId: assignment.userId, role: assignment.role, unitId: assignment.unitId },
    },
  };
  if (!assignment) return refuse(db, actor, attempt, 'unknown_assignment');
  if (assignment.role === 'system_admin' && assignment.userId === actor.userId) {
    const own = db
      .select({ n: count() })
      .from(staffRoleAssignments)
      .where(
        and(eq(staffRoleAssignments.userId, actor.userId), eq(staffRoleAssignments.role, 'system_admin')),
      )
      .get();
    if ((own?.n ?? 0) <= 1) return refuse(db, actor, attempt, 'own_last_system_admin');
  }
  db.transaction((tx) => {
    tx.delete(staffRoleAssignments).where(eq(staffRoleAssignments.id, assignmentId)).run();
    recordAttempt(tx, actor, attempt);
  });
  return { ok: true, id: assignmentId };
}
