import { desc, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../test-support/test-database';
import {
  type AdminActor,
  createUnit,
  grantRole,
  listStaff,
  listUnitTree,
  renameUnit,
  revokeRole,
} from './administration';
import type { AppDatabase } from './connection';
import { first } from './engine';
import { auditEvents, signedDecisions, staffRoleAssignments, units, users } from './schema';
import { seedDemoData } from './seed';
import type { DecisionSignature } from './signed-decisions';

const sahlgrenska = 'SE2321000131-S000000010100';
const kardiologi = 'SE2321000131-S000000010127';
const newHsaId = 'SE2321000131-S000000099901';
let db: AppDatabase;
let admin: AdminActor;

beforeEach(async () => {
  db = await openTestDatabase();
  await seedDemoData(db, {
    hashPassword: async (password) => `fake$${password}`,
    now: new Date('2026-03-02T09:00:00Z'),
  });
  admin = { userId: await userId('admin'), label: 'admin' };
});

afterEach(async () => {
  await db.close();
});

const unitId = async (hsaId: string) =>
  first(await db.select().from(units).where(eq(units.hsaId, hsaId)).limit(1))!.id;
const userId = async (username: string) =>
  first(await db.select().from(users).where(eq(users.username, username)).limit(1))!.id;
const lastAudit = async () =>
  first(await db.select().from(auditEvents).orderBy(desc(auditEvents.id)).limit(1))!;
const unitCount = async () => (await db.select().from(units)).length;
const roleCount = async () => (await db.select().from(staffRoleAssignments)).length;

describe('the unit tree', () => {
  it('lists parents before their children, indented one level deeper, with head counts', async () => {
    const tree = await listUnitTree(db);
    const su = tree.findIndex((unit) => unit.hsaId === sahlgrenska);
    const kard = tree.findIndex((unit) => unit.hsaId === kardiologi);
    expect(su).toBeGreaterThanOrEqual(0);
    expect(kard).toBeGreaterThan(su);
    expect(tree[kard]!.depth).toBeGreaterThan(tree[su]!.depth);
    expect(tree.length).toBe(await unitCount());
    expect(tree[su]!.staffCount).toBeGreaterThan(0);
    expect(tree.some((unit) => unit.personCount > 0)).toBe(true);
  });
});

describe('createUnit', () => {
  it('creates a unit below its parent in the parent organisation, audited', async () => {
    const outcome = await createUnit(
      db,
      { hsaId: newHsaId.toLowerCase(), name: ' Ny mottagning ', parentId: await unitId(sahlgrenska) },
      admin,
    );
    expect(outcome.ok).toBe(true);
    const created = first(await db.select().from(units).where(eq(units.hsaId, newHsaId)).limit(1))!;
    const parent = first(await db.select().from(units).where(eq(units.hsaId, sahlgrenska)).limit(1))!;
    expect(created).toMatchObject({
      name: 'Ny mottagning',
      parentId: parent.id,
      organisation: parent.organisation,
    });
    expect(await lastAudit()).toMatchObject({
      action: 'unit_create',
      outcome: 'success',
      objectId: created.id,
    });
  });

  it('creates an organisation root only with an organisation', async () => {
    expect(await createUnit(db, { hsaId: newHsaId, name: 'Region X', parentId: null }, admin)).toEqual({
      ok: false,
      refusal: 'parent_required',
    });
    expect(
      (await createUnit(db, { hsaId: newHsaId, name: 'Region X', parentId: null, organisation: 'rx' }, admin))
        .ok,
    ).toBe(true);
  });

  it.each([
    [{ hsaId: 'not-an-hsa-id', name: 'X' }, 'invalid_hsa_id'],
    [{ hsaId: sahlgrenska, name: 'X' }, 'hsa_id_taken'],
    [{ hsaId: newHsaId, name: '  ' }, 'invalid_name'],
  ])('refuses %o (%s), changes nothing, audits the refusal', async (input, refusal) => {
    const before = await unitCount();
    expect(await createUnit(db, { ...input, parentId: await unitId(sahlgrenska) }, admin)).toEqual({
      ok: false,
      refusal,
    });
    expect(await unitCount()).toBe(before);
    expect(await lastAudit()).toMatchObject({
      action: 'unit_create',
      outcome: 'refused',
      detail: { reason: refusal },
    });
  });

  it('refuses an unknown parent', async () => {
    expect(await createUnit(db, { hsaId: newHsaId, name: 'X', parentId: 'nope' }, admin)).toEqual({
      ok: false,
      refusal: 'unknown_parent',
    });
  });
});

describe('renameUnit', () => {
  it('renames and records before and after', async () => {
    const id = await unitId(kardiologi);
    const before = first(await db.select().from(units).where(eq(units.id, id)).limit(1))!.name;
    expect((await renameUnit(db, id, 'Kardiologi SU', admin)).ok).toBe(true);
    expect(first(await db.select().from(units).where(eq(units.id, id)).limit(1))!.name).toBe('Kardiologi SU');
    expect(await lastAudit()).toMatchObject({
      action: 'unit_rename',
      detail: { before, after: 'Kardiologi SU' },
    });
  });

  it('refuses an empty name and an unknown unit', async () => {
    expect(await renameUnit(db, await unitId(kardiologi), ' ', admin)).toEqual({
      ok: false,
      refusal: 'invalid_name',
    });
    expect(await renameUnit(db, 'nope', 'X', admin)).toEqual({ ok: false, refusal: 'unknown_unit' });
    expect(await lastAudit()).toMatchObject({ action: 'unit_rename', outcome: 'refused' });
  });
});

describe('staff roles', () => {
  it('lists staff with roles, units and the linked person HSA-id', async () => {
    const staff = await listStaff(db);
    const named = (username: string) =>
      staff.find((member) => !member.hidden && member.username === username);
    const kontakt = named('kontakt')!;
    expect(kontakt.roles).toEqual([
      expect.objectContaining({ role: 'contact_person', unitName: expect.any(String) }),
    ]);
    expect(kontakt).toMatchObject({ personHsaId: expect.stringMatching(/^[A-Z]+\d{10}-/) });
    expect(named('admin')).toMatchObject({ personHsaId: null });
  });

  it('grants a unit role and a global role, audited', async () => {
    const outcome = await grantRole(
      db,
      { userId: await userId('kontakt.skovde'), role: 'contact_person', unitId: await unitId(sahlgrenska) },
      admin,
    );
    expect(outcome.ok).toBe(true);
    expect(await lastAudit()).toMatchObject({
      action: 'staff_role_grant',
      outcome: 'success',
      unitId: await unitId(sahlgrenska),
    });
    expect(
      (await grantRole(db, { userId: await userId('chef'), role: 'support', unitId: null }, admin)).ok,
    ).toBe(true);
  });

  it.each([
    ['contact_person', null, 'unit_required'],
    ['manager', null, 'unit_required'],
    ['id_admin', 'UNIT', 'unit_not_allowed'],
    ['system_admin', 'UNIT', 'unit_not_allowed'],
    ['superuser', null, 'unknown_role'],
    ['contact_person', 'nope', 'unknown_unit'],
  ])('refuses %s with unit %s (%s), changes nothing, audits', async (role, unit, refusal) => {
    const before = await roleCount();
    const grant = {
      userId: await userId('chef'),
      role,
      unitId: unit === 'UNIT' ? await unitId(sahlgrenska) : unit,
    };
    expect(await grantRole(db, grant, admin)).toEqual({ ok: false, refusal });
    expect(await roleCount()).toBe(before);
    expect(await lastAudit()).toMatchObject({
      action: 'staff_role_grant',
      outcome: 'refused',
      detail: { reason: refusal },
    });
  });

  it('refuses duplicates, of unit roles and of global roles, and unknown users', async () => {
    const chefUnit = { userId: await userId('chef'), role: 'manager', unitId: await unitId(sahlgrenska) };
    expect(await grantRole(db, chefUnit, admin)).toEqual({ ok: false, refusal: 'duplicate_role' });
    const global = { userId: await userId('support'), role: 'support', unitId: null };
    expect(await grantRole(db, global, admin)).toEqual({ ok: false, refusal: 'duplicate_role' });
    expect(await grantRole(db, { ...global, userId: 'nope' }, admin)).toEqual({
      ok: false,
      refusal: 'unknown_user',
    });
  });

  it('revokes a role, audited with what it was', async () => {
    const granted = await grantRole(
      db,
      { userId: await userId('chef'), role: 'support', unitId: null },
      admin,
    );
    if (!granted.ok) throw new Error('grant failed');
    expect((await revokeRole(db, granted.id, admin)).ok).toBe(true);
    expect(
      first(
        await db.select().from(staffRoleAssignments).where(eq(staffRoleAssignments.id, granted.id)).limit(1),
      ),
    ).toBeUndefined();
    expect(await lastAudit()).toMatchObject({
      action: 'staff_role_revoke',
      outcome: 'success',
      detail: { before: { role: 'support' } },
    });
    expect(await revokeRole(db, granted.id, admin)).toEqual({ ok: false, refusal: 'unknown_assignment' });
  });

  it("refuses removing one's own last system-admin role, but another admin may", async () => {
    const own = first(
      await db
        .select()
        .from(staffRoleAssignments)
        .where(eq(staffRoleAssignments.userId, admin.userId))
        .limit(1),
    )!;
    expect(await revokeRole(db, own.id, admin)).toEqual({ ok: false, refusal: 'own_last_system_admin' });
    expect(await lastAudit()).toMatchObject({ action: 'staff_role_revoke', outcome: 'refused' });
    expect(
      (await grantRole(db, { userId: await userId('support'), role: 'system_admin', unitId: null }, admin))
        .ok,
    ).toBe(true);
    expect((await revokeRole(db, own.id, { userId: await userId('support'), label: 'support' })).ok).toBe(
      true,
    );
  });
});

describe('granting the ID-administrator role, a signed decision', () => {
  /** A signature as takeDecisionSignature hands it over; its signing order does not exist, so it cannot be spent. */
  const signatureOf = (signer: AdminActor, granteeUserId: string): DecisionSignature => ({
    kind: 'role_grant',
    objectType: 'user',
    objectId: granteeUserId,
    unitId: null,
    statement: 'Jag ger rollen.',
    signature: 'AAAA',
    certificateDer: 'AAAA',
    signerUserId: signer.userId,
    signerLabel: signer.label,
    signerPersonId: 'person',
    method: 'mobile_siths',
    credential: 'device',
    authOrderId: '00000000-0000-4000-8000-000000000000',
    signedAt: new Date(),
  });
  const idAdminsOf = async (username: string) =>
    (
      await db
        .select()
        .from(staffRoleAssignments)
        .where(eq(staffRoleAssignments.userId, await userId(username)))
    ).filter((assignment) => assignment.role === 'id_admin').length;

  it('refuses a grant without a signature, by an account without a person, and to an account without one', async () => {
    const idadmin = { userId: await userId('idadmin1'), label: 'idadmin1' };
    const chef = { userId: await userId('chef'), role: 'id_admin', unitId: null };
    expect(await grantRole(db, chef, idadmin)).toEqual({ ok: false, refusal: 'signature_required' });
    expect(await lastAudit()).toMatchObject({
      action: 'staff_role_grant',
      outcome: 'refused',
      detail: { reason: 'signature_required', role: 'id_admin' },
    });
    expect(await grantRole(db, chef, admin)).toEqual({ ok: false, refusal: 'signer_without_person' });
    const toAdmin = { userId: admin.userId, role: 'id_admin', unitId: null };
    expect(await grantRole(db, toAdmin, idadmin, signatureOf(idadmin, admin.userId))).toEqual({
      ok: false,
      refusal: 'grantee_without_person',
    });
    expect(await idAdminsOf('chef')).toBe(0);
  });

  it("refuses another grant's signature: for another grantee, or signed by someone else", async () => {
    const idadmin = { userId: await userId('idadmin1'), label: 'idadmin1' };
    const chef = { userId: await userId('chef'), role: 'id_admin', unitId: null };
    const forKontakt = signatureOf(idadmin, await userId('kontakt'));
    expect(await grantRole(db, chef, idadmin, forKontakt)).toEqual({
      ok: false,
      refusal: 'signature_mismatch',
    });
    const bySupport = signatureOf({ userId: await userId('support'), label: 'support' }, chef.userId);
    expect(await grantRole(db, chef, idadmin, bySupport)).toEqual({
      ok: false,
      refusal: 'signature_mismatch',
    });
    expect(await idAdminsOf('chef')).toBe(0);
  });

  it('undoes the grant when its signature was spent, and records no signed decision', async () => {
    const idadmin = { userId: await userId('idadmin1'), label: 'idadmin1' };
    const chef = { userId: await userId('chef'), role: 'id_admin', unitId: null };
    expect(await grantRole(db, chef, idadmin, signatureOf(idadmin, chef.userId))).toEqual({
      ok: false,
      refusal: 'signature_spent',
    });
    expect(await idAdminsOf('chef')).toBe(0);
    expect(await db.select().from(signedDecisions)).toHaveLength(0);
    expect(await lastAudit()).toMatchObject({
      action: 'staff_role_grant',
      detail: { reason: 'signature_spent' },
    });
  });
});
