import { and, eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { type AppDatabase, openMigratedDatabase } from './connection';
import { iterateOrders, listOrders, streamOrdersCsv } from './order-list';
import {
  approveOrder,
  cancelOrder,
  expireStaleOrders,
  findOrderDetail,
  type OrderChangeInput,
  placeOrder,
} from './orders';
import { auditEvents, mobileDevices, orders, units, users } from './schema';
import { demoPersons, seedDemoData } from './seed';
import { expandUnitSubtrees } from './units';

const now = new Date('2026-03-02T09:00:00Z');
let db: AppDatabase;

beforeEach(async () => {
  db = openMigratedDatabase(':memory:');
  await seedDemoData(db, { hashPassword: async (password) => `fake$${password}`, now });
});

const userId = (username: string) => db.select().from(users).where(eq(users.username, username)).get()!.id;
const unitSubtree = (name: string) =>
  expandUnitSubtrees(db, [db.select().from(units).where(eq(units.name, name)).get()!.id]);
const sahlgrenska = () => unitSubtree('Sahlgrenska Universitetssjukhuset');
const actor = (username: string) => ({ userId: userId(username), label: username });

function place(
  type: Parameters<typeof placeOrder>[1]['type'],
  person = demoPersons.carina.hsaId,
  by = 'chef',
) {
  return placeOrder(db, { actor: actor(by), personIdentifier: person, type, scope: sahlgrenska(), now });
}

function change(username: string, orderId: string, expectedState: OrderChangeInput['expectedState']) {
  const isIdAdmin = username.startsWith('idadmin');
  return {
    orderId,
    expectedState,
    now,
    actor: { ...actor(username), isIdAdmin, placerScope: isIdAdmin ? [] : sahlgrenska() },
  } satisfies OrderChangeInput;
}

const refusals = (action: string) =>
  db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, action), eq(auditEvents.outcome, 'refused')))
    .all();

const placedOrder = (result: ReturnType<typeof placeOrder>) => {
  if (!result.ok) throw new Error(`order refused: ${result.reason}`);
  return result.orderId;
};

describe('placing an order', () => {
  it('places an order for a person in the unit, with its first event and an audit event', () => {
    const orderId = placedOrder(place('eid_on_card', demoPersons.carina.personalIdentityNumber));
    const detail = findOrderDetail(db, orderId)!;
    expect(detail).toMatchObject({
      state: 'placed',
      type: 'eid_on_card',
      unitName: 'Akutmottagning Sahlgrenska',
    });
    expect(detail.events).toMatchObject([
      { fromState: null, toState: 'placed', actorName: 'Anna Bergström' },
    ]);
    const audit = db.select().from(auditEvents).where(eq(auditEvents.objectId, orderId)).all();
    expect(audit).toMatchObject([{ action: 'order_place', outcome: 'success', actorLabel: 'chef' }]);
  });

  it('refuses an unknown person and audits the refusal', () => {
    expect(place('mobile', 'SE2321000131-E000000099999')).toEqual({ ok: false, reason: 'person_not_found' });
    expect(refusals('order_place')).toHaveLength(1);
  });

  it('refuses a person outside the units and changes nothing', () => {
    const before = db.select().from(orders).all().length;
    const result = placeOrder(db, {
      actor: actor('kontakt.skovde'),
      personIdentifier: demoPersons.carina.hsaId,
      type: 'eid_on_card',
      scope: unitSubtree('Skaraborgs Sjukhus Skövde'),
      now,
    });
    expect(result).toEqual({ ok: false, reason: 'person_outside_units' });
    expect(db.select().from(orders).all()).toHaveLength(before);
    expect(refusals('order_place')).toMatchObject([{ actorLabel: 'kontakt.skovde' }]);
  });

  it('refuses trust level 3 for a person under 18, but not trust level 2', () => {
    const forElsa = (type: 'reserve_card_loa3' | 'eid_on_card' | 'mobile' | 'reserve_card_loa2') =>
      placeOrder(db, {
        actor: actor('chef'),
        personIdentifier: demoPersons.elsa.hsaId,
        type,
        scope: unitSubtree('Närhälsan'),
        now,
      });
    for (const type of ['reserve_card_loa3', 'eid_on_card', 'mobile'] as const) {
      expect(forElsa(type)).toEqual({ ok: false, reason: 'under_18' });
    }
    expect(forElsa('reserve_card_loa2').ok).toBe(true);
  });

  it('refuses a second open order of the same type and names the first (double submit)', () => {
    const first = placedOrder(place('reserve_card_loa2'));
    expect(place('reserve_card_loa2')).toEqual({
      ok: false,
      reason: 'duplicate_open_order',
      existingOrderId: first,
    });
    expect(place('reserve_card_loa3').ok).toBe(true);
    expect(cancelOrder(db, change('chef', first, 'placed'))).toEqual({ ok: true, to: 'cancelled' });
    expect(place('reserve_card_loa2').ok).toBe(true);
  });

  it('counts active Mobile SITHS devices and open mobile orders against the limit of three', () => {
    const carina = findOrderDetail(db, placedOrder(place('eid_on_card')))!.personId;
    const device = (name: string) => ({
      id: `device-${name}`,
      personId: carina,
      name,
      publicKeySpki: 'test',
      trustLevel: 3,
      validTo: new Date(now.getTime() + 86_400_000),
    });
    db.insert(mobileDevices)
      .values([device('a'), device('b')])
      .run();
    expect(place('mobile')).toEqual({ ok: false, reason: 'too_many_mobiles' });
    db.update(mobileDevices).set({ state: 'revoked' }).where(eq(mobileDevices.id, 'device-a')).run();
    expect(place('mobile').ok).toBe(true);
  });
});

describe('approving an order', () => {
  it('needs two different ID-administrators for a trust-level-3 reserve card', () => {
    const orderId = placedOrder(place('reserve_card_loa3'));
    expect(approveOrder(db, change('idadmin1', orderId, 'placed'))).toEqual({
      ok: true,
      to: 'awaiting_second_approval',
    });
    expect(approveOrder(db, change('idadmin1', orderId, 'awaiting_second_approval'))).toEqual({
      ok: false,
      reason: 'already_approved',
    });
    expect(refusals('order_approve_second')).toMatchObject([{ objectId: orderId, actorLabel: 'idadmin1' }]);
    expect(approveOrder(db, change('idadmin2', orderId, 'awaiting_second_approval'))).toEqual({
      ok: true,
      to: 'ready',
    });
    expect(findOrderDetail(db, orderId)!.events.map((event) => event.toState)).toEqual([
      'placed',
      'awaiting_second_approval',
      'ready',
    ]);
  });

  it('takes other types to ready on one approval', () => {
    const orderId = placedOrder(place('mobile'));
    expect(approveOrder(db, change('idadmin2', orderId, 'placed'))).toEqual({ ok: true, to: 'ready' });
  });

  it('lets exactly one of two simultaneous approvals through; the other is told the order changed', () => {
    const orderId = placedOrder(place('reserve_card_loa3'));
    const results = [
      approveOrder(db, change('idadmin1', orderId, 'placed')),
      approveOrder(db, change('idadmin2', orderId, 'placed')),
    ];
    expect(results).toEqual([
      { ok: true, to: 'awaiting_second_approval' },
      { ok: false, reason: 'stale' },
    ]);
    expect(findOrderDetail(db, orderId)!.state).toBe('awaiting_second_approval');
  });

  it('refuses approval by a manager', () => {
    const orderId = placedOrder(place('mobile'));
    expect(approveOrder(db, change('chef', orderId, 'placed'))).toEqual({
      ok: false,
      reason: 'not_permitted',
    });
  });
});

describe('cancelling and expiring', () => {
  it('refuses cancelling an order outside the placer scope', () => {
    const orderId = placedOrder(place('mobile'));
    const outsider = { ...change('kontakt.skovde', orderId, 'placed') };
    outsider.actor.placerScope = unitSubtree('Skaraborgs Sjukhus Skövde');
    expect(cancelOrder(db, outsider)).toEqual({ ok: false, reason: 'not_permitted' });
    expect(cancelOrder(db, change('idadmin1', orderId, 'placed'))).toEqual({ ok: true, to: 'cancelled' });
  });

  it('expires open orders three months after they were placed, with a system event', () => {
    const orderId = placedOrder(place('eid_on_card'));
    expireStaleOrders(db, new Date('2026-06-01T08:59:00Z'));
    expect(findOrderDetail(db, orderId)!.state).toBe('placed');
    expect(expireStaleOrders(db, new Date('2026-06-02T09:00:01Z'))).toBeGreaterThanOrEqual(1);
    const detail = findOrderDetail(db, orderId)!;
    expect(detail.state).toBe('expired');
    expect(detail.events.at(-1)).toMatchObject({ fromState: 'placed', toState: 'expired', actorName: null });
  });
});

describe('the order list', () => {
  it('lists only the scope, masks personnummer and finds by personnummer, HSA-id and name', () => {
    const orderId = placedOrder(place('eid_on_card'));
    const scope = sahlgrenska();
    const all = listOrders(db, { scope }, 'created_desc', 1, now);
    expect(all.rows[0]).toMatchObject({ id: orderId, personalIdentityNumber: '19840312-****' });
    expect(all.total).toBe(
      db
        .select()
        .from(orders)
        .all()
        .filter((o) => scope.includes(o.unitId)).length,
    );
    for (const search of [
      demoPersons.carina.personalIdentityNumber,
      demoPersons.carina.hsaId,
      'svensson a',
      'Carina Svensson',
    ]) {
      expect(listOrders(db, { scope, search }, 'created_desc', 1, now).rows.map((row) => row.id)).toEqual([
        orderId,
      ]);
    }
    expect(
      listOrders(
        db,
        { scope: unitSubtree('Skaraborgs Sjukhus Skövde'), search: 'Svensson' },
        'created_desc',
        1,
        now,
      ).total,
    ).toBe(0);
  });

  it('filters by state, type, placer and date range and pages', () => {
    placedOrder(place('mobile'));
    const filtered = listOrders(
      db,
      {
        scope: 'all',
        states: ['placed'],
        types: ['mobile'],
        placedByUserId: userId('chef'),
        createdFrom: now,
        createdBefore: new Date(now.getTime() + 1),
      },
      'person_asc',
      7,
      now,
    );
    expect(filtered).toMatchObject({ total: 1, page: 1, pageCount: 1 });
  });

  it('streams the same rows as CSV with a header line', () => {
    const columns = [
      { header: 'Person', value: (row: { personName: string }) => row.personName },
      { header: 'Status; typ', value: (row: { state: string }) => row.state },
    ];
    const csv = [...streamOrdersCsv(db, { scope: sahlgrenska() }, 'created_desc', columns, 2)].join('');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('Person;"Status; typ"');
    expect(lines).toHaveLength([...iterateOrders(db, { scope: sahlgrenska() }, 'created_desc')].length + 1);
  });
});
