import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { translator } from '~/i18n/catalogue';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import { first } from '../../db/engine';
import { newId } from '../../db/ids';
import { listStock } from '../../db/reserve-card-stock';
import { auditEvents, cards, orders, personUnits, units, users } from '../../db/schema';
import { luhnCheckDigit } from '../../protocol/identifiers';
import * as stock from './admin.reservkort';
import * as assign from './admin.reservkort_.aktivera';
import * as unitPage from './admin.reservkort_.enhet.$unitId';
import * as withdraw from './admin.reservkort_.kort.$cardId.dra-tillbaka';

let harness: RouteHarness;
let kardiologi: string;
let skovdeMedicin: string;
beforeAll(async () => {
  harness = await createRouteHarness();
  kardiologi = await unitIdOf('SE2321000131-S000000010127');
  skovdeMedicin = await unitIdOf('SE2321000131-S000000030322');
});
afterAll(async () => {
  await harness.db.close();
});

async function unitIdOf(hsaId: string): Promise<string> {
  return first(await harness.db.select().from(units).where(eq(units.hsaId, hsaId)).limit(1))!.id;
}

let serialCounter = 0;
function freshSerial(): string {
  const body = `97529${String(++serialCounter).padStart(13, '0')}`;
  return `${body}${luhnCheckDigit(body)}`;
}

async function inStockCard(unitId: string, trustLevel: 2 | 3 = 2): Promise<string> {
  const card = (await listStock(harness.db, unitId, { state: 'in_stock', trustLevel }))[0];
  if (card) return card.id;
  const id = newId();
  const now = new Date();
  await harness.db.insert(cards).values({
    id,
    serial: freshSerial(),
    kind: 'reserve',
    productCode: 'SITHS-RES-2',
    trustLevel,
    state: 'in_stock',
    unitId,
    validFrom: now,
    validTo: new Date(now.getTime() + 365 * 86_400_000),
  });
  return id;
}

async function readyReserveOrder(unitId: string): Promise<string> {
  const personId = first(
    await harness.db.select().from(personUnits).where(eq(personUnits.unitId, unitId)).limit(1),
  )!.personId;
  const placedBy = first(
    await harness.db.select().from(users).where(eq(users.username, 'kontakt')).limit(1),
  )!.id;
  const id = newId();
  await harness.db
    .insert(orders)
    .values({ id, type: 'reserve_card_loa2', state: 'ready', personId, unitId, placedByUserId: placedBy });
  return id;
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
  /** The path, the form (for actions) and the route params, made fresh for every call. */
  call: () => RouteCall | Promise<RouteCall>;
  allowed: Record<string, number>;
}

const refusedStatus = 403;
const cases: Case[] = [
  {
    name: 'stock overview (loader)',
    handler: stock.loader,
    call: () => ({ path: '/admin/reservkort' }),
    allowed: { kontakt: 200, 'kontakt.skovde': 200, support: 200 },
  },
  {
    name: 'register a card at Kardiologi Sahlgrenska (action)',
    handler: stock.action,
    call: () => ({
      path: '/admin/reservkort',
      form: { serial: freshSerial(), productCode: 'SITHS-RES-2', trustLevel: '2', unitId: kardiologi },
    }),
    allowed: { kontakt: 302 },
  },
  {
    name: 'unit page of Kardiologi Sahlgrenska (loader)',
    handler: unitPage.loader,
    call: () => ({ path: `/admin/reservkort/enhet/${kardiologi}`, params: { unitId: kardiologi } }),
    allowed: { kontakt: 200, support: 200 },
  },
  {
    name: 'unit page of Medicinmottagning Skövde (loader)',
    handler: unitPage.loader,
    call: () => ({ path: `/admin/reservkort/enhet/${skovdeMedicin}`, params: { unitId: skovdeMedicin } }),
    allowed: { 'kontakt.skovde': 200, support: 200 },
  },
  {
    name: 'set the low-stock threshold of Kardiologi Sahlgrenska (action)',
    handler: unitPage.action,
    call: () => ({
      path: `/admin/reservkort/enhet/${kardiologi}`,
      form: { threshold: '5' },
      params: { unitId: kardiologi },
    }),
    allowed: { kontakt: 302 },
  },
  {
    name: 'withdraw confirm page for a Kardiologi card (loader)',
    handler: withdraw.loader,
    call: async () => {
      const cardId = await inStockCard(kardiologi);
      return { path: `/admin/reservkort/kort/${cardId}/dra-tillbaka`, params: { cardId } };
    },
    allowed: { kontakt: 200 },
  },
  {
    name: 'withdraw a Kardiologi card (action)',
    handler: withdraw.action,
    call: async () => {
      const cardId = await inStockCard(kardiologi);
      return { path: `/admin/reservkort/kort/${cardId}/dra-tillbaka`, form: { cardId }, params: { cardId } };
    },
    allowed: { kontakt: 302 },
  },
  {
    name: 'assign page (loader)',
    handler: assign.loader,
    call: () => ({ path: '/admin/reservkort/aktivera' }),
    allowed: { kontakt: 200, 'kontakt.skovde': 200, support: 200 },
  },
  {
    name: 'assign a Kardiologi card to a Kardiologi order (action)',
    handler: assign.action,
    call: async () => ({
      path: '/admin/reservkort/aktivera',
      form: { orderId: await readyReserveOrder(kardiologi), cardId: await inStockCard(kardiologi) },
    }),
    allowed: { kontakt: 302 },
  },
];

const roles = ['admin', 'chef', 'kontakt', 'kontakt.skovde', 'idadmin1', 'support'];

describe('reserve-card routes by role and unit', () => {
  for (const routeCase of cases) {
    for (const username of roles) {
      const expected = routeCase.allowed[username] ?? refusedStatus;
      it(`${routeCase.name}: ${username} gets ${expected}`, async () => {
        const { path, form, params } = await routeCase.call();
        const request = await harness.request(path, { as: username, form });
        const outcome = await callRoute(routeCase.handler, request, harness.context, params);
        expect(outcome.status).toBe(expected);
        if (expected === refusedStatus) {
          const audit = first(
            await harness.db.select().from(auditEvents).orderBy(desc(auditEvents.id)).limit(1),
          )!;
          expect(audit).toMatchObject({ outcome: 'refused', actorLabel: username });
        }
      });
    }
  }
});

describe('bad input in the reserve-card forms', () => {
  const sv = translator('sv');

  it('refuses a serial of the wrong length with 400, a Swedish message at the field, nothing stored, audited', async () => {
    const before = (await harness.db.select().from(cards)).length;
    const request = await harness.request('/admin/reservkort', {
      as: 'kontakt',
      form: { serial: '97523190825441', productCode: 'SITHS-RES-2', trustLevel: '2', unitId: kardiologi },
    });
    const outcome = await callRoute(stock.action, request, harness.context);
    expect(outcome.status).toBe(400);
    const errors = (outcome.data as { errors: Record<string, string> }).errors;
    expect(sv(errors.serial as never)).toBe('Serienumret ska vara 19 siffror.');
    expect((await harness.db.select().from(cards)).length).toBe(before);
    const audit = first(await harness.db.select().from(auditEvents).orderBy(desc(auditEvents.id)).limit(1))!;
    expect(audit).toMatchObject({ action: 'reserve_card_register', outcome: 'refused' });
  });

  it('refuses a serial that is already registered with 409', async () => {
    const serial = freshSerial();
    const form = { serial, productCode: 'SITHS-RES-3', trustLevel: '3', unitId: kardiologi };
    const first = await callRoute(
      stock.action,
      await harness.request('/admin/reservkort', { as: 'kontakt', form }),
      harness.context,
    );
    expect(first.status).toBe(302);
    const second = await callRoute(
      stock.action,
      await harness.request('/admin/reservkort', { as: 'kontakt', form }),
      harness.context,
    );
    expect(second).toMatchObject({
      status: 409,
      data: { errors: { serial: 'reserveCards.error.serialTaken' } },
    });
  });

  it('refuses a threshold that is not a whole number', async () => {
    const request = await harness.request(`/admin/reservkort/enhet/${kardiologi}`, {
      as: 'kontakt',
      form: { threshold: '-3' },
    });
    const outcome = await callRoute(unitPage.action, request, harness.context, { unitId: kardiologi });
    expect(outcome).toMatchObject({
      status: 400,
      data: { errors: { threshold: 'reserveCards.error.threshold' } },
    });
  });

  it('refuses ids with control characters (a NUL PostgreSQL cannot even compare) with 400, never a 5xx', async () => {
    for (const [route, path, form] of [
      [assign.action, '/admin/reservkort/aktivera', { orderId: 'a\u0000b', cardId: 'a\u0000b' }],
      [
        assign.action,
        '/admin/reservkort/aktivera',
        { orderId: await readyReserveOrder(kardiologi), cardId: 'a\u0000b' },
      ],
      [
        stock.action,
        '/admin/reservkort',
        { serial: freshSerial(), productCode: 'SITHS-RES-2', trustLevel: '2', unitId: 'x\u0000' },
      ],
    ] as const) {
      const outcome = await callRoute(
        route,
        await harness.request(path, { as: 'kontakt', form }),
        harness.context,
      );
      expect(outcome.status, path).toBe(400);
    }
  });

  it('refuses assigning a Skövde card to a Sahlgrenska order with 403', async () => {
    const request = await harness.request('/admin/reservkort/aktivera', {
      as: 'kontakt',
      form: { orderId: await readyReserveOrder(kardiologi), cardId: await inStockCard(skovdeMedicin) },
    });
    const outcome = await callRoute(assign.action, request, harness.context);
    expect(outcome).toMatchObject({
      status: 403,
      data: { errors: { form: 'reserveCards.error.otherUnit' } },
    });
  });
});
