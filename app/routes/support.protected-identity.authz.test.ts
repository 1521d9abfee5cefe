import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import { findAgentById, openAgentSession, registerAgent } from '../../db/agents';
import { first } from '../../db/engine';
import { newId } from '../../db/ids';
import { createJob } from '../../db/jobs';
import { findPersonByIdentifier } from '../../db/persons';
import { personUnits, staffRoleAssignments, units, users } from '../../db/schema';
import { demoProtectedPerson } from '../../db/seed';
import * as supportList from './admin.support._index';
import * as jobPage from './admin.support.jobb.$jobId';

// Sara Lund (a protected identity at Akutmottagning Sahlgrenska) sits at her own agent, connected, with a card
// check. support sees her only while holding protected_identity_viewer.
const sara = demoProtectedPerson;
const cardSerial = '9752990000000000900';

let harness: RouteHarness;
let jobId: string;
let unitId: string;

type Handler = Parameters<typeof callRoute>[0];
type ListData = Awaited<ReturnType<typeof supportList.loader>>;
type JobData = Awaited<ReturnType<typeof jobPage.loader>>;

beforeAll(async () => {
  harness = await createRouteHarness();
  const personId = (await findPersonByIdentifier(harness.db, sara.hsaId))!.id;
  unitId = first(
    await harness.db.select().from(personUnits).where(eq(personUnits.personId, personId)).limit(1),
  )!.unitId;
  const agentId = await registerAgent(harness.db, {
    name: 'Akutens dator',
    deviceToken: 'sara-lund-agent-token-000001',
    personId,
  });
  const agent = (await findAgentById(harness.db, agentId))!;
  const agentSessionId = await openAgentSession(harness.db, { agentId, remoteAddress: null, at: new Date() });
  harness.context.agentRegistry.connect({
    agentId,
    agentSessionId,
    agentName: agent.name,
    holder: agent.holder,
    connectedAt: Date.now(),
  });
  jobId = await createJob(
    harness.db,
    {
      kind: 'card_check',
      agentId,
      agentSessionId,
      readerName: 'Virtual PCD 00 00',
      cardSerial,
      personId,
      createdByUserId: null,
      createdBySessionId: null,
    },
    new Date(),
  );
});
afterAll(async () => {
  await harness.db.close();
});

async function setRight(username: string, holds: boolean): Promise<void> {
  const id = first(await harness.db.select().from(users).where(eq(users.username, username)).limit(1))!.id;
  await harness.db
    .delete(staffRoleAssignments)
    .where(
      and(eq(staffRoleAssignments.userId, id), eq(staffRoleAssignments.role, 'protected_identity_viewer')),
    );
  if (holds) {
    await harness.db
      .insert(staffRoleAssignments)
      .values({ id: newId(), userId: id, role: 'protected_identity_viewer', unitId: null });
  }
}

async function call<Data>(handler: Handler, path: string, params = {}): Promise<Data> {
  const outcome = await callRoute(
    handler,
    await harness.request(path, { as: 'support' }),
    harness.context,
    params,
  );
  expect(outcome.status).toBe(200);
  return outcome.data as Data;
}

/** Nothing names Sara: no name, HSA-id, personnummer, and not the unit she works in. */
async function expectNoTraceOfSara(data: unknown): Promise<void> {
  const unitName = first(await harness.db.select().from(units).where(eq(units.id, unitId)).limit(1))!.name;
  const text = JSON.stringify(data);
  for (const trace of [sara.surname, sara.hsaId, sara.personalIdentityNumber.slice(0, 8)])
    expect(text).not.toContain(trace);
  // The unit picker lists every unit: only the job's own row must not name hers.
  expect(JSON.stringify((data as { jobs?: unknown; job?: unknown }).jobs ?? data)).not.toContain(unitName);
}

describe('support pages and a protected identity', () => {
  beforeEach(() => setRight('support', false));

  it('lists her agent and job as Skyddad identitet without the right, in full with it', async () => {
    const without = await call<ListData>(supportList.loader as Handler, '/admin/support');
    await expectNoTraceOfSara({ agents: without.agents, jobs: without.jobs });
    expect(without.agents.map((agent) => agent.holder)).toContainEqual({ hidden: true });
    expect(without.jobs.find((job) => job.jobId === jobId)?.holder).toEqual({ hidden: true });

    await setRight('support', true);
    const withRight = await call<ListData>(supportList.loader as Handler, '/admin/support');
    expect(withRight.agents.map((agent) => agent.holder)).toContainEqual({
      hidden: false,
      protectedIdentity: true,
      name: `${sara.givenName} ${sara.surname}`,
    });
    expect(withRight.jobs.find((job) => job.jobId === jobId)?.holder).toMatchObject({
      hidden: false,
      protectedIdentity: true,
      hsaId: sara.hsaId,
      units: [expect.objectContaining({ id: unitId })],
    });
  });

  it('finds her job by HSA-id or unit only with the right; by card serial either way', async () => {
    const found = async (query: string) =>
      (await call<ListData>(supportList.loader as Handler, `/admin/support?${query}`)).jobs.map(
        (job) => job.jobId,
      );
    expect(await found(`search=${sara.hsaId}`)).not.toContain(jobId);
    expect(await found(`unitId=${unitId}`)).not.toContain(jobId);
    expect(await found(`search=${cardSerial}`)).toContain(jobId);

    await setRight('support', true);
    expect(await found(`search=${sara.hsaId}`)).toContain(jobId);
    expect(await found(`unitId=${unitId}`)).toContain(jobId);
  });

  it('shows her job page masked without the right, in full with it', async () => {
    const path = `/admin/support/jobb/${jobId}`;
    const without = await call<JobData>(jobPage.loader as Handler, path, { jobId });
    await expectNoTraceOfSara(without);
    expect(without.job.holder).toEqual({ hidden: true });

    await setRight('support', true);
    expect((await call<JobData>(jobPage.loader as Handler, path, { jobId })).job.holder).toMatchObject({
      hidden: false,
      protectedIdentity: true,
      name: `${sara.givenName} ${sara.surname}`,
    });
  });
});
