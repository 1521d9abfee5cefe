import { and, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import { openAgentSession, registerAgent } from '../../db/agents';
import { issueSupportCode, supportCodeAttemptLimit } from '../../db/assisted-unlocks';
import { first } from '../../db/engine';
import { newId } from '../../db/ids';
import { auditEvents, cards, jobs, persons, staffRoleAssignments, users } from '../../db/schema';
import { demoPersons, demoProtectedPerson } from '../../db/seed';
import type { SupportPairingNotice } from '../../protocol/agent-events';
import type { JobOffer } from '../../protocol/jobs';
import * as startPage from './admin.las-upp-kort';
import * as assistPage from './admin.las-upp-kort_.$assistId';
import * as personPage from './admin.personer_.$personId';

/**
 * Issue 16, assisted unlock: who may pair with a user's SITHS eID-app by its support code, and what the
 * pairing may unlock. The agent here is a connection in the server's registry with the readers it reported;
 * the unlock itself, on a real card through pcscd, is e2e/assisted-unlock.spec.ts.
 */
let harness: RouteHarness;
let carinaId: string;
let olofId: string;
let carinaCard: { id: string; serial: string };
let olofCard: { id: string; serial: string };

interface FakeAgent {
  agentSessionId: string;
  offers: JobOffer[];
  notices: SupportPairingNotice[];
  setReaders(readers: { name: string; cardSerial?: string }[]): void;
}

async function personId(hsaId: string) {
  return first(await harness.db.select().from(persons).where(eq(persons.hsaId, hsaId)))!.id;
}

async function activeCardOf(holderPersonId: string) {
  return first(
    await harness.db
      .select({ id: cards.id, serial: cards.serial })
      .from(cards)
      .where(and(eq(cards.holderPersonId, holderPersonId), eq(cards.kind, 'ordinary'))),
  )!;
}

/** A connected SITHS eID-app as the server knows it: an open agent session, in the registry, with a channel. */
async function connectAgent(): Promise<FakeAgent> {
  const { db, context } = harness;
  const agentId = await registerAgent(db, { name: 'Carinas dator', deviceToken: newId() });
  const agentSessionId = await openAgentSession(db, { agentId, remoteAddress: null, at: new Date() });
  const offers: JobOffer[] = [];
  const notices: SupportPairingNotice[] = [];
  context.agentConnections.add({
    agentId,
    agentSessionId,
    offerJob: async (offer) => {
      offers.push(offer);
      return { accepted: true };
    },
    cancelJob: () => {},
    sendMessage: () => {},
    notifyPairing: (notice) => notices.push(notice),
    replace: () => {},
  });
  context.agentRegistry.connect({
    agentId,
    agentSessionId,
    agentName: 'Carinas dator',
    holder: null,
    connectedAt: Date.now(),
  });
  return {
    agentSessionId,
    offers,
    notices,
    setReaders: (readers) =>
      context.agentRegistry.readersChanged(
        agentSessionId,
        readers.map((reader) => ({ ...reader, cardPresent: true })),
      ),
  };
}

async function codeFor(agent: FakeAgent) {
  const agentRow = harness.context.agentRegistry
    .list()
    .find((view) => view.agentSessionId === agent.agentSessionId)!;
  return (
    await issueSupportCode(harness.db, {
      agentId: agentRow.agentId,
      agentSessionId: agent.agentSessionId,
      secret: harness.context.masterKey,
      now: new Date(),
    })
  ).code;
}

async function pair(as: string, form: Record<string, string>) {
  return callRoute(
    startPage.action,
    await harness.request('/admin/las-upp-kort', { as, form: { intent: 'pair', ...form } }),
    harness.context,
  );
}

async function onAssist(as: string, assistId: string, form?: Record<string, string>) {
  const request = await harness.request(`/admin/las-upp-kort/${assistId}`, { as, ...(form ? { form } : {}) });
  return callRoute(form ? assistPage.action : assistPage.loader, request, harness.context, { assistId });
}

async function pairedAssist(as = 'idadmin1') {
  const agent = await connectAgent();
  const outcome = await pair(as, { supportCode: await codeFor(agent), person: demoPersons.carina.hsaId });
  expect(outcome.status).toBe(302);
  return { agent, assistId: outcome.location!.split('/').pop()! };
}

const startForm = (readerName: string, extra: Record<string, string> = {}) => ({
  intent: 'start',
  readerName,
  method: 'id_document',
  documentType: 'passport',
  documentNumberEnd: '4711',
  ...extra,
});

async function lastAudit(action: string) {
  return first(
    await harness.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, action))
      .orderBy(desc(auditEvents.id))
      .limit(1),
  );
}

beforeAll(async () => {
  harness = await createRouteHarness();
  carinaId = await personId(demoPersons.carina.hsaId);
  olofId = await personId(demoPersons.olof.hsaId);
  carinaCard = await activeCardOf(carinaId);
  olofCard = await activeCardOf(olofId);
});

beforeEach(async () => {
  await harness.db.update(cards).set({ state: 'locked' }).where(eq(cards.id, carinaCard.id));
});

afterAll(async () => {
  await harness?.db.close();
});

describe('Lås upp kort med användaren i telefon', () => {
  it('is refused, audited, to roles without the right, and open to ID-administrators and unlock assistants', async () => {
    for (const username of ['chef', 'kontakt', 'admin', 'support']) {
      const outcome = await callRoute(
        startPage.loader,
        await harness.request('/admin/las-upp-kort', { as: username }),
        harness.context,
      );
      expect(outcome.status, username).toBe(403);
      const refused = await pair(username, { supportCode: '123456', person: demoPersons.carina.hsaId });
      expect(refused.status, username).toBe(403);
      expect((await lastAudit('open_assistedUnlock'))?.outcome).toBe('refused');
    }
    const support = first(await harness.db.select().from(users).where(eq(users.username, 'support')))!;
    await harness.db
      .insert(staffRoleAssignments)
      .values({ id: newId(), userId: support.id, role: 'unlock_assistant', unitId: null });
    try {
      for (const username of ['idadmin1', 'support']) {
        const outcome = await callRoute(
          startPage.loader,
          await harness.request('/admin/las-upp-kort', { as: username }),
          harness.context,
        );
        expect(outcome.status, username).toBe(200);
      }
    } finally {
      await harness.db
        .delete(staffRoleAssignments)
        .where(
          and(eq(staffRoleAssignments.userId, support.id), eq(staffRoleAssignments.role, 'unlock_assistant')),
        );
    }
  });

  it('pairs with the app that showed the code and tells the user who is connected', async () => {
    const { agent, assistId } = await pairedAssist();
    expect(agent.notices).toEqual([{ state: 'paired', staffName: 'Lars Eriksson' }]);
    agent.setReaders([{ name: 'Läsare 1', cardSerial: carinaCard.serial }, { name: 'Läsare 2' }]);
    const page = await onAssist('idadmin1', assistId);
    expect(page.status).toBe(200);
    expect(page.data).toMatchObject({
      person: { id: carinaId },
      readers: [
        { name: 'Läsare 1', cardSerial: carinaCard.serial, status: 'unlockable' },
        { name: 'Läsare 2', cardSerial: null, status: 'unread' },
      ],
    });
    expect((await lastAudit('assisted_unlock_pair'))?.outcome).toBe('success');
  });

  it('refuses a wrong, used or expired code and an unknown or protected person, in Swedish, audited', async () => {
    const agent = await connectAgent();
    const code = await codeFor(agent);
    const wrong = code === '000000' ? '111111' : '000000';
    const cases: [Record<string, string>, number, RegExp][] = [
      [{ supportCode: wrong, person: demoPersons.carina.hsaId }, 404, /Supportkoden finns inte/],
      [{ supportCode: '12ab', person: demoPersons.carina.hsaId }, 400, /sex siffror/],
      [{ supportCode: code, person: 'SE2321000131-P999999999999' }, 404, /Personen finns inte/],
      // Sara Lund is nobody to an ID-administrator without the right to protected identities.
      [{ supportCode: code, person: demoProtectedPerson.hsaId }, 404, /Personen finns inte/],
    ];
    for (const [form, status, message] of cases) {
      const outcome = await pair('idadmin1', form);
      expect(outcome.status, JSON.stringify(form)).toBe(status);
      expect((outcome.data as { message: string }).message).toMatch(message);
      expect((await lastAudit('assisted_unlock_pair'))?.outcome).toBe('refused');
    }
    expect((await pair('idadmin1', { supportCode: code, person: demoPersons.carina.hsaId })).status).toBe(
      302,
    );
    const used = await pair('idadmin2', { supportCode: code, person: demoPersons.carina.hsaId });
    expect(used.status).toBe(409);
    expect((used.data as { message: string }).message).toMatch(/redan använd/);

    const expiring = await connectAgent();
    const agentId = harness.context.agentRegistry
      .list()
      .find((view) => view.agentSessionId === expiring.agentSessionId)!.agentId;
    const old = await issueSupportCode(harness.db, {
      agentId,
      agentSessionId: expiring.agentSessionId,
      secret: harness.context.masterKey,
      now: new Date(Date.now() - 6 * 60_000),
    });
    const expired = await pair('idadmin2', { supportCode: old.code, person: demoPersons.carina.hsaId });
    expect(expired.status).toBe(409);
    expect((expired.data as { message: string }).message).toMatch(/gått ut/);
    expect(expiring.notices).toEqual([]);
  });

  it('pauses a staff member after too many codes that match nothing', async () => {
    const agent = await connectAgent();
    const code = await codeFor(agent);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let attempt = 0; attempt < supportCodeAttemptLimit; attempt += 1)
      expect((await pair('idadmin2', { supportCode: wrong, person: demoPersons.carina.hsaId })).status).toBe(
        404,
      );
    const paused = await pair('idadmin2', { supportCode: code, person: demoPersons.carina.hsaId });
    expect(paused.status).toBe(429);
    expect((paused.data as { message: string }).message).toMatch(/För många/);
  });

  it('shows a pairing to the staff member who made it only', async () => {
    const { assistId } = await pairedAssist('idadmin1');
    expect((await onAssist('idadmin2', assistId)).status).toBe(404);
    expect((await onAssist('idadmin2', assistId, startForm('Läsare 1'))).status).toBe(404);
    expect((await lastAudit('assisted_unlock_view'))?.detail).toMatchObject({ reason: 'other_staff_member' });
  });

  it('refuses a card that is not the person’s, a revoked card, an empty reader and a missing identity check', async () => {
    const { agent, assistId } = await pairedAssist();
    agent.setReaders([
      { name: 'Olofs läsare', cardSerial: olofCard.serial },
      { name: 'Tom läsare' },
      { name: 'Carinas läsare', cardSerial: carinaCard.serial },
    ]);
    const cases: [Record<string, string>, number, RegExp][] = [
      [startForm('Olofs läsare'), 409, /tillhör inte personen/],
      [startForm('Tom läsare'), 409, /inget läsbart kort/],
      [startForm('Carinas läsare', { documentNumberEnd: '' }), 400, /fyra sista/],
      [startForm('Carinas läsare', { method: 'telepathy' }), 400, /ofullständiga/],
    ];
    for (const [form, status, message] of cases) {
      const outcome = await onAssist('idadmin1', assistId, form);
      expect(outcome.status, JSON.stringify(form)).toBe(status);
      expect((outcome.data as { message: string }).message).toMatch(message);
    }
    await harness.db.update(cards).set({ state: 'revoked' }).where(eq(cards.id, carinaCard.id));
    const revoked = await onAssist('idadmin1', assistId, startForm('Carinas läsare'));
    expect(revoked.status).toBe(409);
    expect((revoked.data as { message: string }).message).toMatch(/spärrat/);
    expect(agent.offers).toEqual([]);
    expect((await lastAudit('assisted_unlock_start'))?.outcome).toBe('refused');
  });

  it('starts one unlock of the person’s card that names the staff member, and the person page lists it', async () => {
    const { agent, assistId } = await pairedAssist();
    agent.setReaders([{ name: 'Carinas läsare', cardSerial: carinaCard.serial }]);
    const started = await onAssist(
      'idadmin1',
      assistId,
      startForm('Carinas läsare', { documentNumberEnd: 'ab12' }),
    );
    expect(started.status).toBe(200);
    await expect.poll(() => agent.offers.length).toBe(1);
    expect(agent.offers[0]).toMatchObject({
      kind: 'unlock',
      cardSerial: carinaCard.serial,
      readerName: 'Carinas läsare',
      assistedBy: 'Lars Eriksson',
    });
    const job = first(await harness.db.select().from(jobs).where(eq(jobs.id, agent.offers[0]!.jobId)))!;
    expect(job).toMatchObject({ assistedUnlockId: assistId, personId: carinaId });
    expect((await lastAudit('assisted_unlock_start'))?.detail).toMatchObject({
      identityCheck: 'id_document',
      documentType: 'passport',
      documentNumberEnd: 'AB12',
    });
    // One unlock at a time from a pairing.
    const again = await onAssist('idadmin1', assistId, startForm('Carinas läsare'));
    expect(again.status).toBe(409);

    const profile = await callRoute(
      personPage.loader,
      await harness.request(`/admin/personer/${carinaId}`, { as: 'idadmin1' }),
      harness.context,
      { personId: carinaId },
    );
    expect((profile.data as { assistedUnlocks: unknown[] }).assistedUnlocks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: assistId, staffName: 'Lars Eriksson', documentNumberEnd: 'AB12' }),
      ]),
    );
    // Ending the pairing ends the unlock still running from it.
    expect((await onAssist('idadmin1', assistId, { intent: 'end' })).status).toBe(302);
    expect(first(await harness.db.select().from(jobs).where(eq(jobs.id, job.id)))).toMatchObject({
      state: 'cancelled',
    });
  });

  it('ends the pairing and tells the app', async () => {
    const { agent, assistId } = await pairedAssist();
    const ended = await onAssist('idadmin1', assistId, { intent: 'end' });
    expect(ended.status).toBe(302);
    expect(ended.location).toBe(`/admin/personer/${carinaId}`);
    expect(agent.notices.at(-1)).toEqual({ state: 'ended', staffName: 'Lars Eriksson' });
    agent.setReaders([{ name: 'Carinas läsare', cardSerial: carinaCard.serial }]);
    expect((await onAssist('idadmin1', assistId, startForm('Carinas läsare'))).status).toBe(409);
  });
});
