import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import { first } from '../../db/engine';
import { findPersonByIdentifier } from '../../db/persons';
import { auditEvents, cards, eids } from '../../db/schema';
import { demoCards, demoPersons } from '../../db/seed';
import * as search from './admin.personer';
import * as personPage from './admin.personer_.$personId';
import * as revocation from './admin.personer_.$personId_.sparra';

let harness: RouteHarness;
let carinaId: string;
let eidIds: string[];

beforeAll(async () => {
  harness = await createRouteHarness();
  carinaId = (await findPersonByIdentifier(harness.db, demoPersons.carina.hsaId))!.id;
  const card = first(
    await harness.db.select().from(cards).where(eq(cards.serial, demoCards.activeOrdinary)).limit(1),
  )!;
  eidIds = (await harness.db.select().from(eids).where(eq(eids.cardId, card.id))).map((eid) => eid.id);
});
afterAll(async () => {
  await harness.db.close();
});

type Handler = Parameters<typeof callRoute>[0];
const staff = ['admin', 'chef', 'kontakt', 'kontakt.skovde', 'idadmin1', 'support'] as const;

// Each role against each loader and action of the persons area: the status the browser gets.
const matrix: Array<{
  name: string;
  handler: () => Handler;
  path: () => string | Promise<string>;
  form?: Record<string, string>;
  expected: Record<(typeof staff)[number], number>;
}> = [
  {
    name: 'search by HSA-id',
    handler: () => search.loader as Handler,
    path: () => `/admin/personer?q=${demoPersons.carina.hsaId}`,
    expected: { admin: 403, chef: 200, kontakt: 200, 'kontakt.skovde': 200, idadmin1: 200, support: 200 },
  },
  {
    name: "Carina's person page (Akutmottagning Sahlgrenska)",
    handler: () => personPage.loader as Handler,
    path: () => `/admin/personer/${carinaId}`,
    expected: { admin: 403, chef: 200, kontakt: 200, 'kontakt.skovde': 403, idadmin1: 200, support: 200 },
  },
  {
    name: 'the revocation page of one eID',
    handler: () => revocation.loader as Handler,
    path: () => `/admin/personer/${carinaId}/sparra?eid=${eidIds[0]}`,
    expected: { admin: 403, chef: 403, kontakt: 403, 'kontakt.skovde': 403, idadmin1: 200, support: 403 },
  },
  {
    name: 'the revocation review step',
    handler: () => revocation.action as Handler,
    path: () => `/admin/personer/${carinaId}/sparra?eid=${eidIds[0]}`,
    form: { intent: 'review', reason: 'lost' },
    expected: { admin: 403, chef: 403, kontakt: 403, 'kontakt.skovde': 403, idadmin1: 200, support: 403 },
  },
  {
    name: 'starting to sign a card revocation',
    handler: () => revocation.action as Handler,
    path: async () => `/admin/personer/${carinaId}/sparra?kort=${await cardId(demoCards.lockedOrdinary)}`,
    form: { intent: 'sign', method: 'card', reason: 'lost' },
    expected: { admin: 403, chef: 403, kontakt: 403, 'kontakt.skovde': 403, idadmin1: 200, support: 403 },
  },
];

async function cardId(serial: string): Promise<string> {
  return first(await harness.db.select().from(cards).where(eq(cards.serial, serial)).limit(1))!.id;
}

describe('persons area by role', () => {
  for (const route of matrix) {
    // idadmin1 runs last, so a confirmed revocation cannot hide a refusal of the others.
    for (const username of [...staff].sort((a, b) => Number(a === 'idadmin1') - Number(b === 'idadmin1'))) {
      const expected = route.expected[username];
      it(`${username} gets ${expected} for ${route.name}`, async () => {
        const request = await harness.request(await route.path(), { as: username, form: route.form });
        const outcome = await callRoute(route.handler(), request, harness.context, {
          personId: carinaId,
        });
        expect(outcome.status).toBe(expected);
      });
    }
    it(`sends an end user without staff roles to the login page for ${route.name}`, async () => {
      const request = await harness.request(await route.path(), { as: 'carina', form: route.form });
      const outcome = await callRoute(route.handler(), request, harness.context, { personId: carinaId });
      expect(outcome.status).toBe(302);
      expect(outcome.location).toMatch(/^\/logga-in\?redirectTo=/);
    });
  }
});

const refusals = async (action: string) =>
  await harness.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, action), eq(auditEvents.outcome, 'refused')));

describe('refusals in the persons area', () => {
  it("audits the refused person page of someone outside the contact person's units", async () => {
    const before = (await refusals('person_view')).length;
    const request = await harness.request(`/admin/personer/${carinaId}`, { as: 'kontakt.skovde' });
    expect(
      (await callRoute(personPage.loader as Handler, request, harness.context, { personId: carinaId }))
        .status,
    ).toBe(403);
    expect(await refusals('person_view')).toHaveLength(before + 1);
  });

  it("refuses a manager's direct revocation POST, audits it and leaves the eID valid", async () => {
    const before = (await refusals('eid_revoke')).length;
    const request = await harness.request(`/admin/personer/${carinaId}/sparra?eid=${eidIds[1]}`, {
      as: 'chef',
      form: { intent: 'confirm', reason: 'stolen' },
    });
    const outcome = await callRoute(revocation.action as Handler, request, harness.context, {
      personId: carinaId,
    });
    expect(outcome).toMatchObject({
      status: 403,
      data: { message: 'Du har inte behörighet till den här sidan.' },
    });
    expect(first(await harness.db.select().from(eids).where(eq(eids.id, eidIds[1]!)).limit(1))!.state).toBe(
      'active',
    );
    expect(await refusals('eid_revoke')).toHaveLength(before + 1);
  });

  it('refuses a revocation without a reason with the Swedish message next to the field', async () => {
    const request = await harness.request(`/admin/personer/${carinaId}/sparra?eid=${eidIds[1]}`, {
      as: 'idadmin1',
      form: { intent: 'confirm', reason: '' },
    });
    const outcome = await callRoute(revocation.action as Handler, request, harness.context, {
      personId: carinaId,
    });
    expect(outcome).toMatchObject({
      status: 400,
      data: { errors: { reason: 'persons.revoke.error.reason' } },
    });
    expect(first(await harness.db.select().from(eids).where(eq(eids.id, eidIds[1]!)).limit(1))!.state).toBe(
      'active',
    );
  });

  it('refuses a confirmation that names no signature, and revokes nothing', async () => {
    const request = await harness.request(`/admin/personer/${carinaId}/sparra?eid=${eidIds[1]}`, {
      as: 'idadmin1',
      form: { intent: 'confirm', reason: 'replaced' },
    });
    const outcome = await callRoute(revocation.action as Handler, request, harness.context, {
      personId: carinaId,
    });
    expect(outcome).toMatchObject({ status: 400, data: { errors: { form: 'form.error.invalid' } } });
    expect(first(await harness.db.select().from(eids).where(eq(eids.id, eidIds[1]!)).limit(1))!.state).toBe(
      'active',
    );
  });

  it('answers 404 for an eID the person in the URL does not hold', async () => {
    const olofId = (await findPersonByIdentifier(harness.db, demoPersons.olof.hsaId))!.id;
    const request = await harness.request(`/admin/personer/${olofId}/sparra?eid=${eidIds[0]}`, {
      as: 'idadmin1',
    });
    expect(
      (await callRoute(revocation.loader as Handler, request, harness.context, { personId: olofId })).status,
    ).toBe(404);
  });

  it('refuses a bad personnummer in the search with 400 and the Swedish message key', async () => {
    const request = await harness.request('/admin/personer?q=19840312-9820', { as: 'chef' });
    const outcome = await callRoute(search.loader as Handler, request, harness.context);
    expect(outcome).toMatchObject({
      status: 400,
      data: { errors: { q: 'persons.search.error.personalIdentityNumber' } },
    });
    expect((await refusals('person_search')).length).toBeGreaterThan(0);
  });

  it('masks the personnummer in search results and hides people outside scope', async () => {
    const inScope = await callRoute(
      search.loader as Handler,
      await harness.request(`/admin/personer?q=${demoPersons.carina.personalIdentityNumber}`, { as: 'chef' }),
      harness.context,
    );
    expect(inScope.data).toMatchObject({
      result: { match: { inScope: true, person: { personalIdentityNumber: '19840312-****' } } },
    });
    const outside = await callRoute(
      search.loader as Handler,
      await harness.request(`/admin/personer?q=${demoPersons.carina.hsaId}`, { as: 'kontakt.skovde' }),
      harness.context,
    );
    expect(outside.data).toMatchObject({ result: { kind: 'identifier', match: { inScope: false } } });
    expect(JSON.stringify(outside.data)).not.toContain('Carina');
  });
});
