import { and, asc, count, eq, isNull } from 'drizzle-orm';
import type { SignedDecisionKind } from '../protocol/domain-values';
import { hsaIdSchema } from '../protocol/identifiers';
import { recordAttempt } from './audit';
import type { AppDatabase } from './connection';
import { first, forUpdate, isUniqueViolation } from './engine';
import { newId } from './ids';
import {
  type IdentityViewer,
  type ShownIdentity,
  seesNoProtectedIdentity,
  shownTo,
} from './protected-identity';
import {
  type AuthOrderMethod,
  persons,
  personUnits,
  type StaffRole,
  staffRoleAssignments,
  staffRoles,
  units,
  users,
} from './schema';
import {
  type DecisionSignature,
  listSignedDecisionsAbout,
  recordDecisionSignature,
} from './signed-decisions';

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
  | 'own_last_system_admin'
  | 'grantee_without_person'
  | 'signer_without_person'
  | 'signature_required'
  | 'signature_mismatch'
  | 'signature_spent';

export type AdministrationOutcome = { ok: true; id: string } | { ok: false; refusal: AdministrationRefusal };

/** Roles that belong to one unit (and its sub-units); every other role is global. */
export const unitScopedRoles: readonly StaffRole[] = ['manager', 'contact_person'];
const maxNameLength = 200;

/**
 * Roles whose grant is a decision the granter signs with their own SITHS eID: the statement names granter and
 * grantee by name and HSA-id, so both need a person. Other roles are granted without a signature.
 */
export const signedGrantRoles: readonly StaffRole[] = ['id_admin'];

export function grantNeedsSignature(role: string): boolean {
  return signedGrantRoles.includes(role as StaffRole);
}

/**
 * What a grant's signature is about while it is made: the grantee's user, since the assignment does not exist
 * before the granting transaction. That transaction records the signed decision about the new assignment, the
 * object the grant's own audit event names.
 */
export function roleGrantSigningSubject(grant: RoleGrant): {
  kind: SignedDecisionKind;
  objectType: 'user';
  objectId: string;
  unitId: string | null;
} {
  return { kind: 'role_grant', objectType: 'user', objectId: grant.userId, unitId: grant.unitId };
}

interface Attempt {
  action: 'unit_create' | 'unit_rename' | 'staff_role_grant' | 'staff_role_revoke';
  objectType: 'unit' | 'staff_role_assignment';
  objectId?: string | null;
  /** Only a unit that exists: the audit log references units. */
  unitId?: string | null;
  detail?: Record<string, unknown>;
}

async function refuse(db: AppDatabase, actor: AdminActor, attempt: Attempt, refusal: AdministrationRefusal) {
  await recordAttempt(db, actor, attempt, refusal);
  return { ok: false as const, refusal };
}

/** Thrown inside a transaction to roll it back; the refusal is audited after the rollback. */
class Refused extends Error {
  constructor(readonly refusal: AdministrationRefusal) {
    super(refusal);
  }
}

export async function findUnit(db: AppDatabase, unitId: string) {
  return first(await db.select().from(units).where(eq(units.id, unitId)).limit(1));
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
export async function listUnitTree(db: AppDatabase): Promise<UnitTreeNode[]> {
  const all = await db.select().from(units).orderBy(asc(units.name));
  const personCounts = countBy(
    await db.select({ unitId: personUnits.unitId, n: count() }).from(personUnits).groupBy(personUnits.unitId),
  );
  const staffCounts = countBy(
    await db
      .select({ unitId: staffRoleAssignments.unitId, n: count() })
      .from(staffRoleAssignments)
      .groupBy(staffRoleAssignments.unitId),
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
export async function createUnit(
  db: AppDatabase,
  input: NewUnit,
  actor: AdminActor,
): Promise<AdministrationOutcome> {
  const hsaId = hsaIdSchema.safeParse(input.hsaId);
  const name = input.name.trim();
  const attempt: Attempt = {
    action: 'unit_create',
    objectType: 'unit',
    detail: { hsaId: input.hsaId, name, parentId: input.parentId },
  };
  if (!hsaId.success) return await refuse(db, actor, attempt, 'invalid_hsa_id');
  if (name.length === 0 || name.length > maxNameLength)
    return await refuse(db, actor, attempt, 'invalid_name');
  const parent = input.parentId ? await findUnit(db, input.parentId) : undefined;
  if (input.parentId && !parent) return await refuse(db, actor, attempt, 'unknown_parent');
  const organisation = parent?.organisation ?? input.organisation?.trim();
  if (!organisation) return await refuse(db, actor, attempt, 'parent_required');
  const hsaIdTaken = () =>
    refuse(db, actor, { ...attempt, detail: { ...attempt.detail, hsaId: hsaId.data } }, 'hsa_id_taken');
  if (first(await db.select().from(units).where(eq(units.hsaId, hsaId.data)).limit(1))) {
    return await hsaIdTaken();
  }
  const id = newId();
  try {
    await db.transaction(async (tx) => {
      await tx
        .insert(units)
        .values({ id, hsaId: hsaId.data, name, parentId: parent?.id ?? null, organisation });
      await recordAttempt(tx, actor, {
        ...attempt,
        objectId: id,
        unitId: id,
        detail: { after: { hsaId: hsaId.data, name, organisation } },
      });
    });
  } catch (error) {
    // Another request created the same HSA-id since the check above.
    if (isUniqueViolation(error)) return await hsaIdTaken();
    throw error;
  }
  return { ok: true, id };
}

export async function renameUnit(
  db: AppDatabase,
  unitId: string,
  newName: string,
  actor: AdminActor,
): Promise<AdministrationOutcome> {
  const name = newName.trim();
  const unit = await findUnit(db, unitId);
  const attempt: Attempt = {
    action: 'unit_rename',
    objectType: 'unit',
    objectId: unitId,
    unitId: unit?.id ?? null,
    detail: { before: unit?.name, after: name },
  };
  if (!unit) return await refuse(db, actor, attempt, 'unknown_unit');
  if (name.length === 0 || name.length > maxNameLength)
    return await refuse(db, actor, attempt, 'invalid_name');
  await db.transaction(async (tx) => {
    await tx.update(units).set({ name }).where(eq(units.id, unitId));
    await recordAttempt(tx, actor, attempt);
  });
  return { ok: true, id: unitId };
}

/** Who signed the grant of a role, for the role list and the links to the signed decision's files. */
export interface SignedGrantView {
  signedDecisionId: string;
  signerName: string;
  method: AuthOrderMethod;
  signedAt: Date;
}

export interface StaffRoleView {
  assignmentId: string;
  role: StaffRole;
  unitId: string | null;
  unitName: string | null;
  /** The signature of the grant, for roles granted by a signed decision; null otherwise. */
  signedGrant: SignedGrantView | null;
}

/** Who an account is: its name, username and person's HSA-id, or only that it is a protected identity. */
export type StaffIdentity = ShownIdentity<{
  displayName: string;
  username: string;
  personHsaId: string | null;
}>;

export type StaffMember = {
  userId: string;
  disabled: boolean;
  roles: StaffRoleView[];
} & StaffIdentity;

/**
 * Every user account with its role assignments (users without a role too: they are the ones to grant one).
 * An account of a protected identity is named only to a viewer with the right.
 */
export async function listStaff(
  db: AppDatabase,
  viewer: IdentityViewer = seesNoProtectedIdentity,
): Promise<StaffMember[]> {
  const accounts = await db
    .select({
      userId: users.id,
      username: users.username,
      displayName: users.displayName,
      personHsaId: persons.hsaId,
      protectedIdentity: persons.protectedIdentity,
      disabledAt: users.disabledAt,
    })
    .from(users)
    .leftJoin(persons, eq(persons.id, users.personId))
    .orderBy(asc(users.displayName));
  const assignments = await db
    .select({
      assignmentId: staffRoleAssignments.id,
      userId: staffRoleAssignments.userId,
      role: staffRoleAssignments.role,
      unitId: staffRoleAssignments.unitId,
      unitName: units.name,
    })
    .from(staffRoleAssignments)
    .leftJoin(units, eq(units.id, staffRoleAssignments.unitId))
    .orderBy(asc(staffRoleAssignments.role), asc(units.name));
  const signed = await signedGrantsOf(
    db,
    assignments.filter((assignment) => grantNeedsSignature(assignment.role)).map((a) => a.assignmentId),
  );
  return accounts.map(({ userId, disabledAt, protectedIdentity, ...identity }) => ({
    userId,
    ...shownTo(viewer, protectedIdentity ?? false, identity),
    disabled: disabledAt !== null,
    roles: assignments
      .filter((assignment) => assignment.userId === userId)
      .map(({ userId: _userId, ...role }) => ({
        ...role,
        signedGrant: signed.get(role.assignmentId) ?? null,
      })),
  }));
}

async function signedGrantsOf(
  db: AppDatabase,
  assignmentIds: string[],
): Promise<Map<string, SignedGrantView>> {
  const signed = new Map<string, SignedGrantView>();
  for (const assignmentId of assignmentIds) {
    const decision = (await listSignedDecisionsAbout(db, 'staff_role_assignment', assignmentId)).find(
      (about) => about.kind === 'role_grant',
    );
    if (decision) {
      signed.set(assignmentId, {
        signedDecisionId: decision.id,
        signerName: decision.signerName,
        method: decision.method,
        signedAt: decision.signedAt,
      });
    }
  }
  return signed;
}

export interface RoleGrant {
  userId: string;
  role: string;
  unitId: string | null;
}

/** The grantee and unit as a signed grant's statement names them. */
export interface RoleGrantReview {
  grantee: { name: string; hsaId: string };
  unitName: string | null;
}

/**
 * Checks a grant to be signed before it is signed, with every refusal of `grantRole` but the signature's own
 * (so nothing is signed that could not be granted); refusals are audited.
 */
export async function reviewRoleGrant(
  db: AppDatabase,
  grant: RoleGrant,
  actor: AdminActor,
): Promise<{ ok: true; review: RoleGrantReview } | { ok: false; refusal: AdministrationRefusal }> {
  const unit = grant.unitId ? await findUnit(db, grant.unitId) : undefined;
  const attempt = grantAttempt(grant, unit?.id ?? null);
  const refusal = await grantRefusal(db, grant, actor, unit !== undefined);
  if (refusal) return await refuse(db, actor, attempt, refusal);
  const person = await personOfUser(db, grant.userId);
  if (!person) return await refuse(db, actor, attempt, 'grantee_without_person');
  const grantee = { name: `${person.givenName} ${person.surname}`, hsaId: person.hsaId };
  return { ok: true, review: { grantee, unitName: unit?.name ?? null } };
}

/**
 * Grants a role. A role in `signedGrantRoles` needs the granter's signature of exactly this grant, recorded in
 * the granting transaction about the new assignment; a signature already spent undoes the grant.
 */
export async function grantRole(
  db: AppDatabase,
  grant: RoleGrant,
  actor: AdminActor,
  signature?: DecisionSignature,
): Promise<AdministrationOutcome> {
  const unit = grant.unitId ? await findUnit(db, grant.unitId) : undefined;
  const attempt = grantAttempt(grant, unit?.id ?? null, signature);
  const refusal =
    (await grantRefusal(db, grant, actor, unit !== undefined)) ?? signatureRefusal(grant, actor, signature);
  if (refusal) return await refuse(db, actor, attempt, refusal);
  const id = newId();
  try {
    await db.transaction(async (tx) => {
      await tx
        .insert(staffRoleAssignments)
        .values({ id, userId: grant.userId, role: grant.role as StaffRole, unitId: grant.unitId });
      const about = { objectType: 'staff_role_assignment', objectId: id };
      if (signature && !(await recordDecisionSignature(tx, { ...signature, ...about }))) {
        throw new Refused('signature_spent');
      }
      await recordAttempt(tx, actor, { ...attempt, objectId: id });
    });
  } catch (error) {
    if (error instanceof Refused) return await refuse(db, actor, attempt, error.refusal);
    // Another request granted the same role since the check above.
    if (isUniqueViolation(error)) return await refuse(db, actor, attempt, 'duplicate_role');
    throw error;
  }
  return { ok: true, id };
}

function grantAttempt(grant: RoleGrant, unitId: string | null, signature?: DecisionSignature): Attempt {
  return {
    action: 'staff_role_grant',
    objectType: 'staff_role_assignment',
    unitId,
    detail: {
      userId: grant.userId,
      role: grant.role,
      unitId: grant.unitId,
      ...(signature ? { signingOrderId: signature.authOrderId } : {}),
    },
  };
}

async function personOfUser(db: AppDatabase, userId: string) {
  return first(
    await db
      .select({ givenName: persons.givenName, surname: persons.surname, hsaId: persons.hsaId })
      .from(users)
      .innerJoin(persons, eq(persons.id, users.personId))
      .where(eq(users.id, userId))
      .limit(1),
  );
}

/** A signature must be the granter's, of a role grant to this user for this unit (made with roleGrantSigningSubject). */
function signatureRefusal(
  grant: RoleGrant,
  actor: AdminActor,
  signature: DecisionSignature | undefined,
): AdministrationRefusal | null {
  if (!signature) return grantNeedsSignature(grant.role) ? 'signature_required' : null;
  const subject = roleGrantSigningSubject(grant);
  const same =
    signature.kind === subject.kind &&
    signature.objectType === subject.objectType &&
    signature.objectId === subject.objectId &&
    (signature.unitId ?? null) === subject.unitId &&
    signature.signerUserId === actor.userId;
  return same ? null : 'signature_mismatch';
}

async function grantRefusal(
  db: AppDatabase,
  grant: RoleGrant,
  actor: AdminActor,
  unitExists: boolean,
): Promise<AdministrationRefusal | null> {
  if (!first(await db.select().from(users).where(eq(users.id, grant.userId)).limit(1))) return 'unknown_user';
  if (!staffRoles.includes(grant.role as StaffRole)) return 'unknown_role';
  const unitScoped = unitScopedRoles.includes(grant.role as StaffRole);
  if (unitScoped && !grant.unitId) return 'unit_required';
  if (!unitScoped && grant.unitId) return 'unit_not_allowed';
  if (grant.unitId && !unitExists) return 'unknown_unit';
  if (grantNeedsSignature(grant.role)) {
    if (!(await personOfUser(db, actor.userId))) return 'signer_without_person';
    if (!(await personOfUser(db, grant.userId))) return 'grantee_without_person';
  }
  const same = first(
    await db
      .select()
      .from(staffRoleAssignments)
      .where(
        and(
          eq(staffRoleAssignments.userId, grant.userId),
          eq(staffRoleAssignments.role, grant.role as StaffRole),
          grant.unitId ? eq(staffRoleAssignments.unitId, grant.unitId) : isNull(staffRoleAssignments.unitId),
        ),
      )
      .limit(1),
  );
  return same ? 'duplicate_role' : null;
}

/** One role assignment with its holder, named only to a viewer who may see them. */
export async function findRoleAssignment(
  db: AppDatabase,
  assignmentId: string,
  viewer: IdentityViewer = seesNoProtectedIdentity,
) {
  const row = first(
    await db
      .select({
        assignmentId: staffRoleAssignments.id,
        userId: staffRoleAssignments.userId,
        username: users.username,
        displayName: users.displayName,
        protectedIdentity: persons.protectedIdentity,
        role: staffRoleAssignments.role,
        unitId: staffRoleAssignments.unitId,
        unitName: units.name,
      })
      .from(staffRoleAssignments)
      .innerJoin(users, eq(users.id, staffRoleAssignments.userId))
      .leftJoin(persons, eq(persons.id, users.personId))
      .leftJoin(units, eq(units.id, staffRoleAssignments.unitId))
      .where(eq(staffRoleAssignments.id, assignmentId))
      .limit(1),
  );
  if (!row) return undefined;
  const { username, displayName, protectedIdentity, ...assignment } = row;
  return { ...assignment, holder: shownTo(viewer, protectedIdentity ?? false, { username, displayName }) };
}

/** Removes one role. A system admin may not remove their own last system-admin role: no one could grant it back. */
export async function revokeRole(
  db: AppDatabase,
  assignmentId: string,
  actor: AdminActor,
): Promise<AdministrationOutcome> {
  const assignment = await findRoleAssignment(db, assignmentId);
  const attempt: Attempt = {
    action: 'staff_role_revoke',
    objectType: 'staff_role_assignment',
    objectId: assignmentId,
    unitId: assignment?.unitId ?? null,
    detail: assignment && {
      before: { userId: assignment.userId, role: assignment.role, unitId: assignment.unitId },
    },
  };
  if (!assignment) return await refuse(db, actor, attempt, 'unknown_assignment');
  try {
    await db.transaction(async (tx) => {
      if (assignment.role === 'system_admin' && assignment.userId === actor.userId) {
        // Locked, so two removals of the admin's last two roles at once cannot both see the other one left.
        const own = await forUpdate(
          tx,
          tx
            .select({ id: staffRoleAssignments.id })
            .from(staffRoleAssignments)
            .where(
              and(
                eq(staffRoleAssignments.userId, actor.userId),
                eq(staffRoleAssignments.role, 'system_admin'),
              ),
            ),
        );
        if (own.length <= 1) throw new Refused('own_last_system_admin');
      }
      await tx.delete(staffRoleAssignments).where(eq(staffRoleAssignments.id, assignmentId));
      await recordAttempt(tx, actor, attempt);
    });
  } catch (error) {
    if (error instanceof Refused) return await refuse(db, actor, attempt, error.refusal);
    throw error;
  }
  return { ok: true, id: assignmentId };
}
