import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import { first } from '../../db/engine';
import { approveOrder, placeOrder } from '../../db/orders';
import { auditEvents, authOrders, orders, persons, personUnits, units, users } from '../../db/schema';
import { demoPersons } from '../../db/seed';
import { expandUnitSubtrees } from '../../db/units';
import * as orderList from './admin.bestallningar';
import * as orderPage from './admin.bestallningar_.$orderId';
import * as exportCsv from './admin.bestallningar_.export';
import * as newOrder from './admin.bestallningar_.ny';

let harness: RouteHarness;
let akutPersons: string[];
let nextPerson = 0;

beforeAll(async () => {
  harness = await createRouteHarness();
  const akut = first(
    await harness.db.select().from(units).where(eq(units.name, 'Akutmottagning Sahlgrenska')).limit(1),
  )!;
  akutPersons = (
    await harness.db
      .select({ hsaId: persons.hsaId })
      .from(persons)
      .innerJoin(personUnits, eq(personUnits.personId, persons.id))
      .where(eq(personUnits.unitId, akut.id))
  )
    .map((row) => row.hsaId)
    .filter((hsaId) => hsaId !== demoPersons.carina.hsaId);
});
afterAll(async () => {
  await harness.db.close();
});

const roles = ['chef', 'kontakt', 'kontakt.skovde', 'idadmin1', 'support', 'admin'] as const;
type Username = (typeof roles)[number];

/** A fresh placed order for a person at Akutmottagning Sahlgrenska (a unit below Sahlgrenska). */
async function freshOrder(
  type: 'reserve_card_loa2' | 'reserve_card_loa3' = 'reserve_card_loa2',
): Promise<string> {
  const chef = first(await harness.db.select().from(users).where(eq(users.username, 'chef')).limit(1))!;
  const su = first(
    await harness.db.select().from(units).where(eq(units.name, 'Sahlgrenska Universitetssjukhuset')).limit(1),
  )!;
  const result = await placeOrder(harness.db, {
    actor: { userId: chef.id, label: 'chef' },
    personIdentifier: akutPersons[nextPerson++]!,
    type,
    scope: await expandUnitSubtrees(harness.db, [su.id]),
    now: new Date(),
  });
  if (!result.ok) throw new Error(result.reason);
  return result.orderId;
}

/** A fresh trust-level-3 reserve card order with its first approval, by idadmin2. */
async function firstApprovedByIdadmin2(): Promise<string> {
  const orderId = await freshOrder('reserve_card_loa3');
  const idadmin2 = first(
    await harness.db.select().from(users).where(eq(users.username, 'idadmin2')).limit(1),
  )!;
  const approved = await approveOrder(harness.db, {
    orderId,
    actor: { userId: idadmin2.id, label: 'idadmin2', isIdAdmin: true, placerScope: [] },
    expectedState: 'placed',
    now: new Date(),
  });
  if (!approved.ok) throw new Error(approved.reason);
  return orderId;
}

interface Case {
  name: string;
  expected: Record<Username, number>;
  run(as: Username): Promise<{ status: number }>;
}

const readers = { chef: 200, kontakt: 200, 'kontakt.skovde': 200, idadmin1: 200, support: 200, admin: 403 };

const cases: Case[] = [
  {
    name: 'order list (loader)',
    expected: readers,
    run: async (as) =>
      callRoute(orderList.loader, await harness.request('/admin/bestallningar', { as }), harness.context),
  },
  {
    name: 'CSV export (loader)',
    expected: readers,
    run: async (as) =>
      callRoute(
        exportCsv.loader,
        await harness.request('/admin/bestallningar/export', { as }),
        harness.context,
      ),
  },
  {
    name: 'new order page (loader)',
    expected: { chef: 200, kontakt: 200, 'kontakt.skovde': 200, idadmin1: 403, support: 403, admin: 403 },
    run: async (as) =>
      callRoute(newOrder.loader, await harness.request('/admin/bestallningar/ny', { as }), harness.context),
  },
  {
    name: 'place an order for a person at Sahlgrenska (action)',
    expected: { chef: 302, kontakt: 302, 'kontakt.skovde': 403, idadmin1: 403, support: 403, admin: 403 },
    run: async (as) =>
      callRoute(
        newOrder.action,
        await harness.request('/admin/bestallningar/ny', {
          as,
          form: { person: akutPersons[nextPerson++]!, type: 'mobile' },
        }),
        harness.context,
      ),
  },
  {
    name: 'order page of a Sahlgrenska order (loader)',
    expected: { chef: 200, kontakt: 200, 'kontakt.skovde': 403, idadmin1: 200, support: 200, admin: 403 },
    run: async (as) => {
      const orderId = await freshOrder();
      const request = await harness.request(`/admin/bestallningar/${orderId}`, { as });
      return callRoute(orderPage.loader, request, harness.context, { orderId });
    },
  },
  {
    name: 'approve a Sahlgrenska order (action)',
    expected: { chef: 403, kontakt: 403, 'kontakt.skovde': 403, idadmin1: 302, support: 403, admin: 403 },
    run: async (as) => {
      const orderId = await freshOrder();
      const request = await harness.request(`/admin/bestallningar/${orderId}`, {
        as,
        form: { intent: 'approve', expectedState: 'placed' },
      });
      return callRoute(orderPage.action, request, harness.context, { orderId });
    },
  },
  {
    name: 'start signing the second approval of a Sahlgrenska order (action)',
    expected: { chef: 403, kontakt: 403, 'kontakt.skovde': 403, idadmin1: 200, support: 403, admin: 403 },
    run: async (as) => {
      const orderId = await firstApprovedByIdadmin2();
      const request = await harness.request(`/admin/bestallningar/${orderId}`, {
        as,
        form: { intent: 'sign', method: 'card', expectedState: 'awaiting_second_approval' },
      });
      return callRoute(orderPage.action, request, harness.context, { orderId });
    },
  },
  {
    name: 'cancel a Sahlgrenska order (action)',
    expected: { chef: 302, kontakt: 302, 'kontakt.skovde': 403, idadmin1: 302, support: 403, admin: 403 },
    run: async (as) => {
      const orderId = await freshOrder();
      const request = await harness.request(`/admin/bestallningar/${orderId}`, {
        as,
        form: { intent: 'cancel', expectedState: 'placed' },
      });
      return callRoute(orderPage.action, request, harness.context, { orderId });
    },
  },
];

describe('orders: who may do what', () => {
  for (const route of cases) {
    for (const as of roles) {
      const expected = route.expected[as];
      it(`${as} ${expected < 400 ? 'may use' : 'is refused'} ${route.name} (${expected})`, async () => {
        expect((await route.run(as)).status).toBe(expected);
      });
    }
  }

  it('sends anonymous visitors to the login page', async () => {
    for (const handler of [orderList.loader, exportCsv.loader, newOrder.loader, newOrder.action]) {
      const outcome = await callRoute(
        handler,
        await harness.request('/admin/bestallningar/ny'),
        harness.context,
      );
      expect(outcome.status).toBe(302);
      expect(outcome.location).toMatch(/^\/logga-in\?redirectTo=/);
    }
  });
});

describe('orders: bad input', () => {
  const countOrders = async () => (await harness.db.select().from(orders)).length;

  it('refuses a malformed personnummer next to the field and places nothing', async () => {
    const before = await countOrders();
    const request = await harness.request('/admin/bestallningar/ny', {
      as: 'chef',
      form: { person: '19840312-9822', type: 'mobile' },
    });
    const outcome = await callRoute(newOrder.action, request, harness.context);
    expect(outcome).toMatchObject({
      status: 400,
      data: { errors: { person: 'orders.error.personIdentifier' } },
    });
    expect(await countOrders()).toBe(before);
    const audited = await harness.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'order_place'))
      .orderBy(auditEvents.id);
    expect(audited.at(-1)).toMatchObject({
      actorLabel: 'chef',
      outcome: 'refused',
      detail: { reason: 'invalid_input', fields: ['person'] },
    });
  });

  it('refuses an order for a person outside the units, and audits it', async () => {
    const request = await harness.request('/admin/bestallningar/ny', {
      as: 'kontakt.skovde',
      form: { person: demoPersons.carina.hsaId, type: 'eid_on_card' },
    });
    const outcome = await callRoute(newOrder.action, request, harness.context);
    expect(outcome).toMatchObject({
      status: 403,
      data: { errors: { person: 'orders.error.person_outside_units' } },
    });
    const refused = await harness.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.actorLabel, 'kontakt.skovde'), eq(auditEvents.action, 'order_place')));
    expect(refused.map((event) => event.outcome)).toContain('refused');
  });

  it('refuses a double submit: the second is a duplicate naming the first order', async () => {
    const form = { person: akutPersons[nextPerson++]!, type: 'eid_on_card' };
    const first = await callRoute(
      newOrder.action,
      await harness.request('/admin/bestallningar/ny', { as: 'chef', form }),
      harness.context,
    );
    const second = await callRoute(
      newOrder.action,
      await harness.request('/admin/bestallningar/ny', { as: 'chef', form }),
      harness.context,
    );
    expect(first.status).toBe(302);
    expect(second).toMatchObject({
      status: 409,
      data: {
        errors: { type: 'orders.error.duplicate_open_order' },
        existingOrderId: first.location!.split('/').at(-1),
      },
    });
  });

  it('refuses the first approver giving the second approval, before anything is signed, with the reason for the form', async () => {
    const chef = first(await harness.db.select().from(users).where(eq(users.username, 'chef')).limit(1))!;
    const placed = await placeOrder(harness.db, {
      actor: { userId: chef.id, label: 'chef' },
      personIdentifier: akutPersons[nextPerson++]!,
      type: 'reserve_card_loa3',
      scope: 'all',
      now: new Date(),
    });
    if (!placed.ok) throw new Error(placed.reason);
    const post = async (form: Record<string, string>) =>
      callRoute(
        orderPage.action,
        await harness.request(`/admin/bestallningar/${placed.orderId}`, { as: 'idadmin1', form }),
        harness.context,
        { orderId: placed.orderId },
      );
    expect((await post({ intent: 'approve', expectedState: 'placed' })).status).toBe(302);
    const secondApproval = { expectedState: 'awaiting_second_approval' };
    for (const form of [
      { intent: 'review', ...secondApproval },
      { intent: 'sign', method: 'card', ...secondApproval },
      { intent: 'approve', ...secondApproval },
    ]) {
      expect(await post(form)).toMatchObject({
        status: 403,
        data: { errors: { form: 'orders.error.already_approved' }, signing: null },
      });
    }
    const signingOrders = await harness.db
      .select()
      .from(authOrders)
      .where(eq(authOrders.purpose, 'sign_decision'));
    expect(signingOrders.filter((order) => order.statement?.includes(placed.orderId))).toEqual([]);
    const order = first(
      await harness.db.select().from(orders).where(eq(orders.id, placed.orderId)).limit(1),
    )!;
    expect(order.state).toBe('awaiting_second_approval');
  });

  it('answers 404 for an order that does not exist', async () => {
    const request = await harness.request('/admin/bestallningar/nope', { as: 'idadmin1' });
    expect((await callRoute(orderPage.loader, request, harness.context, { orderId: 'nope' })).status).toBe(
      404,
    );
  });

  it('exports the filtered list as CSV with a byte order mark and Swedish headers', async () => {
    const request = await harness.request('/admin/bestallningar/export?state=placed', { as: 'kontakt' });
    const response = (await exportCsv.loader({ request, context: harness.context, params: {} })) as Response;
    expect(response.headers.get('Content-Type')).toBe('text/csv; charset=utf-8');
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = new TextDecoder().decode(bytes).trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^Beställning;Lagd;Typ;Status;Person;HSA-id;Personnummer;Enhet;/);
    expect(lines.slice(1).every((line) => line.includes(';Lagd;'))).toBe(true);
  });
});
