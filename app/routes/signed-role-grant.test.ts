import type { AppLoadContext } from '@remix-run/node';
import { and, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { translator } from '~/i18n/catalogue';
import { callRoute } from '~/testing/route-harness';
import type { AppDatabase } from '../../db/connection';
import { first } from '../../db/engine';
import { newId } from '../../db/ids';
import { revokeEid } from '../../db/revocations';
import { auditEvents, eids, persons, signedDecisions, staffRoleAssignments, users } from '../../db/schema';
import {
  type MobileSithsFixture,
  mobileSithsFixture,
  phoneSignsStatement,
  type TestEndUser,
  TestPhone,
} from '../../server/mobile-siths/testing';
import * as administration from './admin.administration';

type Handler = Parameters<typeof callRoute>[0];
const path = '/admin/administration';
const sv = translator('sv');

let fixture: MobileSithsFixture;
let db: AppDatabase;
let context: AppLoadContext;
/** idadmin1 (Lars Eriksson), made a system administrator in this test database: a granter with a person. */
let granter: TestEndUser;
let granterPhone: TestPhone;
let olofPhone: TestPhone;

beforeAll(async () => {
  fixture = await mobileSithsFixture();
  ({ db, context } = fixture);
  granter = await fixture.cardLogin('idadmin1');
  await db
    .insert(staffRoleAssignments)
    .values({ id: newId(), userId: granter.userId, role: 'system_admin', unitId: null });
  granterPhone = new TestPhone('iPhone 15');
  await fixture.enrol(granter, granterPhone);
  olofPhone = new TestPhone('Samsung Galaxy S23');
  await fixture.enrol(fixture.olof, olofPhone);
});
afterAll(async () => {
  await db.close();
});

const userIdOf = async (username: string) =>
  first(await db.select().from(users).where(eq(users.username, username)).limit(1))!.id;

async function personOf(username: string) {
  const user = first(await db.select().from(users).where(eq(users.username, username)).limit(1))!;
  return first(await db.select().from(persons).where(eq(persons.id, user.personId!)).limit(1))!;
}

const idAdminRole = async (userId: string) =>
  first(
    await db
      .select()
      .from(staffRoleAssignments)
      .where(and(eq(staffRoleAssignments.userId, userId), eq(staffRoleAssignments.role, 'id_admin')))
      .limit(1),
  );

function post(cookie: string, form: Record<string, string>) {
  return new Request(`http://localhost${path}`, {
    method: 'POST',
    headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
}

const grantForm = (userId: string) => ({ userId, role: 'id_admin', roleUnitId: '' });

const act = (form: Record<string, string>, cookie = granter.cookie) =>
  callRoute(administration.action as Handler, post(cookie, form), context);

async function startSigning(granteeUserId: string, cookie = granter.cookie) {
  const outcome = await act({ ...grantForm(granteeUserId), intent: 'sign', method: 'mobile_siths' }, cookie);
  expect(outcome.status).toBe(200);
  return (outcome.data as { signing: { orderId: string; statement: string } }).signing;
}

const confirm = (granteeUserId: string, orderId: string) =>
  act({ ...grantForm(granteeUserId), intent: 'confirm', orderId });

const phoneSigns = (orderId: string, phone: TestPhone, text?: string) =>
  phoneSignsStatement(db, { orderId, phone, signerPersonId: granter.personId, ...(text ? { text } : {}) });

const lastAudit = async () =>
  first(await db.select().from(auditEvents).orderBy(desc(auditEvents.id)).limit(1))!;

describe('granting the ID-administrator role, signed by the granting system administrator', () => {
  it('shows the grant for signing, grants only with a valid signature of its statement, and keeps the signed decision with the new assignment', async () => {
    const chef = await userIdOf('chef');
    const chefPerson = await personOf('chef');
    const review = await act({ ...grantForm(chef), intent: 'grant_role' });
    expect(review).toMatchObject({
      status: 200,
      data: {
        review: { userId: chef, role: 'id_admin', grantee: { hsaId: chefPerson.hsaId }, unitName: null },
        signing: null,
      },
    });
    expect(await idAdminRole(chef)).toBeUndefined();

    const signing = await startSigning(chef);
    const granterHsaId = (await personOf('idadmin1')).hsaId;
    expect(signing.statement).toMatch(
      new RegExp(
        `^Jag, Lars Eriksson ${granterHsaId}, ger ${chefPerson.givenName} ${chefPerson.surname} ${chefPerson.hsaId} rollen ID-administratör för hela regionen den \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\.\\nReferens: ${signing.orderId}$`,
      ),
    );
    expect(await confirm(chef, signing.orderId)).toMatchObject({
      status: 409,
      data: { errors: { signature: 'decision.error.not_signed' }, review: { userId: chef } },
    });
    expect(await idAdminRole(chef)).toBeUndefined();

    await phoneSigns(signing.orderId, granterPhone);
    expect(await confirm(chef, signing.orderId)).toMatchObject({
      status: 302,
      location: '/admin/administration?klart=roll',
    });
    const assignment = (await idAdminRole(chef))!;
    expect(assignment).toBeDefined();

    const decision = first(
      await db.select().from(signedDecisions).where(eq(signedDecisions.objectId, assignment.id)).limit(1),
    )!;
    expect(decision).toMatchObject({
      kind: 'role_grant',
      objectType: 'staff_role_assignment',
      method: 'mobile_siths',
      statement: signing.statement,
      signerUserId: granter.userId,
      signerPersonId: granter.personId,
    });
    const signedAudit = first(
      await db.select().from(auditEvents).where(eq(auditEvents.id, decision.auditEventId!)).limit(1),
    )!;
    expect(signedAudit).toMatchObject({ action: 'decision_signed', objectId: assignment.id });
    expect(signedAudit.detail).toMatchObject({ statement: signing.statement, signature: decision.signature });
    expect(await lastAudit()).toMatchObject({
      action: 'staff_role_grant',
      outcome: 'success',
      objectId: assignment.id,
      detail: { role: 'id_admin', signingOrderId: signing.orderId },
    });

    const page = await callRoute(
      administration.loader as Handler,
      new Request(`http://localhost${path}`, { headers: { Cookie: granter.cookie } }),
      context,
    );
    const staff = (page.data as { staff: Array<{ userId: string; roles: Array<Record<string, unknown>> }> })
      .staff;
    const chefRoles = staff.find((member) => member.userId === chef)!.roles;
    expect(chefRoles.find((role) => role.assignmentId === assignment.id)).toMatchObject({
      signedGrant: { signedDecisionId: decision.id, signerName: 'Lars Eriksson', method: 'mobile_siths' },
    });
    expect(chefRoles.find((role) => role.role === 'manager')).toMatchObject({ signedGrant: null });

    const again = await confirm(chef, signing.orderId);
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.status).toBeLessThan(500);
  });

  it('refuses to grant without a signing order, and grants other roles at once as before', async () => {
    const kontakt = await userIdOf('kontakt');
    expect((await act({ ...grantForm(kontakt), intent: 'confirm' })).status).toBe(400);
    expect(await idAdminRole(kontakt)).toBeUndefined();
    expect(
      await act({ userId: kontakt, role: 'support', roleUnitId: '', intent: 'grant_role' }),
    ).toMatchObject({
      status: 302,
      location: '/admin/administration?klart=roll',
    });
  });

  it('refuses a signature of another grant (signed for one grantee, confirmed for another) with 409, audited', async () => {
    const [kontakt, skovde] = [await userIdOf('kontakt'), await userIdOf('kontakt.skovde')];
    const signing = await startSigning(kontakt);
    await phoneSigns(signing.orderId, granterPhone);
    expect(await confirm(skovde, signing.orderId)).toMatchObject({
      status: 409,
      data: { errors: { signature: 'decision.error.other_decision' } },
    });
    expect(await lastAudit()).toMatchObject({
      action: 'decision_sign',
      outcome: 'refused',
      objectType: 'user',
      objectId: skovde,
      detail: { reason: 'other_decision', kind: 'role_grant' },
    });
    expect(await idAdminRole(skovde)).toBeUndefined();
    expect(await idAdminRole(kontakt)).toBeUndefined();
  });

  it("refuses an altered statement, a foreign key and another person's certificate with 403", async () => {
    const kontakt = await userIdOf('kontakt');
    const altered = await startSigning(kontakt);
    await phoneSigns(altered.orderId, granterPhone, altered.statement.replace('ger', 'ger inte'));
    expect(await confirm(kontakt, altered.orderId)).toMatchObject({
      status: 403,
      data: { errors: { signature: 'decision.error.signature_invalid' } },
    });

    const foreign = await startSigning(kontakt);
    const stranger = new TestPhone();
    stranger.deviceId = granterPhone.deviceId;
    await phoneSigns(foreign.orderId, stranger);
    expect((await confirm(kontakt, foreign.orderId)).status).toBe(403);

    const otherPerson = await startSigning(kontakt);
    await phoneSigns(otherPerson.orderId, olofPhone);
    expect((await confirm(kontakt, otherPerson.orderId)).status).toBe(403);
    expect(await lastAudit()).toMatchObject({
      action: 'decision_sign',
      outcome: 'refused',
      detail: { reason: 'signature_invalid' },
    });
    expect(await idAdminRole(kontakt)).toBeUndefined();
  });

  it('refuses an account without a person as granter (403) and as grantee (409), in Swedish, audited', async () => {
    const admin = await userIdOf('admin');
    const adminCookie = (
      await context.sessions.create({ userId: admin, loginMethod: 'password' })
    ).cookie.split(';')[0]!;
    const page = await callRoute(
      administration.loader as Handler,
      new Request(`http://localhost${path}`, { headers: { Cookie: adminCookie } }),
      context,
    );
    expect(page.data).toMatchObject({ canSign: false });
    const support = await userIdOf('support');
    for (const intent of ['grant_role', 'sign']) {
      const outcome = await act({ ...grantForm(support), intent, method: 'mobile_siths' }, adminCookie);
      expect(outcome).toMatchObject({
        status: 403,
        data: { errors: { role: 'administration.error.signerWithoutPerson' } },
      });
      expect(await lastAudit()).toMatchObject({
        action: 'staff_role_grant',
        outcome: 'refused',
        actorLabel: 'admin',
        detail: { reason: 'signer_without_person', role: 'id_admin' },
      });
    }
    expect(sv('administration.error.signerWithoutPerson')).toMatch(/ingen person och inget SITHS eID/);
    expect(await idAdminRole(support)).toBeUndefined();

    const toAdmin = await act({ ...grantForm(admin), intent: 'sign', method: 'mobile_siths' });
    expect(toAdmin).toMatchObject({
      status: 409,
      data: { errors: { userId: 'administration.error.granteeWithoutPerson' } },
    });
    expect(await lastAudit()).toMatchObject({ detail: { reason: 'grantee_without_person' } });
  });

  it("refuses the signature once the granter's eID is revoked", async () => {
    const kontakt = await userIdOf('kontakt');
    const signing = await startSigning(kontakt);
    await phoneSigns(signing.orderId, granterPhone);
    const phoneEid = first(
      await db.select().from(eids).where(eq(eids.mobileDeviceId, granterPhone.deviceId)).limit(1),
    )!;
    await revokeEid(db, {
      eidId: phoneEid.id,
      reason: 'lost',
      actor: { userId: granter.userId, label: 'idadmin1' },
    });
    expect(await confirm(kontakt, signing.orderId)).toMatchObject({
      status: 403,
      data: { errors: { signature: 'decision.error.signature_invalid' } },
    });
    expect(await idAdminRole(kontakt)).toBeUndefined();
  });
});
