import { desc, eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type AdminActor,
  createUnit,
  grantRole,
  listStaff,
  listUnitTree,
  renameUnit,
  revokeRole,
} from './administration';
import { type AppDatabase, openMigratedDatabase } from './connection';
import { auditEvents, staffRoleAssignments, units, users } from './schema';
import { seedDemoData } from './seed';

const sahlgrenska = 'SE2321000131-S000000010100';
const kardiologi = 'SE2321000131-S000000010127';
const newHsaId = 'SE2321000131-S000000099901';
let db: AppDatabase;
let admin: AdminActor;

beforeEach(async () => {
  db = openMigratedDatabase(':memory:');
  await seedDemoData(db, {
    hashPassword: async (password) => `fake$${password}`,
    now: new Date('2026-03-02T09:00:00Z'),
  });
  admin = { userId: userId('admin'), label: 'admin' };
});

const unitId = (hsaId: string) => db.select().from(units).where(eq(units.hsaId, hsaId)).get()!.id;
const userId = (username: string) => db.select().from(users).where(eq(users.username, username)).get()!.id;
const lastAudit = () => db.select().from(auditEvents).orderBy(desc(auditEvents.id)).get()!;
const unitCount = () => db.select().from(units).all().length;
const roleCount = () => db.select().from(staffRoleAssignments).all().length;

describe('the unit tree', () => {
  it('lists parents before their children, indented one level deeper, with head counts', () => {
    const tree = listUnitTree(db);
    const su = tree.findIndex((unit) => unit.hsaId === sahlgrenska);
    const kard = tree.findIndex((unit) => unit.hsaId === kardiologi);
    expect(su).toBeGreaterThanOrEqual(0);
    expect(kard).toBeGreaterThan(su);
    expect(tree[kard]!.depth).toBeGreaterThan(tree[su]!.depth);
    expect(tree.length).toBe(unitCount());
    expect(tree[su]!.staffCount).toBeGreaterThan(0);
    expect(tree.some((unit) => unit.personCount > 0)).toBe(true);
  });
});

describe('createUnit', () => {
  it('creates a unit below its parent in the parent organisation, audited', () => {
    const outcome = createUnit(
      db,
      { hsaId: newHsaId.toLowerCase(), name: ' Ny mottagning ', parentId: unitId(sahlgrenska) },
      admin,
    );
    expect(outcome.ok).toBe(true);
    const created = db.select().from(units).where(eq(units.hsaId, newHsaId)).get()!;
    const parent = db.select().from(units).where(eq(units.hsaId, sahlgrenska)).get()!;
    expect(created).toMatchObject({
      name: 'Ny mottagning',
      parentId: parent.id,
      organisation: parent.organisation,
    });
    expect(lastAudit()).toMatchObject({ action: 'unit_create', outcome: 'success', objectId: created.id });
  });

  it('creates an organisation root only with an organisation', () => {
    expect(createUnit(db, { hsaId: newHsaId, name: 'Region X', parentId: null }, admin)).toEqual({
      ok: false,
      refusal: 'parent_required',
    });
    expect(
      createUnit(db, { hsaId: newHsaId, name: 'Region X', parentId: null, organisation: 'rx' }, admin).ok,
    ).toBe(true);
  });

  it.each([
    [{ hsaId: 'not-an-hsa-id', name: 'X' }, 'invalid_hsa_id'],
    [{ hsaId: sahlgrenska, name: 'X' }, 'hsa_id_taken'],
    [{ hsaId: newHsaId, name: '  ' }, 'invalid_name'],
  ])('refuses %o (%s), changes nothing, audits the refusal', (input, refusal) => {
    const before = unitCount();
    expect(createUnit(db, { ...input, parentId: unitId(sahlgrenska) }, admin)).toEqual({
      ok: false,
      refusal,
    });
    expect(unitCount()).toBe(before);
    expect(lastAudit()).toMatchObject({
      action: 'unit_create',
      outcome: 'refused',
      detail: { reason: refusal },
    });
  });

  it('refuses an unknown parent', () => {
    expect(createUnit(db, { hsaId: newHsaId, name: 'X', parentId: 'nope' }, admin)).toEqual({
      ok: false,
      refusal: 'unknown_parent',
    });
  });
});

describe('renameUnit', () => {
  it('renames and records before and after', () => {
    const id = unitId(kardiologi);
    const before = db.select().from(units).where(eq(units.id, id)).get()!.name;
    expect(renameUnit(db, id, 'Kardiologi SU', admin).ok).toBe(true);
    expect(db.select().from(units).where(eq(units.id, id)).get()!.name).toBe('Kardiologi SU');
    expect(lastAudit()).toMatchObject({ action: 'unit_rename', detail: { before, after: 'Kardiologi SU' } });
  });

  it('refuses an empty name and an unknown unit', () => {
    expect(renameUnit(db, unitId(kardiologi), ' ', admin)).toEqual({ ok: false, refusal: 'invalid_name' });
    expect(renameUnit(db, 'nope', 'X', admin)).toEqual({ ok: false, refusal: 'unknown_unit' });
    expect(lastAudit()).toMatchObject({ action: 'unit_rename', outcome: 'refused' });
  });
});

describe('staff roles', () => {
  it('lists staff with roles, units and the linked person HSA-id', () => {
    const staff = listStaff(db);
    const kontakt = staff.find((member) => member.username === 'kontakt')!;
    expect(kontakt.roles).toEqual([
      expect.objectContaining({ role: 'contact_person', unitName: expect.any(String) }),
    ]);
    expect(kontakt.personHsaId).toMatch(/^[A-Z]+\d{10}-/);
    expect(staff.find((member) => member.username === 'admin')!.personHsaId).toBeNull();
  });

  it('grants a unit role and a global role, audited', () => {
    const outcome = grantRole(
      db,
      { userId: userId('kontakt.skovde'), role: 'contact_person', unitId: unitId(sahlgrenska) },
      admin,
    );
    expect(outcome.ok).toBe(true);
    expect(lastAudit()).toMatchObject({
      action: 'staff_role_grant',
      outcome: 'success',
      unitId: unitId(sahlgrenska),
    });
    expect(grantRole(db, { userId: userId('chef'), role: 'support', unitId: null }, admin).ok).toBe(true);
  });

  it.each([
    ['contact_person', null, 'unit_required'],
    ['manager', null, 'unit_required'],
    ['id_admin', 'UNIT', 'unit_not_allowed'],
    ['system_admin', 'UNIT', 'unit_not_allowed'],
    ['superuser', null, 'unknown_role'],
    ['contact_person', 'nope', 'unknown_unit'],
  ])('refuses %s with unit %s (%s), changes nothing, audits', (role, unit, refusal) => {
    const before = roleCount();
    const grant = { userId: userId('chef'), role, unitId: unit === 'UNIT' ? unitId(sahlgrenska) : unit };
    expect(grantRole(db, grant, admin)).toEqual({ ok: false, refusal });
    expect(roleCount()).toBe(before);
    expect(lastAudit()).toMatchObject({
      action: 'staff_role_grant',
      outcome: 'refused',
      detail: { reason: refusal },
    });
  });

  it('refuses duplicates, of unit roles and of global roles, and unknown users', () => {
    const chefUnit = { userId: userId('chef'), role: 'manager', unitId: unitId(sahlgrenska) };
    expect(grantRole(db, chefUnit, admin)).toEqual({ ok: false, refusal: 'duplicate_role' });
    const global = { userId: userId('idadmin1'), role: 'id_admin', unitId: null };
    expect(grantRole(db, global, admin)).toEqual({ ok: false, refusal: 'duplicate_role' });
    expect(grantRole(db, { ...global, userId: 'nope' }, admin)).toEqual({
      ok: false,
      refusal: 'unknown_user',
    });
  });

  it('revokes a role, audited with what it was', () => {
    const granted = grantRole(db, { userId: userId('chef'), role: 'support', unitId: null }, admin);
    if (!granted.ok) throw new Error('grant failed');
    expect(revokeRole(db, granted.id, admin).ok).toBe(true);
    expect(
      db.select().from(staffRoleAssignments).where(eq(staffRoleAssignments.id, granted.id)).get(),
    ).toBeUndefined();
    expect(lastAudit()).toMatchObject({
      action: 'staff_role_revoke',
      outcome: 'success',
      detail: { before: { role: 'support' } },
    });
    expect(revokeRole(db, granted.id, admin)).toEqual({ ok: false, refusal: 'unknown_assignment' });
  });

  it("refuses removing one's own last system-admin role, but another admin may", () => {
    const own = db
      .select()
      .from(staffRoleAssignments)
      .where(eq(staffRoleAssignments.userId, admin.userId))
      .get()!;
    expect(revokeRole(db, own.id, admin)).toEqual({ ok: false, refusal: 'own_last_system_admin' });
    expect(lastAudit()).toMatchObject({ action: 'staff_role_revoke', outcome: 'refused' });
    expect(grantRole(db, { userId: userId('support'), role: 'system_admin', unitId: null }, admin).ok).toBe(
      true,
    );
    expect(revokeRole(db, own.id, { userId: userId('support'), label: 'support' }).ok).toBe(true);
  });
});
