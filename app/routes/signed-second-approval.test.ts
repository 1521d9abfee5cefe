import type { AppLoadContext } from '@remix-run/node';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authOrderCookie } from '~/mina-sidor/end-user.server';
import { callRoute } from '~/testing/route-harness';
import { findAuthOrder } from '../../db/auth-orders';
import type { AppDatabase } from '../../db/connection';
import { first } from '../../db/engine';
import { approveOrder, placeOrder } from '../../db/orders';
import { revokeEid } from '../../db/revocations';
import {
  auditEvents,
  authOrders,
  eids,
  orders,
  persons,
  personUnits,
  signedDecisions,
  units,
  users,
} from '../../db/schema';
import { demoPersons } from '../../db/seed';
import {
  type MobileSithsFixture,
  mobileSithsFixture,
  phoneSignsStatement,
  type TestEndUser,
  TestPhone,
} from '../../server/mobile-siths/testing';
import * as orderPage from './admin.bestallningar_.$orderId';

type Handler = Parameters<typeof callRoute>[0];

let fixture: MobileSithsFixture;
let db: AppDatabase;
let context: AppLoadContext;
/** Lars Eriksson: gives every first approval here. */
let firstApprover: TestEndUser;
let firstApproverPhone: TestPhone;
/** Fatima Hassan: gives the second approvals. */
let secondApprover: TestEndUser;
let secondApproverPhone: TestPhone;
let olofPhone: TestPhone;
let akutPersons: Array<{ hsaId: string; name: string }>;
let nextPerson = 0;

beforeAll(async () => {
  fixture = await mobileSithsFixture();
  ({ db, context } = fixture);
  firstApprover = await fixture.cardLogin('idadmin1');
  firstApproverPhone = new TestPhone('iPhone 15');
  await fixture.enrol(firstApprover, firstApproverPhone);
  secondApprover = await fixture.cardLogin('idadmin2');
  secondApproverPhone = new TestPhone('Pixel 8');
  await fixture.enrol(secondApprover, secondApproverPhone);
  olofPhone = new TestPhone('Samsung Galaxy S23');
  await fixture.enrol(fixture.olof, olofPhone);
  const akut = first(
    await db.select().from(units).where(eq(units.name, 'Akutmottagning Sahlgrenska')).limit(1),
  )!;
  akutPersons = (
    await db
      .select({ hsaId: persons.hsaId, givenName: persons.givenName, surname: persons.surname })
      .from(persons)
      .innerJoin(personUnits, eq(personUnits.personId, persons.id))
      .where(eq(personUnits.unitId, akut.id))
  )
    .filter((person) => person.hsaId !== demoPersons.carina.hsaId)
    .map((person) => ({ hsaId: person.hsaId, name: `${person.givenName} ${person.surname}` }));
});
afterAll(async () => {
  await db.close();
});

/** A trust-level-3 reserve card order at Akutmottagning Sahlgrenska, placed by chef and first approved by idadmin1. */
async function awaitingSecondApproval(note?: string) {
  const chef = first(await db.select().from(users).where(eq(users.username, 'chef')).limit(1))!;
  const person = akutPersons[nextPerson++]!;
  const placed = await placeOrder(db, {
    actor: { userId: chef.id, label: 'chef' },
    personIdentifier: person.hsaId,
    type: 'reserve_card_loa3',
    scope: 'all',
    now: new Date(),
  });
  if (!placed.ok) throw new Error(placed.reason);
  const approved = await approveOrder(db, {
    orderId: placed.orderId,
    actor: { userId: firstApprover.userId, label: 'idadmin1', isIdAdmin: true, placerScope: [] },
    expectedState: 'placed',
    now: new Date(),
    ...(note && { note }),
  });
  if (!approved.ok) throw new Error(approved.reason);
  return { orderId: placed.orderId, person };
}

function post(orderId: string, cookie: string, form: Record<string, string>) {
  return new Request(`http://localhost/admin/bestallningar/${orderId}`, {
    method: 'POST',
    headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
}

const secondApprovalForm = { expectedState: 'awaiting_second_approval' };

const act = (orderId: string, form: Record<string, string>, as: TestEndUser = secondApprover) =>
  callRoute(
    orderPage.action as Handler,
    post(orderId, as.cookie, { ...secondApprovalForm, ...form }),
    context,
    {
      orderId,
    },
  );

async function startSigning(orderId: string, as: TestEndUser = secondApprover) {
  const outcome = await act(orderId, { intent: 'sign', method: 'mobile_siths' }, as);
  expect(outcome.status).toBe(200);
  return (outcome.data as { signing: { orderId: string; statement: string } }).signing;
}

const confirm = (orderId: string, signingOrderId: string, as: TestEndUser = secondApprover) =>
  act(orderId, { intent: 'confirm', orderId: signingOrderId }, as);

const phoneSigns = (orderId: string, phone: TestPhone, signer: { personId: string }, text?: string) =>
  phoneSignsStatement(db, { orderId, phone, signerPersonId: signer.personId, ...(text ? { text } : {}) });

const orderState = async (orderId: string) =>
  first(await db.select().from(orders).where(eq(orders.id, orderId)).limit(1))!.state;

const signedDecisionsAbout = async (orderId: string) =>
  await db.select().from(signedDecisions).where(eq(signedDecisions.objectId, orderId));

const refusedSignings = async (orderId: string) =>
  await db
    .select()
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.action, 'decision_sign'),
        eq(auditEvents.outcome, 'refused'),
        eq(auditEvents.objectId, orderId),
      ),
    );

const hsaIdOf = async (user: TestEndUser) =>
  first(await db.select().from(persons).where(eq(persons.id, user.personId)).limit(1))!.hsaId;

describe('the second approval of a trust-level-3 reserve card, signed', () => {
  it('approves only with a valid signature of the statement, kept with a decision_signed audit event and shown on the order', async () => {
    const { orderId, person } = await awaitingSecondApproval();
    const reviewed = await act(orderId, { intent: 'review', note: 'Kontrollerad' });
    expect(reviewed).toMatchObject({
      status: 200,
      data: { errors: null, review: { note: 'Kontrollerad' }, signing: null },
    });

    const signing = await startSigning(orderId);
    const signerHsaId = await hsaIdOf(secondApprover);
    expect(signing.statement).toMatch(
      new RegExp(
        `^Jag, Fatima Hassan ${signerHsaId}, godkänner som andra ID-administratör beställning ${orderId} ` +
          `\\(Reservkort tillitsnivå 3\\) åt ${person.name} ${person.hsaId} vid Akutmottagning Sahlgrenska ` +
          `den \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\.\\nReferens: ${signing.orderId}$`,
      ),
    );

    await phoneSigns(signing.orderId, secondApproverPhone, secondApprover);
    const done = await act(orderId, { intent: 'confirm', orderId: signing.orderId, note: 'Kontrollerad' });
    expect(done).toMatchObject({ status: 302, location: `/admin/bestallningar/${orderId}?klart=approve` });
    expect(await orderState(orderId)).toBe('ready');

    const [decision, ...others] = await signedDecisionsAbout(orderId);
    expect(others).toEqual([]);
    expect(decision).toMatchObject({
      kind: 'order_second_approval',
      objectType: 'order',
      method: 'mobile_siths',
      credential: secondApproverPhone.deviceId,
      signerUserId: secondApprover.userId,
      authOrderId: signing.orderId,
      statement: signing.statement,
    });
    const order = first(await db.select().from(orders).where(eq(orders.id, orderId)).limit(1))!;
    const audit = first(
      await db.select().from(auditEvents).where(eq(auditEvents.id, decision!.auditEventId!)).limit(1),
    )!;
    expect(audit).toMatchObject({
      action: 'decision_signed',
      objectType: 'order',
      objectId: orderId,
      unitId: order.unitId,
      actorUserId: secondApprover.userId,
    });
    expect(audit.detail).toMatchObject({ statement: signing.statement, signature: decision!.signature });
    const approvals = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'order_approve_second'), eq(auditEvents.objectId, orderId)));
    expect(approvals).toMatchObject([{ outcome: 'success', actorUserId: secondApprover.userId }]);

    const page = await callRoute(
      orderPage.loader as Handler,
      new Request(`http://localhost/admin/bestallningar/${orderId}`, {
        headers: { Cookie: firstApprover.cookie },
      }),
      context,
      { orderId },
    );
    expect(page.data).toMatchObject({
      signedDecisions: [{ id: decision!.id, signerName: 'Fatima Hassan', method: 'mobile_siths' }],
      order: { events: [{}, {}, { toState: 'ready', note: 'Kontrollerad' }] },
    });
    expect(JSON.stringify(page.data)).not.toContain(decision!.signature);

    const again = await confirm(orderId, signing.orderId);
    expect(again).toMatchObject({ status: 409, data: { errors: { form: 'decision.error.already_used' } } });
  });

  it('starts a signing with the card on this computer: the SITHS eID-app gets the statement, the browser the auth-order cookie', async () => {
    const { orderId } = await awaitingSecondApproval();
    const response = (await orderPage.action({
      request: post(orderId, secondApprover.cookie, {
        ...secondApprovalForm,
        intent: 'sign',
        method: 'card',
      }),
      context,
      params: { orderId },
    })) as Response;
    expect(response.status).toBe(200);
    expect(response.headers.get('Set-Cookie')).toContain(`${authOrderCookie.name}=`);
    const { signing } = (await response.json()) as {
      signing: { method: string; orderId: string; autoStartToken: string; statement: string };
    };
    expect(signing).toMatchObject({ method: 'card', autoStartToken: expect.any(String) });
    expect((await findAuthOrder(db, signing.orderId))!).toMatchObject({
      purpose: 'sign_decision',
      method: 'card',
      expectedPersonId: secondApprover.personId,
      statement: signing.statement,
    });
    expect(signing.statement).toContain(`beställning ${orderId} (Reservkort tillitsnivå 3)`);
  });

  it('refuses a second approval that is not signed: without a signing, and before the phone has signed', async () => {
    const { orderId } = await awaitingSecondApproval();
    expect(await act(orderId, { intent: 'approve' })).toMatchObject({
      status: 403,
      data: { errors: { form: 'orders.error.signature_required' } },
    });
    expect(await act(orderId, { intent: 'confirm' })).toMatchObject({
      status: 400,
      data: { errors: { form: 'form.error.invalid' } },
    });
    const signing = await startSigning(orderId);
    expect(await confirm(orderId, signing.orderId)).toMatchObject({
      status: 409,
      data: { errors: { form: 'decision.error.not_signed' } },
    });
    expect(await orderState(orderId)).toBe('awaiting_second_approval');
    expect(await signedDecisionsAbout(orderId)).toEqual([]);
    expect((await refusedSignings(orderId)).map((event) => event.detail)).toMatchObject([
      { reason: 'not_signed', kind: 'order_second_approval', authOrderId: signing.orderId },
    ]);
  });

  it("refuses order A's signature on order B, and A's signature still approves A", async () => {
    const a = await awaitingSecondApproval();
    const b = await awaitingSecondApproval();
    const signing = await startSigning(a.orderId);
    await phoneSigns(signing.orderId, secondApproverPhone, secondApprover);
    expect(await confirm(b.orderId, signing.orderId)).toMatchObject({
      status: 409,
      data: { errors: { form: 'decision.error.other_decision' } },
    });
    expect(await orderState(b.orderId)).toBe('awaiting_second_approval');
    expect(await signedDecisionsAbout(b.orderId)).toEqual([]);
    expect(await refusedSignings(b.orderId)).toMatchObject([{ detail: { reason: 'other_decision' } }]);

    expect((await confirm(a.orderId, signing.orderId)).status).toBe(302);
    expect(await orderState(a.orderId)).toBe('ready');
  });

  it("refuses a statement altered between page and phone, a foreign key, and another person's certificate, with 403", async () => {
    const { orderId } = await awaitingSecondApproval();

    const altered = await startSigning(orderId);
    await phoneSigns(
      altered.orderId,
      secondApproverPhone,
      secondApprover,
      altered.statement.replace('godkänner', 'godkänner inte'),
    );
    expect(await confirm(orderId, altered.orderId)).toMatchObject({
      status: 403,
      data: { errors: { form: 'decision.error.signature_invalid' } },
    });

    const foreign = await startSigning(orderId);
    const stranger = new TestPhone();
    stranger.deviceId = secondApproverPhone.deviceId;
    await phoneSigns(foreign.orderId, stranger, secondApprover);
    expect((await confirm(orderId, foreign.orderId)).status).toBe(403);

    const otherPerson = await startSigning(orderId);
    await phoneSigns(otherPerson.orderId, olofPhone, secondApprover);
    expect(await confirm(orderId, otherPerson.orderId)).toMatchObject({
      status: 403,
      data: { errors: { form: 'decision.error.signature_invalid' } },
    });

    expect(await orderState(orderId)).toBe('awaiting_second_approval');
    expect(await signedDecisionsAbout(orderId)).toEqual([]);
    expect((await refusedSignings(orderId)).map((event) => event.detail?.reason)).toEqual([
      'signature_invalid',
      'signature_invalid',
      'signature_invalid',
    ]);
  });

  it("refuses the signature once the signer's eID is revoked", async () => {
    const { orderId } = await awaitingSecondApproval();
    const phone = new TestPhone('Pixel 7a');
    await fixture.enrol(secondApprover, phone);
    const signing = await startSigning(orderId);
    await phoneSigns(signing.orderId, phone, secondApprover);
    const phoneEid = first(
      await db.select().from(eids).where(eq(eids.mobileDeviceId, phone.deviceId)).limit(1),
    )!;
    await revokeEid(db, {
      eidId: phoneEid.id,
      reason: 'lost',
      actor: { userId: firstApprover.userId, label: 'idadmin1' },
    });
    expect(await confirm(orderId, signing.orderId)).toMatchObject({
      status: 403,
      data: { errors: { form: 'decision.error.signature_invalid' } },
    });
    expect(await orderState(orderId)).toBe('awaiting_second_approval');
  });

  it('refuses the ID-administrator who gave the first approval, before a signing starts', async () => {
    const { orderId } = await awaitingSecondApproval();
    for (const intent of ['review', 'sign']) {
      expect(await act(orderId, { intent, method: 'mobile_siths' }, firstApprover)).toMatchObject({
        status: 403,
        data: { errors: { form: 'orders.error.already_approved' }, signing: null },
      });
    }
    const signingOrders = await db
      .select()
      .from(authOrders)
      .where(
        and(eq(authOrders.purpose, 'sign_decision'), eq(authOrders.expectedPersonId, firstApprover.personId)),
      );
    expect(signingOrders.filter((order) => order.statement?.includes(orderId))).toEqual([]);
    const refusals = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'order_approve_second'), eq(auditEvents.objectId, orderId)));
    expect(refusals.map((event) => [event.outcome, event.detail?.reason])).toEqual([
      ['refused', 'already_approved'],
      ['refused', 'already_approved'],
    ]);
    expect(await orderState(orderId)).toBe('awaiting_second_approval');
  });

  it("refuses another session's signing order with 404", async () => {
    const { orderId } = await awaitingSecondApproval();
    const signing = await startSigning(orderId);
    await phoneSigns(signing.orderId, secondApproverPhone, secondApprover);
    const otherSession = await fixture.cardLogin('idadmin2');
    expect(await confirm(orderId, signing.orderId, otherSession)).toMatchObject({
      status: 404,
      data: { errors: { form: 'decision.error.not_found' } },
    });
    expect(await orderState(orderId)).toBe('awaiting_second_approval');
    expect((await confirm(orderId, signing.orderId)).status).toBe(302);
  });
});
