import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import { recordAudit } from '../../db/audit';
import { personalIdentityNumber } from '../../db/demo-fixtures';
import { first } from '../../db/engine';
import { newId } from '../../db/ids';
import { findPersonByIdentifier } from '../../db/persons';
import { listStock } from '../../db/reserve-card-stock';
import { auditEvents, cards, orders, persons, staffRoleAssignments, units, users } from '../../db/schema';
import { demoCards, demoPersons } from '../../db/seed';
import * as orderList from './admin.bestallningar';
import * as orderPage from './admin.bestallningar_.$orderId';
import * as exportCsv from './admin.bestallningar_.export';
import * as newOrder from './admin.bestallningar_.ny';
import * as auditLog from './admin.granskning';
import * as auditCsv from './admin.granskning_.export[.csv]';
import * as search from './admin.personer';
import * as personPage from './admin.personer_.$personId';
import * as revocation from './admin.personer_.$personId_.sparra';
import * as assign from './admin.reservkort_.aktivera';
import * as unitStock from './admin.reservkort_.enhet.$unitId';

// Olof Lindqvist (Kardiologi, Sahlgrenska; a ready reserve-card order with a card) has a protected identity.
// kontakt (contact person of Sahlgrenska) and idadmin1 see him only while they hold the right.
const olof = demoPersons.olof;
const unknownPersonId = '00000000-0000-4000-8000-000000000000';

let harness: RouteHarness;
let olofId: string;
let olofOrderId: string;

type Handler = Parameters<typeof callRoute>[0];

beforeAll(async () => {
  harness = await createRouteHarness();
  olofId = (await findPersonByIdentifier(harness.db, olof.hsaId))!.id;
  await harness.db.update(persons).set({ protectedIdentity: true }).where(eq(persons.id, olofId));
  olofOrderId = first(
    await harness.db.select({ id: orders.id }).from(orders).where(eq(orders.personId, olofId)).limit(1),
  )!.id;
});
afterAll(async () => {
  await harness.db.close();
});

async function userId(username: string): Promise<string> {
  return first(await harness.db.select().from(users).where(eq(users.username, username)).limit(1))!.id;
}

/** Grants or takes back the right; the principal is read again on every request. */
async function setRight(username: string, holds: boolean): Promise<void> {
  const id = await userId(username);
  const mine = and(
    eq(staffRoleAssignments.userId, id),
    eq(staffRoleAssignments.role, 'protected_identity_viewer'),
  );
  await harness.db.delete(staffRoleAssignments).where(mine);
  if (holds) {
    await harness.db
      .insert(staffRoleAssignments)
      .values({ id: newId(), userId: id, role: 'protected_identity_viewer', unitId: null });
  }
}

const traces = [
  `${olof.givenName} ${olof.surname}`,
  olof.hsaId,
  olof.email!,
  olof.personalIdentityNumber.slice(0, 8),
];

/** Nothing in the answer names Olof: no name, HSA-id, e-mail or personnummer (not even its masked part). */
function expectNoTraceOfOlof(data: unknown): void {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  for (const trace of traces) expect(text).not.toContain(trace);
}

async function call(handler: Handler, path: string, as: string, form?: Record<string, string>, params = {}) {
  return callRoute(handler, await harness.request(path, { as, form }), harness.context, params);
}

async function refusedFor(action: string, objectId: string | null) {
  return (
    await harness.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, action), eq(auditEvents.outcome, 'refused')))
  ).filter((event) => objectId === null || event.objectId === objectId);
}

const withoutData = ({ query: _query, ...rest }: { query: string }) => rest;

describe('person search and person page, for a contact person of his unit', () => {
  beforeEach(() => setRight('kontakt', false));

  it('finds no protected identity by name without the right, and finds him with it, badged', async () => {
    const without = await call(search.loader as Handler, '/admin/personer?q=Lindqvist', 'kontakt');
    expect(without.status).toBe(200);
    expectNoTraceOfOlof(without.data);

    await setRight('kontakt', true);
    const withRight = await call(search.loader as Handler, '/admin/personer?q=Lindqvist', 'kontakt');
    const found = (withRight.data as { result: { persons: Array<{ hsaId: string }> } }).result.persons;
    expect(found.find((person) => person.hsaId === olof.hsaId)).toMatchObject({ protectedIdentity: true });
  });

  it.each([
    ['HSA-id', olof.hsaId, 'TSTNMT2321000156-9999'],
    ['personnummer', olof.personalIdentityNumber, personalIdentityNumber('19010101', 123)],
  ])('answers a search by %s without the right exactly as for nobody', async (_kind, identifier, unknown) => {
    const found = await call(search.loader as Handler, `/admin/personer?q=${identifier}`, 'kontakt');
    const nobody = await call(search.loader as Handler, `/admin/personer?q=${unknown}`, 'kontakt');
    expect(found.status).toBe(nobody.status);
    expect(withoutData(found.data as { query: string })).toEqual(
      withoutData(nobody.data as { query: string }),
    );
    expect(found.data).toMatchObject({ result: { kind: 'identifier', match: null } });
    expectNoTraceOfOlof(withoutData(found.data as { query: string }));

    await setRight('kontakt', true);
    const holder = await call(search.loader as Handler, `/admin/personer?q=${identifier}`, 'kontakt');
    expect(holder.data).toMatchObject({
      result: { match: { inScope: true, person: { hsaId: olof.hsaId, protectedIdentity: true } } },
    });
  });

  it('refuses his person page like an unknown person (404, same answer) and audits the refusal', async () => {
    const before = await refusedFor('person_view', olofId);
    const page = await call(personPage.loader as Handler, `/admin/personer/${olofId}`, 'kontakt', undefined, {
      personId: olofId,
    });
    const unknown = await call(
      personPage.loader as Handler,
      `/admin/personer/${unknownPersonId}`,
      'kontakt',
      undefined,
      { personId: unknownPersonId },
    );
    expect(page).toEqual(unknown);
    expect(page.status).toBe(404);
    const after = await refusedFor('person_view', olofId);
    expect(after).toHaveLength(before.length + 1);
    expect(after.at(-1)).toMatchObject({ objectType: 'person', detail: { reason: 'protected_identity' } });
  });

  it('shows his person page to a holder, with everything and the badge', async () => {
    await setRight('kontakt', true);
    const page = await call(personPage.loader as Handler, `/admin/personer/${olofId}`, 'kontakt', undefined, {
      personId: olofId,
    });
    expect(page).toMatchObject({
      status: 200,
      data: {
        person: {
          hsaId: olof.hsaId,
          personalIdentityNumber: olof.personalIdentityNumber,
          protectedIdentity: true,
        },
      },
    });
  });
});

describe('revocation of a protected identity’s card', () => {
  let cardId: string;
  beforeAll(async () => {
    cardId = first(
      await harness.db.select().from(cards).where(eq(cards.serial, demoCards.reserveNotActivated)).limit(1),
    )!.id;
  });
  beforeEach(() => setRight('idadmin1', false));

  it('is refused to an ID-administrator without the right like an unknown person, and audited', async () => {
    const path = `/admin/personer/${olofId}/sparra?kort=${cardId}`;
    const before = await refusedFor('card_revoke', cardId);
    const page = await call(revocation.loader as Handler, path, 'idadmin1', undefined, { personId: olofId });
    const unknown = await call(
      revocation.loader as Handler,
      `/admin/personer/${unknownPersonId}/sparra?kort=${cardId}`,
      'idadmin1',
      undefined,
      { personId: unknownPersonId },
    );
    expect(page.status).toBe(404);
    expect(page.data).toEqual(unknown.data);
    const confirm = await call(
      revocation.action as Handler,
      path,
      'idadmin1',
      { intent: 'review', reason: 'lost' },
      { personId: olofId },
    );
    expect(confirm).toMatchObject({ status: 404, data: unknown.data });
    const after = await refusedFor('card_revoke', cardId);
    expect(after.slice(before.length).map((event) => event.detail)).toEqual([
      { refusal: 'protected_identity', personId: olofId },
      { refusal: 'not_found', personId: unknownPersonId },
      { refusal: 'protected_identity', personId: olofId },
    ]);

    await setRight('idadmin1', true);
    expect(
      (await call(revocation.loader as Handler, path, 'idadmin1', undefined, { personId: olofId })).status,
    ).toBe(200);
  });
});

describe('orders of a protected identity', () => {
  beforeEach(() => setRight('kontakt', false));

  type ListData = { result: { rows: Array<{ id: string; person: Record<string, unknown> }> } };
  const rowOfOlof = (data: unknown) => (data as ListData).result.rows.find((row) => row.id === olofOrderId);

  it('lists his order as Skyddad identitet without the right: no name, identifiers or unit', async () => {
    const list = await call(orderList.loader as Handler, '/admin/bestallningar', 'kontakt');
    expect(rowOfOlof(list.data)).toMatchObject({ person: { hidden: true } });
    expect(Object.keys(rowOfOlof(list.data)!.person)).toEqual(['hidden']);
    expectNoTraceOfOlof(list.data);

    await setRight('kontakt', true);
    const holder = await call(orderList.loader as Handler, '/admin/bestallningar', 'kontakt');
    expect(rowOfOlof(holder.data)).toMatchObject({
      person: {
        hidden: false,
        protectedIdentity: true,
        hsaId: olof.hsaId,
        unitName: 'Kardiologi Sahlgrenska',
      },
    });
  });

  it('finds nothing when the list is searched by his HSA-id or name without the right', async () => {
    for (const term of [olof.hsaId, olof.surname]) {
      const list = await call(orderList.loader as Handler, `/admin/bestallningar?search=${term}`, 'kontakt');
      expect(rowOfOlof(list.data)).toBeUndefined();
    }
    await setRight('kontakt', true);
    const holder = await call(
      orderList.loader as Handler,
      `/admin/bestallningar?search=${olof.hsaId}`,
      'kontakt',
    );
    expect(rowOfOlof(holder.data)).toBeDefined();
  });

  it('exports him as Skyddad identitet in the CSV without the right, and by name with it', async () => {
    const csv = await call(exportCsv.loader as Handler, '/admin/bestallningar/export', 'kontakt');
    expect(csv.status).toBe(200);
    expectNoTraceOfOlof(csv.data);
    const line = (csv.data as string).split('\r\n').find((row) => row.startsWith(olofOrderId));
    expect(line).toContain('Skyddad identitet');
    expect(line).not.toContain('Kardiologi');

    await setRight('kontakt', true);
    const holder = await call(exportCsv.loader as Handler, '/admin/bestallningar/export', 'kontakt');
    expect(holder.data).toContain(`${olof.givenName} ${olof.surname} (Skyddad identitet)`);
  });

  it('shows his order page masked without the right, offers no action and refuses one (404, audited)', async () => {
    const path = `/admin/bestallningar/${olofOrderId}`;
    const page = await call(orderPage.loader as Handler, path, 'kontakt', undefined, {
      orderId: olofOrderId,
    });
    expect(page).toMatchObject({ status: 200, data: { order: { person: { hidden: true } }, actions: [] } });
    expectNoTraceOfOlof(page.data);
    expect(JSON.stringify(page.data)).not.toContain('Kardiologi');

    const before = await refusedFor('order_change', olofOrderId);
    const cancel = await call(
      orderPage.action as Handler,
      path,
      'kontakt',
      { intent: 'cancel', expectedState: 'ready' },
      { orderId: olofOrderId },
    );
    const unknown = await call(
      orderPage.action as Handler,
      `/admin/bestallningar/${unknownPersonId}`,
      'kontakt',
      { intent: 'cancel', expectedState: 'ready' },
      { orderId: unknownPersonId },
    );
    expect(cancel).toEqual(unknown);
    expect(cancel.status).toBe(404);
    expect(await refusedFor('order_change', olofOrderId)).toHaveLength(before.length + 1);
    expect(first(await harness.db.select().from(orders).where(eq(orders.id, olofOrderId)))!.state).toBe(
      'ready',
    );

    await setRight('kontakt', true);
    const holder = await call(orderPage.loader as Handler, path, 'kontakt', undefined, {
      orderId: olofOrderId,
    });
    expect(holder.data).toMatchObject({
      order: { person: { hidden: false, protectedIdentity: true, hsaId: olof.hsaId } },
    });
  });

  it('refuses an order for him without the right exactly as for an unknown person, audited; a holder places it', async () => {
    const before = await refusedFor('order_place', null);
    const refused = await call(newOrder.action as Handler, '/admin/bestallningar/ny', 'kontakt', {
      person: olof.hsaId,
      type: 'mobile',
    });
    const unknown = await call(newOrder.action as Handler, '/admin/bestallningar/ny', 'kontakt', {
      person: 'TSTNMT2321000156-9999',
      type: 'mobile',
    });
    expect(refused).toEqual(unknown);
    expect(refused.status).toBe(404);
    const after = await refusedFor('order_place', null);
    expect(after).toHaveLength(before.length + 2);
    expect(after.map((event) => event.detail)).toContainEqual(
      expect.objectContaining({ reason: 'protected_identity' }),
    );

    await setRight('kontakt', true);
    const placed = await call(newOrder.action as Handler, '/admin/bestallningar/ny', 'kontakt', {
      person: olof.hsaId,
      type: 'mobile',
    });
    expect(placed.status).toBe(302);
  });
});

describe('reserve cards of a protected identity', () => {
  let kardiologi: string;
  let readyOrderId: string;
  beforeAll(async () => {
    kardiologi = first(
      await harness.db.select().from(units).where(eq(units.name, 'Kardiologi Sahlgrenska')),
    )!.id;
    readyOrderId = newId();
    const now = new Date();
    await harness.db.insert(orders).values({
      id: readyOrderId,
      type: 'reserve_card_loa2',
      state: 'ready',
      personId: olofId,
      unitId: kardiologi,
      placedByUserId: await userId('kontakt'),
      createdAt: now,
      updatedAt: now,
    });
  });
  beforeEach(() => setRight('kontakt', false));

  async function inStockCard(): Promise<string> {
    return (await listStock(harness.db, kardiologi, { state: 'in_stock', trustLevel: 2 }))[0]!.id;
  }

  it('shows the holder of his card in the unit stock as Skyddad identitet without the right', async () => {
    const path = `/admin/reservkort/enhet/${kardiologi}`;
    const stock = await call(unitStock.loader as Handler, path, 'kontakt', undefined, { unitId: kardiologi });
    expect(stock.status).toBe(200);
    expectNoTraceOfOlof(stock.data);
    const cardsOf = (data: unknown) =>
      (data as { cards: Array<{ serial: string; holder: unknown }> }).cards.find(
        (card) => card.serial === demoCards.reserveNotActivated,
      );
    expect(cardsOf(stock.data)).toMatchObject({ holder: { hidden: true } });

    await setRight('kontakt', true);
    const holder = await call(unitStock.loader as Handler, path, 'kontakt', undefined, {
      unitId: kardiologi,
    });
    expect(cardsOf(holder.data)).toMatchObject({
      holder: { hidden: false, protectedIdentity: true, name: `${olof.givenName} ${olof.surname}` },
    });
  });

  it('leaves his order out of the activation list without the right, and answers it as unknown', async () => {
    const list = await call(assign.loader as Handler, '/admin/reservkort/aktivera', 'kontakt');
    expect(JSON.stringify(list.data)).not.toContain(readyOrderId);
    expectNoTraceOfOlof(list.data);
    const chosen = await call(
      assign.loader as Handler,
      `/admin/reservkort/aktivera?bestallning=${readyOrderId}`,
      'kontakt',
    );
    const unknown = await call(
      assign.loader as Handler,
      `/admin/reservkort/aktivera?bestallning=${unknownPersonId}`,
      'kontakt',
    );
    expect(chosen).toEqual(unknown);
    expect(chosen.status).toBe(404);
  });

  it('refuses to activate a card for him without the right like an unknown order, audited; a holder does it', async () => {
    const cardId = await inStockCard();
    const before = await refusedFor('reserve_card_assign', cardId);
    const refused = await call(assign.action as Handler, '/admin/reservkort/aktivera', 'kontakt', {
      orderId: readyOrderId,
      cardId,
    });
    const unknown = await call(assign.action as Handler, '/admin/reservkort/aktivera', 'kontakt', {
      orderId: unknownPersonId,
      cardId,
    });
    expect(refused).toEqual(unknown);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    const after = await refusedFor('reserve_card_assign', cardId);
    expect(after.slice(before.length).map((event) => event.detail)).toEqual([
      expect.objectContaining({ orderId: readyOrderId, reason: 'unknown_order', protectedIdentity: true }),
      expect.not.objectContaining({ protectedIdentity: true }),
    ]);
    expect(first(await harness.db.select().from(cards).where(eq(cards.id, cardId)))!.state).toBe('in_stock');

    await setRight('kontakt', true);
    const assigned = await call(assign.action as Handler, '/admin/reservkort/aktivera', 'kontakt', {
      orderId: readyOrderId,
      cardId,
    });
    expect(assigned.status).toBe(302);
  });
});

describe('the audit log, where a protected identity is the actor', () => {
  beforeAll(async () => {
    // What Mina sidor records when Olof unlocks his card: his own account, named by his name.
    await recordAudit(harness.db, {
      actorUserId: await userId('olof'),
      actorLabel: `${olof.givenName} ${olof.surname}`,
      action: 'card_unlock',
      objectType: 'card',
      objectId: null,
      outcome: 'success',
    });
  });
  beforeEach(() => setRight('idadmin1', false));

  it('names him Skyddad identitet in the log and its CSV without the right, and finds nothing by his name', async () => {
    const page = await call(auditLog.loader as Handler, '/admin/granskning?action=card_unlock', 'idadmin1');
    expect(page.status).toBe(200);
    expectNoTraceOfOlof(page.data);
    expect(page.data).toMatchObject({
      events: expect.arrayContaining([expect.objectContaining({ actorHidden: true })]),
    });
    const csv = await call(
      auditCsv.loader as Handler,
      '/admin/granskning/export.csv?action=card_unlock',
      'idadmin1',
    );
    expect(csv.status).toBe(200);
    expectNoTraceOfOlof(csv.data);
    expect(csv.data).toContain('Skyddad identitet');
    const byName = await call(
      auditLog.loader as Handler,
      `/admin/granskning?actor=${encodeURIComponent(`${olof.givenName} ${olof.surname}`)}`,
      'idadmin1',
    );
    expect(byName.data).toMatchObject({ events: [] });

    await setRight('idadmin1', true);
    const holder = await call(auditLog.loader as Handler, '/admin/granskning?action=card_unlock', 'idadmin1');
    expect(holder.data).toMatchObject({
      events: expect.arrayContaining([
        expect.objectContaining({ actorHidden: false, actorLabel: `${olof.givenName} ${olof.surname}` }),
      ]),
    });
  });
});
