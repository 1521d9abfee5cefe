import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import { first } from '../../db/engine';
import { newId } from '../../db/ids';
import { cards, eids, persons, personUnits, staffRoleAssignments, units, users } from '../../db/schema';
import { demoLowStockUnitHsaId } from '../../db/seed';
import * as overview from './admin._index';
import * as todo from './admin.att-gora';

const dayMs = 24 * 60 * 60 * 1000;
const hemligPnr = '197001019876';
let harness: RouteHarness;
/** A protected identity at Akutmottagning Sahlgrenska whose card and eID expire in ten days. */
let hemlig: { personId: string; cardId: string; eidId: string; serial: string };
/** Olof at Ortopedi Skövde, same. */
let skovdeCard: { personId: string; cardId: string };

beforeAll(async () => {
  harness = await createRouteHarness();
  hemlig = await holderWithExpiringCard('SE2321000131-S000000010112', 'Hemlig', true, '9752990000000000011');
  skovdeCard = await holderWithExpiringCard(demoLowStockUnitHsaId, 'Skövdebo', false, '9752990000000000029');
});
afterAll(async () => {
  await harness.db.close();
});

async function holderWithExpiringCard(
  unitHsaId: string,
  givenName: string,
  protectedIdentity: boolean,
  serial: string,
) {
  const unit = first(await harness.db.select().from(units).where(eq(units.hsaId, unitHsaId)).limit(1))!;
  const personId = newId();
  await harness.db.insert(persons).values({
    id: personId,
    hsaId: `SE2321000131-T${serial.slice(-10)}`,
    personalIdentityNumber: protectedIdentity ? hemligPnr : null,
    givenName,
    surname: 'Testsson',
    email: null,
    protectedIdentity,
  });
  await harness.db.insert(personUnits).values({ personId, unitId: unit.id });
  const cardId = newId();
  const validTo = new Date(Date.now() + 10 * dayMs);
  await harness.db.insert(cards).values({
    id: cardId,
    serial,
    kind: 'ordinary',
    productCode: 'SITHS-KORT',
    trustLevel: 3,
    state: 'active',
    holderPersonId: personId,
    unitId: unit.id,
    validFrom: new Date(Date.now() - 365 * dayMs),
    validTo,
  });
  const eidId = newId();
  await harness.db.insert(eids).values({
    id: eidId,
    personId,
    cardId,
    purpose: 'authentication',
    issuingCa: 'SITHS e-id Person ID 3 CA v1',
    certificateSerial: eidId,
    trustLevel: 3,
    validFrom: new Date(Date.now() - 365 * dayMs),
    validTo,
  });
  return { personId, cardId, eidId, serial };
}

type TodoData = Awaited<ReturnType<typeof todo.loader>>;

/** Grants or takes back protected_identity_viewer; the principal is read again on every request. */
async function setRight(username: string, holds: boolean): Promise<void> {
  const user = first(await harness.db.select().from(users).where(eq(users.username, username)).limit(1))!;
  await harness.db
    .delete(staffRoleAssignments)
    .where(
      and(
        eq(staffRoleAssignments.userId, user.id),
        eq(staffRoleAssignments.role, 'protected_identity_viewer'),
      ),
    );
  if (holds) {
    await harness.db
      .insert(staffRoleAssignments)
      .values({ id: newId(), userId: user.id, role: 'protected_identity_viewer', unitId: null });
  }
}

async function todoOf(username: string): Promise<TodoData> {
  const outcome = await callRoute(
    todo.loader,
    await harness.request('/admin/att-gora', { as: username }),
    harness.context,
  );
  expect(outcome.status).toBe(200);
  return outcome.data as TodoData;
}

describe('Att göra', () => {
  it('opens for managers and contact persons; other staff roles are refused, visitors sent to log in', async () => {
    for (const username of ['admin', 'idadmin1', 'support']) {
      const outcome = await callRoute(
        todo.loader,
        await harness.request('/admin/att-gora', { as: username }),
        harness.context,
      );
      expect(outcome.status, username).toBe(403);
    }
    for (const as of [undefined, 'carina']) {
      expect(
        await callRoute(todo.loader, await harness.request('/admin/att-gora', { as }), harness.context),
      ).toMatchObject({ status: 302, location: '/logga-in?redirectTo=%2Fadmin%2Fatt-gora' });
    }
  });

  it("never shows another unit's items", async () => {
    const skovde = await todoOf('kontakt.skovde');
    expect(skovde.cards.map((card) => card.id)).toContain(skovdeCard.cardId);
    expect(JSON.stringify(skovde)).not.toContain(hemlig.cardId);
    expect(JSON.stringify(skovde)).not.toContain(hemlig.eidId);
    expect(skovde.lowStock.map((unit) => unit.unitName)).toContain('Ortopedi Skövde');
    const sahlgrenskaUnits = (await harness.db.select().from(units)).filter((unit) =>
      unit.name.includes('Sahlgrenska'),
    );
    const seen = JSON.stringify(skovde);
    for (const unit of sahlgrenskaUnits) expect(seen).not.toContain(unit.id);

    const sahlgrenska = await todoOf('kontakt');
    expect(sahlgrenska.cards.map((card) => card.id)).toContain(hemlig.cardId);
    expect(JSON.stringify(sahlgrenska)).not.toContain(skovdeCard.cardId);
    expect(sahlgrenska.lowStock.map((unit) => unit.unitName)).not.toContain('Ortopedi Skövde');
  });

  it('shows a protected identity only as such, not even their person id, to a viewer without protected_identity_viewer', async () => {
    const page = await todoOf('kontakt');
    expect(page.cards.find((card) => card.id === hemlig.cardId)?.person).toEqual({ hidden: true });
    expect(page.eids.find((eid) => eid.id === hemlig.eidId)?.person).toEqual({ hidden: true });
    const seen = JSON.stringify(page);
    for (const trace of ['Hemlig', hemlig.personId, hemligPnr.slice(0, 8)]) expect(seen).not.toContain(trace);
  });

  it('shows a protected identity in full, marked as protected, to a holder of protected_identity_viewer', async () => {
    await setRight('kontakt', true);
    try {
      const page = await todoOf('kontakt');
      const shown = {
        hidden: false,
        protectedIdentity: true,
        personId: hemlig.personId,
        name: 'Hemlig Testsson',
        personalIdentityNumber: `${hemligPnr.slice(0, 8)}-****`,
      };
      expect(page.cards.find((card) => card.id === hemlig.cardId)?.person).toEqual(shown);
      expect(page.eids.find((eid) => eid.id === hemlig.eidId)?.person).toEqual(shown);
    } finally {
      await setRight('kontakt', false);
    }
  });

  it("leaves reserve-card stock out of a manager's list: it is the contact persons' to keep", async () => {
    const page = await todoOf('chef');
    expect(page.cards.map((card) => card.id)).toContain(hemlig.cardId);
    expect(page.lowStock).toEqual([]);
    expect(page.reserveCards).toEqual([]);
    expect(page.counts).toMatchObject({ lowStockUnits: 0, notActivatedReserveCards: 0 });
  });

  it("counts the overview's Att göra for managers and contact persons only", async () => {
    const overviewOf = async (username: string) =>
      (await callRoute(overview.loader, await harness.request('/admin', { as: username }), harness.context))
        .data as Awaited<ReturnType<typeof overview.loader>>;
    const skovde = await todoOf('kontakt.skovde');
    expect((await overviewOf('kontakt.skovde')).todo).toEqual(skovde.counts);
    expect(skovde.counts.expiringCards).toBeGreaterThanOrEqual(1);
    expect(skovde.counts.lowStockUnits).toBeGreaterThanOrEqual(1);
    expect((await overviewOf('idadmin1')).todo).toBeNull();
  });
});
