import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import { recordAudit } from '../../db/audit';
import { first } from '../../db/engine';
import { newId } from '../../db/ids';
import { findPersonByIdentifier } from '../../db/persons';
import { personUnits, staffRoleAssignments, users } from '../../db/schema';
import { demoProtectedPerson } from '../../db/seed';
import * as overview from './admin._index';
import * as administration from './admin.administration';
import * as revokeRole from './admin.administration_.roll.$assignmentId.ta-bort';

// Sara Lund (a protected identity at Akutmottagning Sahlgrenska) has a staff account: a contact person of her
// unit, who once logged in with a break-glass password. admin (system administrator) sees her only with the right.
const sara = demoProtectedPerson;
const saraUsername = 'sara.lund';

let harness: RouteHarness;
let assignmentId: string;

type Handler = Parameters<typeof callRoute>[0];

beforeAll(async () => {
  harness = await createRouteHarness();
  const person = (await findPersonByIdentifier(harness.db, sara.hsaId))!;
  const unit = first(
    await harness.db.select().from(personUnits).where(eq(personUnits.personId, person.id)).limit(1),
  )!;
  const userId = newId();
  await harness.db.insert(users).values({
    id: userId,
    username: saraUsername,
    displayName: `${sara.givenName} ${sara.surname}`,
    personId: person.id,
  });
  assignmentId = newId();
  await harness.db
    .insert(staffRoleAssignments)
    .values({ id: assignmentId, userId, role: 'contact_person', unitId: unit.unitId });
  await recordAudit(harness.db, {
    actorUserId: userId,
    actorLabel: saraUsername,
    action: 'login_break_glass',
    objectType: 'user',
    objectId: userId,
    outcome: 'refused',
    detail: { clientAddress: '192.0.2.7' },
  });
});
afterAll(async () => {
  await harness.db.close();
});

/** Grants or takes back the right; the principal is read again on every request. */
async function setRight(username: string, holds: boolean): Promise<void> {
  const id = first(await harness.db.select().from(users).where(eq(users.username, username)).limit(1))!.id;
  await harness.db
    .delete(staffRoleAssignments)
    .where(
      and(eq(staffRoleAssignments.userId, id), eq(staffRoleAssignments.role, 'protected_identity_viewer')),
    );
  if (holds) {
    await harness.db
      .insert(staffRoleAssignments)
      .values({ id: newId(), userId: id, role: 'protected_identity_viewer', unitId: null });
  }
}

/** Nothing in the answer names Sara: no name, username, HSA-id or personnummer. */
function expectNoTraceOfSara(data: unknown): void {
  const text = JSON.stringify(data);
  for (const trace of [sara.surname, saraUsername, sara.hsaId, sara.personalIdentityNumber.slice(0, 8)])
    expect(text).not.toContain(trace);
}

async function call(handler: Handler, path: string, params = {}) {
  const outcome = await callRoute(
    handler,
    await harness.request(path, { as: 'admin' }),
    harness.context,
    params,
  );
  expect(outcome.status).toBe(200);
  return outcome.data;
}

type Staff = Awaited<ReturnType<typeof administration.loader>>['staff'];
type BreakGlassLogins = NonNullable<Awaited<ReturnType<typeof overview.loader>>['breakGlassLogins']>;

describe('a protected identity among the staff, for a system administrator', () => {
  beforeEach(() => setRight('admin', false));

  it('lists her account and its roles as Skyddad identitet without the right, in full and badged with it', async () => {
    const without = (await call(administration.loader as Handler, '/admin/administration')) as {
      staff: Staff;
    };
    expectNoTraceOfSara(without);
    const hidden = without.staff.find((member) =>
      member.roles.some((role) => role.assignmentId === assignmentId),
    );
    expect(hidden).toMatchObject({
      hidden: true,
      roles: [expect.objectContaining({ role: 'contact_person' })],
    });

    await setRight('admin', true);
    const withRight = (await call(administration.loader as Handler, '/admin/administration')) as {
      staff: Staff;
    };
    expect(
      withRight.staff.find((member) => !member.hidden && member.username === saraUsername),
    ).toMatchObject({
      hidden: false,
      protectedIdentity: true,
      displayName: `${sara.givenName} ${sara.surname}`,
      personHsaId: sara.hsaId,
    });
  });

  it('names her on the page that removes her role only to a holder of the right', async () => {
    const path = `/admin/administration/roll/${assignmentId}/ta-bort`;
    const without = await call(revokeRole.loader as Handler, path, { assignmentId });
    expectNoTraceOfSara(without);
    expect(without).toMatchObject({ assignment: { holder: { hidden: true }, role: 'contact_person' } });

    await setRight('admin', true);
    expect(await call(revokeRole.loader as Handler, path, { assignmentId })).toMatchObject({
      assignment: { holder: { hidden: false, username: saraUsername, protectedIdentity: true } },
    });
  });

  it('shows her break-glass login on the overview as Skyddad identitet without the right, by her username with it', async () => {
    const loginsOf = async () =>
      ((await call(overview.loader as Handler, '/admin')) as { breakGlassLogins: BreakGlassLogins })
        .breakGlassLogins;
    const without = await loginsOf();
    expectNoTraceOfSara(without);
    expect(without).toContainEqual(expect.objectContaining({ accountHidden: true, address: '192.0.2.7' }));

    await setRight('admin', true);
    expect(await loginsOf()).toContainEqual(
      expect.objectContaining({ account: saraUsername, accountHidden: false, address: '192.0.2.7' }),
    );
  });
});
