import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../test-support/test-database';
import { collectAuthOrder, completeAuthOrder, createAuthOrder, findAuthOrder } from './auth-orders';
import type { AppDatabase } from './connection';
import { first } from './engine';
import {
  iterateOrders,
  listOrderPage,
  type OrderCursor,
  type OrderListRow,
  orderCountLimit,
  orderPageSize,
  orderSorts,
  streamOrdersCsv,
} from './order-list';
import {
  approveOrder,
  cancelOrder,
  checkApproval,
  expireStaleOrders,
  findOrderDetail,
  type OrderChangeInput,
  placeOrder,
} from './orders';
import { auditEvents, mobileDevices, orders, persons, signedDecisions, units, users } from './schema';
import { demoPersons, seedDemoData } from './seed';
import type { DecisionSignature } from './signed-decisions';
import { expandUnitSubtrees } from './units';

const now = new Date('2026-03-02T09:00:00Z');
let db: AppDatabase;

beforeEach(async () => {
  db = await openTestDatabase();
  await seedDemoData(db, { hashPassword: async (password) => `fake$${password}`, now });
});

afterEach(async () => {
  await db.close();
});

const userId = async (username: string) =>
  first(await db.select().from(users).where(eq(users.username, username)).limit(1))!.id;
const unitSubtree = async (name: string) =>
  expandUnitSubtrees(db, [first(await db.select().from(units).where(eq(units.name, name)).limit(1))!.id]);
const sahlgrenska = async () => await unitSubtree('Sahlgrenska Universitetssjukhuset');
const actor = async (username: string) => ({ userId: await userId(username), label: username });

async function place(
  type: Parameters<typeof placeOrder>[1]['type'],
  person = demoPersons.carina.hsaId,
  by = 'chef',
) {
  return await placeOrder(db, {
    actor: await actor(by),
    personIdentifier: person,
    type,
    scope: await sahlgrenska(),
    now,
  });
}

async function change(username: string, orderId: string, expectedState: OrderChangeInput['expectedState']) {
  const isIdAdmin = username.startsWith('idadmin');
  return {
    orderId,
    expectedState,
    now,
    actor: { ...(await actor(username)), isIdAdmin, placerScope: isIdAdmin ? [] : await sahlgrenska() },
  } satisfies OrderChangeInput;
}

const refusals = async (action: string) =>
  await db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, action), eq(auditEvents.outcome, 'refused')));

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const collected: T[] = [];
  for await (const item of items) collected.push(item);
  return collected;
}

const placedOrder = (result: Awaited<ReturnType<typeof placeOrder>>) => {
  if (!result.ok) throw new Error(`order refused: ${result.reason}`);
  return result.orderId;
};

/**
 * A second approval's signature as the order page hands it over once it has checked it: the database
 * records and spends it, and leaves the cryptography to the page (app/routes/signed-second-approval.test.ts).
 */
async function signatureOf(username: string, orderId: string): Promise<DecisionSignature> {
  const user = first(await db.select().from(users).where(eq(users.username, username)).limit(1))!;
  const signing = await createAuthOrder(
    db,
    {
      purpose: 'sign_decision',
      method: 'card',
      expectedPersonId: user.personId,
      ttlMs: 60_000,
      statementFor: (signingOrderId) => `Jag godkänner beställning ${orderId}.\nReferens: ${signingOrderId}`,
    },
    now,
  );
  const signature = { signature: 'c2lnbmF0dXI=', certificate: 'Y2VydGlmaWthdA==' };
  await completeAuthOrder(
    db,
    signing.orderId,
    { personId: user.personId!, cardSerial: '9752269990000000001', statementSignature: signature },
    now,
  );
  return {
    kind: 'order_second_approval',
    objectType: 'order',
    objectId: orderId,
    statement: (await findAuthOrder(db, signing.orderId))!.statement!,
    signature: signature.signature,
    certificateDer: signature.certificate,
    signerUserId: user.id,
    signerLabel: username,
    signerPersonId: user.personId!,
    method: 'card',
    credential: '9752269990000000001',
    authOrderId: signing.orderId,
    signedAt: now,
  };
}

const signedDecisionsAbout = async (orderId: string) =>
  await db.select().from(signedDecisions).where(eq(signedDecisions.objectId, orderId));

/** A trust-level-3 reserve card order with its first approval by idadmin1. */
async function awaitingSecondApproval(person = demoPersons.carina.hsaId): Promise<string> {
  const orderId = placedOrder(await place('reserve_card_loa3', person));
  expect((await approveOrder(db, await change('idadmin1', orderId, 'placed'))).ok).toBe(true);
  return orderId;
}

describe('placing an order', () => {
  it('places an order for a person in the unit, with its first event and an audit event', async () => {
    const orderId = placedOrder(await place('eid_on_card', demoPersons.carina.personalIdentityNumber));
    const detail = (await findOrderDetail(db, orderId))!;
    expect(detail).toMatchObject({
      state: 'placed',
      type: 'eid_on_card',
      person: { unitName: 'Akutmottagning Sahlgrenska' },
    });
    expect(detail.events).toMatchObject([
      { fromState: null, toState: 'placed', actorName: 'Anna Bergström' },
    ]);
    const audit = await db.select().from(auditEvents).where(eq(auditEvents.objectId, orderId));
    expect(audit).toMatchObject([{ action: 'order_place', outcome: 'success', actorLabel: 'chef' }]);
  });

  it('refuses an unknown person and audits the refusal', async () => {
    expect(await place('mobile', 'SE2321000131-E000000099999')).toEqual({
      ok: false,
      reason: 'person_not_found',
    });
    expect(await refusals('order_place')).toHaveLength(1);
  });

  it('refuses a person outside the units and changes nothing', async () => {
    const before = (await db.select().from(orders)).length;
    const result = await placeOrder(db, {
      actor: await actor('kontakt.skovde'),
      personIdentifier: demoPersons.carina.hsaId,
      type: 'eid_on_card',
      scope: await unitSubtree('Skaraborgs Sjukhus Skövde'),
      now,
    });
    expect(result).toEqual({ ok: false, reason: 'person_outside_units' });
    expect(await db.select().from(orders)).toHaveLength(before);
    expect(await refusals('order_place')).toMatchObject([{ actorLabel: 'kontakt.skovde' }]);
  });

  it('refuses trust level 3 for a person under 18, but not trust level 2', async () => {
    const forElsa = async (type: 'reserve_card_loa3' | 'eid_on_card' | 'mobile' | 'reserve_card_loa2') =>
      await placeOrder(db, {
        actor: await actor('chef'),
        personIdentifier: demoPersons.elsa.hsaId,
        type,
        scope: await unitSubtree('Närhälsan'),
        now,
      });
    for (const type of ['reserve_card_loa3', 'eid_on_card', 'mobile'] as const) {
      expect(await forElsa(type)).toEqual({ ok: false, reason: 'under_18' });
    }
    expect((await forElsa('reserve_card_loa2')).ok).toBe(true);
  });

  it('refuses a second open order of the same type and names the first (double submit)', async () => {
    const first = placedOrder(await place('reserve_card_loa2'));
    expect(await place('reserve_card_loa2')).toEqual({
      ok: false,
      reason: 'duplicate_open_order',
      existingOrderId: first,
    });
    expect((await place('reserve_card_loa3')).ok).toBe(true);
    expect(await cancelOrder(db, await change('chef', first, 'placed'))).toEqual({
      ok: true,
      to: 'cancelled',
    });
    expect((await place('reserve_card_loa2')).ok).toBe(true);
  });

  it('counts active Mobile SITHS devices and open mobile orders against the limit of three', async () => {
    const carina = (await findOrderDetail(db, placedOrder(await place('eid_on_card'))))!.personId;
    const device = (name: string) => ({
      id: `device-${name}`,
      personId: carina,
      name,
      publicKeySpki: 'test',
      trustLevel: 3,
      validTo: new Date(now.getTime() + 86_400_000),
    });
    await db.insert(mobileDevices).values([device('a'), device('b')]);
    expect(await place('mobile')).toEqual({ ok: false, reason: 'too_many_mobiles' });
    await db.update(mobileDevices).set({ state: 'revoked' }).where(eq(mobileDevices.id, 'device-a'));
    expect((await place('mobile')).ok).toBe(true);
  });
});

describe('approving an order', () => {
  it('needs two different ID-administrators for a trust-level-3 reserve card, the second signed', async () => {
    const orderId = placedOrder(await place('reserve_card_loa3'));
    expect(await approveOrder(db, await change('idadmin1', orderId, 'placed'))).toEqual({
      ok: true,
      to: 'awaiting_second_approval',
    });
    const ownSignature = await signatureOf('idadmin1', orderId);
    const sameAdmin = {
      ...(await change('idadmin1', orderId, 'awaiting_second_approval')),
      signature: ownSignature,
    };
    expect(await approveOrder(db, sameAdmin)).toEqual({ ok: false, reason: 'already_approved' });
    expect(await refusals('order_approve_second')).toMatchObject([
      { objectId: orderId, actorLabel: 'idadmin1' },
    ]);
    expect((await findAuthOrder(db, ownSignature.authOrderId))!.state).toBe('completed');
    expect(await signedDecisionsAbout(orderId)).toEqual([]);

    const signature = await signatureOf('idadmin2', orderId);
    const second = { ...(await change('idadmin2', orderId, 'awaiting_second_approval')), signature };
    expect(await approveOrder(db, second)).toEqual({ ok: true, to: 'ready' });
    expect((await findOrderDetail(db, orderId))!.events.map((event) => event.toState)).toEqual([
      'placed',
      'awaiting_second_approval',
      'ready',
    ]);
    expect(await signedDecisionsAbout(orderId)).toMatchObject([
      { kind: 'order_second_approval', authOrderId: signature.authOrderId, statement: signature.statement },
    ]);
    expect((await findAuthOrder(db, signature.authOrderId))!.state).toBe('collected');
  });

  it('refuses a second approval without a signature of it, and audits the refusal', async () => {
    const orderId = await awaitingSecondApproval();
    const unsigned = await change('idadmin2', orderId, 'awaiting_second_approval');
    expect(await approveOrder(db, unsigned)).toEqual({ ok: false, reason: 'signature_required' });
    const otherOrder = await awaitingSecondApproval(demoPersons.olof.hsaId);
    const otherSignature = { ...unsigned, signature: await signatureOf('idadmin2', otherOrder) };
    expect(await approveOrder(db, otherSignature)).toEqual({ ok: false, reason: 'signature_required' });
    expect((await findAuthOrder(db, otherSignature.signature.authOrderId))!.state).toBe('completed');
    expect((await findOrderDetail(db, orderId))!.state).toBe('awaiting_second_approval');
    expect(await refusals('order_approve_second')).toMatchObject([
      { objectId: orderId, detail: { reason: 'signature_required' } },
      { objectId: orderId, detail: { reason: 'signature_required' } },
    ]);
  });

  it('undoes the second approval when its signature was spent by another decision', async () => {
    const orderId = await awaitingSecondApproval();
    const signature = await signatureOf('idadmin2', orderId);
    await collectAuthOrder(db, signature.authOrderId);
    const input = { ...(await change('idadmin2', orderId, 'awaiting_second_approval')), signature };
    expect(await approveOrder(db, input)).toEqual({ ok: false, reason: 'signature_spent' });
    const detail = (await findOrderDetail(db, orderId))!;
    expect(detail.state).toBe('awaiting_second_approval');
    expect(detail.events.map((event) => event.toState)).toEqual(['placed', 'awaiting_second_approval']);
    expect(await signedDecisionsAbout(orderId)).toEqual([]);
    expect(await refusals('order_approve_second')).toMatchObject([
      { objectId: orderId, detail: { reason: 'signature_spent' } },
    ]);
  });

  it('checks an approval without giving it, and audits a refusal like the approval would', async () => {
    const orderId = await awaitingSecondApproval();
    const sameAdmin = await change('idadmin1', orderId, 'awaiting_second_approval');
    expect(await checkApproval(db, sameAdmin)).toEqual({ ok: false, reason: 'already_approved' });
    expect(await refusals('order_approve_second')).toMatchObject([
      { objectId: orderId, actorLabel: 'idadmin1', detail: { reason: 'already_approved' } },
    ]);
    expect(await checkApproval(db, await change('idadmin2', orderId, 'awaiting_second_approval'))).toEqual({
      ok: true,
      to: 'ready',
    });
    expect((await findOrderDetail(db, orderId))!.state).toBe('awaiting_second_approval');
  });

  it('takes other types to ready on one approval', async () => {
    const orderId = placedOrder(await place('mobile'));
    expect(await approveOrder(db, await change('idadmin2', orderId, 'placed'))).toEqual({
      ok: true,
      to: 'ready',
    });
  });

  it('lets exactly one of two simultaneous approvals through; the other is told the order changed', async () => {
    const orderId = placedOrder(await place('reserve_card_loa3'));
    const inputs = [await change('idadmin1', orderId, 'placed'), await change('idadmin2', orderId, 'placed')];
    const results = await Promise.all(inputs.map((input) => approveOrder(db, input)));
    expect(results).toHaveLength(2);
    expect(results).toEqual(
      expect.arrayContaining([
        { ok: true, to: 'awaiting_second_approval' },
        { ok: false, reason: 'stale' },
      ]),
    );
    expect((await findOrderDetail(db, orderId))!.state).toBe('awaiting_second_approval');
  });

  it('refuses approval by a manager', async () => {
    const orderId = placedOrder(await place('mobile'));
    expect(await approveOrder(db, await change('chef', orderId, 'placed'))).toEqual({
      ok: false,
      reason: 'not_permitted',
    });
  });
});

describe('cancelling and expiring', () => {
  it('refuses cancelling an order outside the placer scope', async () => {
    const orderId = placedOrder(await place('mobile'));
    const outsider = { ...(await change('kontakt.skovde', orderId, 'placed')) };
    outsider.actor.placerScope = await unitSubtree('Skaraborgs Sjukhus Skövde');
    expect(await cancelOrder(db, outsider)).toEqual({ ok: false, reason: 'not_permitted' });
    expect(await cancelOrder(db, await change('idadmin1', orderId, 'placed'))).toEqual({
      ok: true,
      to: 'cancelled',
    });
  });

  it('expires open orders three months after they were placed, with a system event', async () => {
    const orderId = placedOrder(await place('eid_on_card'));
    await expireStaleOrders(db, new Date('2026-06-01T08:59:00Z'));
    expect((await findOrderDetail(db, orderId))!.state).toBe('placed');
    expect(await expireStaleOrders(db, new Date('2026-06-02T09:00:01Z'))).toBeGreaterThanOrEqual(1);
    const detail = (await findOrderDetail(db, orderId))!;
    expect(detail.state).toBe('expired');
    expect(detail.events.at(-1)).toMatchObject({ fromState: 'placed', toState: 'expired', actorName: null });
  });
});

describe('the order list', () => {
  it('lists only the scope, masks personnummer and finds by personnummer, HSA-id and name', async () => {
    const orderId = placedOrder(await place('eid_on_card'));
    const scope = await sahlgrenska();
    const all = await listOrderPage(db, { scope }, 'created_desc', {}, now);
    expect(all.rows[0]).toMatchObject({ id: orderId, person: { personalIdentityNumber: '19840312-****' } });
    expect(all.total).toBe((await db.select().from(orders)).filter((o) => scope.includes(o.unitId)).length);
    for (const search of [
      demoPersons.carina.personalIdentityNumber,
      demoPersons.carina.hsaId,
      'svensson a',
      'Carina Svensson',
    ]) {
      expect(
        (await listOrderPage(db, { scope, search }, 'created_desc', {}, now)).rows.map((row) => row.id),
      ).toEqual([orderId]);
    }
    expect(
      (
        await listOrderPage(
          db,
          { scope: await unitSubtree('Skaraborgs Sjukhus Skövde'), search: 'Svensson' },
          'created_desc',
          {},
          now,
        )
      ).total,
    ).toBe(0);
  });

  it('filters by state, type, placer and date range', async () => {
    placedOrder(await place('mobile'));
    const filtered = await listOrderPage(
      db,
      {
        scope: 'all',
        states: ['placed'],
        types: ['mobile'],
        placedByUserId: await userId('chef'),
        createdFrom: now,
        createdBefore: new Date(now.getTime() + 1),
      },
      'person_asc',
      {},
      now,
    );
    expect(filtered).toMatchObject({ total: 1, totalIsLowerBound: false });
    expect(filtered.previous ?? filtered.next).toBeUndefined();
  });

  it('streams the same rows as CSV with a header line', async () => {
    const columns = [
      { header: 'Person', value: (row: OrderListRow) => (row.person.hidden ? '' : row.person.name) },
      { header: 'Status; typ', value: (row: { state: string }) => row.state },
    ];
    const scope = await sahlgrenska();
    const csv = (await collect(streamOrdersCsv(db, { scope }, 'created_desc', columns, 2))).join('');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('Person;"Status; typ"');
    expect(lines).toHaveLength((await collect(iterateOrders(db, { scope }, 'created_desc'))).length + 1);
  });

  async function insertBulkOrders(count: number) {
    const [person] = await db.select().from(persons).limit(1);
    const [unit] = await db.select().from(units).limit(1);
    const placer = await userId('chef');
    const bulk = Array.from({ length: count }, (_, index) => ({
      id: `bulk-${String(index).padStart(5, '0')}`,
      type: 'reserve_card_loa2' as const,
      state: 'fulfilled' as const,
      personId: person!.id,
      unitId: unit!.id,
      placedByUserId: placer,
      // Many orders share a moment, so the batches must break ties the way the pages do.
      createdAt: new Date(now.getTime() - Math.floor(index / 7) * 1000),
    }));
    for (let start = 0; start < bulk.length; start += 500) {
      await db.insert(orders).values(bulk.slice(start, start + 500));
    }
    return person!;
  }

  it('pages forwards and backwards by cursor over the same rows the export gives, in list order', async () => {
    const person = await insertBulkOrders(2_345);
    const filters = [{ scope: 'all' as const }, { scope: 'all' as const, search: person.hsaId }];
    for (const [filter, sort] of filters.flatMap((f) => orderSorts.map((s) => [f, s] as const))) {
      const exported = (await collect(iterateOrders(db, filter, sort))).map((row) => row.id);
      expect(new Set(exported).size).toBe(exported.length);

      const forwards: string[][] = [];
      let page = await listOrderPage(db, filter, sort, {}, now);
      expect(page.previous).toBeUndefined();
      for (;;) {
        forwards.push(page.rows.map((row) => row.id));
        expect(page).toMatchObject({ total: exported.length, totalIsLowerBound: false });
        if (!page.next) break;
        page = await listOrderPage(db, filter, sort, { after: page.next }, now);
        expect(page.previous).toBeDefined();
      }
      expect(forwards.flat()).toEqual(exported);
      expect(forwards.slice(0, -1).every((rows) => rows.length === orderPageSize)).toBe(true);

      const backwards: string[][] = [page.rows.map((row) => row.id)];
      while (page.previous) {
        page = await listOrderPage(db, filter, sort, { before: page.previous }, now);
        backwards.unshift(page.rows.map((row) => row.id));
      }
      // Back at the top: the first page, whole, however the pages before fell.
      expect(backwards[0]).toEqual(forwards[0]);
      expect(backwards.slice(1)).toEqual(forwards.slice(1));
    }
  });

  it('pages from a cursor whose person is gone, and a cursor never widens the scope', async () => {
    await insertBulkOrders(120);
    const first = await listOrderPage(db, { scope: 'all' }, 'person_asc', {}, now);
    const missingPerson: OrderCursor = { ...first.next!, personId: 'no-such-person' };
    expect(
      (await listOrderPage(db, { scope: 'all' }, 'person_asc', { after: missingPerson }, now)).rows,
    ).toEqual(first.rows);

    const skovde = await unitSubtree('Skaraborgs Sjukhus Skövde');
    const inSkovde = new Set(
      (await db.select().from(orders)).filter((o) => skovde.includes(o.unitId)).map((o) => o.id),
    );
    expect(inSkovde.size).toBeGreaterThan(0);
    for (const position of [{ after: first.next! }, { before: first.next! }]) {
      const page = await listOrderPage(db, { scope: skovde }, 'created_desc', position, now);
      expect(page.rows.every((row) => inSkovde.has(row.id))).toBe(true);
    }
  });

  it('counts up to the limit and then says there are more', async () => {
    const existing = (await db.select({ id: orders.id }).from(orders)).length;
    await insertBulkOrders(orderCountLimit - existing);
    expect(await listOrderPage(db, { scope: 'all' }, 'created_desc', {}, now)).toMatchObject({
      total: orderCountLimit,
      totalIsLowerBound: false,
    });
    await db.insert(orders).values({
      id: 'one-more',
      type: 'mobile',
      state: 'placed',
      personId: (await db.select().from(persons).limit(1))[0]!.id,
      unitId: (await db.select().from(units).limit(1))[0]!.id,
      placedByUserId: await userId('chef'),
      createdAt: now,
    });
    expect(await listOrderPage(db, { scope: 'all' }, 'created_desc', {}, now)).toMatchObject({
      total: orderCountLimit,
      totalIsLowerBound: true,
    });
    // A search counts its matches in the pass that reads its page, with the same limit.
    const bulkPerson = (await db.select().from(persons).limit(1))[0]!;
    const search = { scope: 'all' as const, search: bulkPerson.hsaId };
    const own = (await listOrderPage(db, search, 'person_asc', {}, now)).total;
    expect(own).toBeLessThan(orderCountLimit);
    const [anyOrder] = await db.select().from(orders).where(eq(orders.personId, bulkPerson.id)).limit(1);
    // The newest matches come last in the person index (a later type): a page from only the first matches
    // the engine reads would miss them.
    const more = Array.from({ length: orderCountLimit + 100 - own }, (_, index) => ({
      ...anyOrder!,
      id: `more-${index}`,
      type: 'reserve_card_loa3' as const,
      state: 'placed' as const,
      cardId: null,
      createdAt: new Date(now.getTime() + 60_000 + index),
    }));
    for (let start = 0; start < more.length; start += 500) {
      await db.insert(orders).values(more.slice(start, start + 500));
    }
    for (const sort of orderSorts) {
      const searched = await listOrderPage(db, search, sort, {}, now);
      expect(searched).toMatchObject({ total: orderCountLimit, totalIsLowerBound: true });
      // The page comes from every match, not only from those counted.
      const everyMatch = (await collect(iterateOrders(db, search, sort))).map((row) => row.id);
      expect(everyMatch.length).toBeGreaterThan(orderCountLimit);
      expect(searched.rows.map((row) => row.id)).toEqual(everyMatch.slice(0, orderPageSize));
    }
    const pastTheEnd = { createdAt: 0, rowKey: 0, personId: bulkPerson.id };
    expect(await listOrderPage(db, search, 'created_desc', { after: pastTheEnd }, now)).toMatchObject({
      rows: [],
      total: orderCountLimit,
      totalIsLowerBound: true,
    });
  });
});
