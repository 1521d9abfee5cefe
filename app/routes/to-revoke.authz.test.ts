import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import { first } from '../../db/engine';
import { eids, persons } from '../../db/schema';
import { demoPersons, demoProtectedPerson } from '../../db/seed';
import * as page from './admin.att-sparra';
import * as personPage from './admin.personer_.$personId';

let harness: RouteHarness;
const leftAt = new Date('2026-11-30T10:00:00Z');

beforeAll(async () => {
  harness = await createRouteHarness();
  for (const hsaId of [demoPersons.carina.hsaId, demoProtectedPerson.hsaId, demoPersons.olof.hsaId]) {
    await harness.db.update(persons).set({ leftAt }).where(eq(persons.hsaId, hsaId));
  }
  // Olof left with nothing active: he is not on the list.
  const olof = first(
    await harness.db.select().from(persons).where(eq(persons.hsaId, demoPersons.olof.hsaId)),
  );
  await harness.db
    .update(eids)
    .set({ state: 'revoked', revokedAt: leftAt, revocationReason: 'employment_ended' })
    .where(eq(eids.personId, olof?.id as string));
});

afterAll(async () => {
  await harness?.db.close();
});

async function open(as: string) {
  return callRoute(page.loader, await harness.request('/admin/att-sparra', { as }), harness.context);
}

interface Listed {
  total: number;
  leavers: {
    personId: string;
    identity: { hidden: boolean; hsaId?: string };
    activeCards: number;
    activeDevices: number;
  }[];
}

describe('Att spärra', () => {
  it('lists the persons who left with active SITHS eIDs, for ID-administrators', async () => {
    const outcome = await open('idadmin1');
    expect(outcome.status).toBe(200);
    const listed = outcome.data as Listed;
    expect(listed.total).toBe(2);
    const carina = listed.leavers.find((leaver) => leaver.identity.hsaId === demoPersons.carina.hsaId);
    expect(carina?.activeCards).toBeGreaterThanOrEqual(1);
    expect(carina?.activeDevices).toBeGreaterThanOrEqual(1);
    expect(listed.leavers.some((leaver) => leaver.identity.hsaId === demoPersons.olof.hsaId)).toBe(false);
  });

  it('shows a protected identity as hidden to an ID-administrator without the right', async () => {
    const listed = (await open('idadmin1')).data as Listed;
    const hidden = listed.leavers.filter((leaver) => leaver.identity.hidden);
    expect(hidden).toHaveLength(1);
    expect(JSON.stringify(hidden)).not.toContain(demoProtectedPerson.hsaId);
    expect(JSON.stringify(hidden)).not.toContain(demoProtectedPerson.surname);
  });

  it('leads to the person page, which says since when the person has left', async () => {
    const listed = (await open('idadmin1')).data as Listed;
    const carina = listed.leavers.find((leaver) => leaver.identity.hsaId === demoPersons.carina.hsaId);
    const profile = await callRoute(
      personPage.loader,
      await harness.request(`/admin/personer/${carina?.personId}`, { as: 'idadmin1' }),
      harness.context,
      { personId: carina?.personId as string },
    );
    expect(profile.status).toBe(200);
    expect((profile.data as { person: { leftAt: Date } }).person.leftAt).toEqual(leftAt);
  });

  it('is refused, audited, to everyone but ID-administrators', async () => {
    for (const username of ['chef', 'kontakt', 'support', 'admin']) {
      const outcome = await open(username);
      expect(outcome.status, username).toBe(403);
    }
  });
});
