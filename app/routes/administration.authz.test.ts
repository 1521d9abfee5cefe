import { and, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { translator } from '~/i18n/catalogue';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import { grantRole } from '../../db/administration';
import { first } from '../../db/engine';
import { auditEvents, staffRoleAssignments, units, users } from '../../db/schema';
import * as page from './admin.administration';
import * as rename from './admin.administration_.enhet.$unitId';
import * as revoke from './admin.administration_.roll.$assignmentId.ta-bort';

let harness: RouteHarness;
let sahlgrenska: string;
let adminActor: { userId: string; label: string };
beforeAll(async () => {
  harness = await createRouteHarness();
  sahlgrenska = first(
    await harness.db.select().from(units).where(eq(units.hsaId, 'SE2321000131-S000000010100')).limit(1),
  )!.id;
  adminActor = { userId: await userIdOf('admin'), label: 'admin' };
});
afterAll(async () => {
  await harness.db.close();
});

const userIdOf = async (username: string) =>
  first(await harness.db.select().from(users).where(eq(users.username, username)).limit(1))!.id;
const lastAudit = async () =>
  first(await harness.db.select().from(auditEvents).orderBy(desc(auditEvents.id)).limit(1))!;

let hsaCounter = 0;
const freshHsaId = () => `SE2321000131-S0000000990${String(++hsaCounter).padStart(2, '0')}`;

async function removeChefSupportRole() {
  await harness.db
    .delete(staffRoleAssignments)
    .where(
      and(eq(staffRoleAssignments.userId, await userIdOf('chef')), eq(staffRoleAssignments.role, 'support')),
    );
}

/** A support role for chef: something fresh to remove. */
async function freshAssignment(): Promise<string> {
  await removeChefSupportRole();
  const granted = await grantRole(
    harness.db,
    { userId: await userIdOf('chef'), role: 'support', unitId: null },
    adminActor,
  );
  if (!granted.ok) throw new Error(granted.refusal);
  return granted.id;
}

type Handler = Parameters<typeof callRoute>[0];
interface RouteCall {
  path: string;
  form?: Record<string, string>;
  params?: Record<string, string>;
}
interface Case {
  name: string;
  handler: Handler;
  call: () => RouteCall | Promise<RouteCall>;
  allowed: Record<string, number>;
}

const cases: Case[] = [
  {
    name: 'administration page (loader)',
    handler: page.loader,
    call: () => ({ path: '/admin/administration' }),
    allowed: { admin: 200 },
  },
  {
    name: 'create a unit (action)',
    handler: page.action,
    call: () => ({
      path: '/admin/administration',
      form: { intent: 'create_unit', hsaId: freshHsaId(), name: 'Ny mottagning', parentId: sahlgrenska },
    }),
    allowed: { admin: 302 },
  },
  {
    name: 'grant a role (action)',
    handler: page.action,
    call: async () => {
      await removeChefSupportRole();
      return {
        path: '/admin/administration',
        form: { intent: 'grant_role', userId: await userIdOf('chef'), role: 'support', roleUnitId: '' },
      };
    },
    allowed: { admin: 302 },
  },
  {
    // The ID-administrator role is a signed decision: the break-glass admin has no person to sign with.
    name: 'grant the ID-administrator role (action)',
    handler: page.action,
    call: async () => ({
      path: '/admin/administration',
      form: { intent: 'grant_role', userId: await userIdOf('chef'), role: 'id_admin', roleUnitId: '' },
    }),
    allowed: {},
  },
  {
    name: 'rename page of Sahlgrenska (loader)',
    handler: rename.loader,
    call: () => ({ path: `/admin/administration/enhet/${sahlgrenska}`, params: { unitId: sahlgrenska } }),
    allowed: { admin: 200 },
  },
  {
    name: 'rename Sahlgrenska (action)',
    handler: rename.action,
    call: () => ({
      path: `/admin/administration/enhet/${sahlgrenska}`,
      form: { name: 'Sahlgrenska Universitetssjukhuset' },
      params: { unitId: sahlgrenska },
    }),
    allowed: { admin: 302 },
  },
  {
    name: 'remove-role confirm page (loader)',
    handler: revoke.loader,
    call: async () => {
      const assignmentId = await freshAssignment();
      return { path: `/admin/administration/roll/${assignmentId}/ta-bort`, params: { assignmentId } };
    },
    allowed: { admin: 200 },
  },
  {
    name: 'remove a role (action)',
    handler: revoke.action,
    call: async () => {
      const assignmentId = await freshAssignment();
      return {
        path: `/admin/administration/roll/${assignmentId}/ta-bort`,
        form: { assignmentId },
        params: { assignmentId },
      };
    },
    allowed: { admin: 302 },
  },
];

const roles = ['admin', 'chef', 'kontakt', 'kontakt.skovde', 'idadmin1', 'idadmin2', 'support'];

describe('administration routes by role', () => {
  for (const routeCase of cases) {
    for (const username of roles) {
      const expected = routeCase.allowed[username] ?? 403;
      it(`${routeCase.name}: ${username} gets ${expected}`, async () => {
        const { path, form, params } = await routeCase.call();
        const request = await harness.request(path, { as: username, form });
        const outcome = await callRoute(routeCase.handler, request, harness.context, params);
        expect(outcome.status).toBe(expected);
        if (expected === 403)
          expect(await lastAudit()).toMatchObject({ outcome: 'refused', actorLabel: username });
      });
    }
  }
});

describe('bad input in the administration forms', () => {
  const sv = translator('sv');
  const post = async (
    handler: Handler,
    path: string,
    form: Record<string, string>,
    params?: Record<string, string>,
  ) => callRoute(handler, await harness.request(path, { as: 'admin', form }), harness.context, params);
  const unitCount = async () => (await harness.db.select().from(units)).length;

  it('refuses a bad HSA-id with 400, a Swedish message at the field, nothing stored, audited', async () => {
    const before = await unitCount();
    const outcome = await post(page.action, '/admin/administration', {
      intent: 'create_unit',
      hsaId: 'S000000099999',
      name: 'X',
      parentId: sahlgrenska,
    });
    expect(outcome.status).toBe(400);
    const errors = (outcome.data as { errors: Record<string, string> }).errors;
    expect(sv(errors.hsaId as never)).toBe(
      'Ange ett giltigt HSA-id, till exempel SE2321000131-S000000010199.',
    );
    expect(await unitCount()).toBe(before);
    expect(await lastAudit()).toMatchObject({ action: 'unit_create', outcome: 'refused' });
  });

  it('refuses a taken HSA-id with 409 at the field', async () => {
    const outcome = await post(page.action, '/admin/administration', {
      intent: 'create_unit',
      hsaId: 'SE2321000131-S000000010100',
      name: 'X',
      parentId: sahlgrenska,
    });
    expect(outcome).toMatchObject({
      status: 409,
      data: { errors: { hsaId: 'administration.error.hsaIdTaken' } },
    });
  });

  it('refuses a contact person role without a unit, and a duplicate role', async () => {
    const noUnit = await post(page.action, '/admin/administration', {
      intent: 'grant_role',
      userId: await userIdOf('chef'),
      role: 'contact_person',
      roleUnitId: '',
    });
    expect(noUnit).toMatchObject({
      status: 400,
      data: { errors: { roleUnitId: 'administration.error.unitRequired' } },
    });
    const duplicate = await post(page.action, '/admin/administration', {
      intent: 'grant_role',
      userId: await userIdOf('chef'),
      role: 'manager',
      roleUnitId: sahlgrenska,
    });
    expect(duplicate).toMatchObject({
      status: 409,
      data: { errors: { role: 'administration.error.duplicateRole' } },
    });
    expect(await lastAudit()).toMatchObject({ action: 'staff_role_grant', outcome: 'refused' });
  });

  it('refuses an admin removing their own last system-admin role with 409, audited', async () => {
    const own = first(
      await harness.db
        .select()
        .from(staffRoleAssignments)
        .where(eq(staffRoleAssignments.userId, adminActor.userId))
        .limit(1),
    )!;
    const path = `/admin/administration/roll/${own.id}/ta-bort`;
    const outcome = await post(revoke.action, path, { assignmentId: own.id }, { assignmentId: own.id });
    expect(outcome).toMatchObject({
      status: 409,
      data: { errors: { form: 'administration.error.ownLastSystemAdmin' } },
    });
    expect(
      first(
        await harness.db
          .select()
          .from(staffRoleAssignments)
          .where(eq(staffRoleAssignments.id, own.id))
          .limit(1),
      ),
    ).toBeDefined();
    expect(await lastAudit()).toMatchObject({ action: 'staff_role_revoke', outcome: 'refused' });
  });
});
