import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import { registerAgent } from '../../db/agents';
import { first } from '../../db/engine';
import { newId } from '../../db/ids';
import { agentEnrolmentCodes, agentSessions, agents, auditEvents, jobs, persons } from '../../db/schema';
import { demoAgentId, demoProtectedPerson } from '../../db/seed';
import * as listPage from './admin.datorer';
import * as computerPage from './admin.datorer_.$agentId';

/**
 * Issue 17, "Datorer med SITHS eID-app": who may see the computers, create enrolment codes, rename and revoke.
 * Support sees the list and creates a code for one named computer; everything else is the system
 * administrator's. The agent's own side of enrolment and revocation is the lead's (server/sockets).
 */
let harness: RouteHarness;
const disconnected: string[] = [];

interface Answer {
  ok?: boolean;
  message?: string;
  reason?: string;
  errors?: Record<string, string>;
  created?: { code: string; expiresAt: number; computerName: string | null; usesAllowed: number };
}

async function onList(as: string, form?: Record<string, string>, search = '') {
  const request = await harness.request(`/admin/datorer${search}`, { as, ...(form ? { form } : {}) });
  return callRoute(form ? listPage.action : listPage.loader, request, harness.context);
}

async function onComputer(as: string, agentId: string, form?: Record<string, string>) {
  const request = await harness.request(`/admin/datorer/${agentId}`, { as, ...(form ? { form } : {}) });
  return callRoute(form ? computerPage.action : computerPage.loader, request, harness.context, { agentId });
}

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

const singleCode = (computerName = 'Mottagningen 3, rum 12') => ({
  intent: 'create_code',
  computerName,
  validHours: '8',
});
const batchCode = (count = '40') => ({ intent: 'create_batch', count, validDays: '7' });

async function newComputer(name: string) {
  return registerAgent(harness.db, { name, deviceToken: newId() });
}

beforeAll(async () => {
  harness = await createRouteHarness();
  harness.context.agentAccess.bind((agentId) => disconnected.push(agentId));
});

afterAll(async () => {
  await harness?.db.close();
});

describe('Datorer med SITHS eID-app', () => {
  it('is refused, audited, to managers, contact persons and ID-administrators', async () => {
    const agentId = await newComputer('Förbjuden dator');
    for (const username of ['chef', 'kontakt', 'idadmin1']) {
      const attempts = [
        await onList(username),
        await onList(username, singleCode()),
        await onComputer(username, agentId),
        await onComputer(username, agentId, { intent: 'revoke' }),
      ];
      expect(
        attempts.map((outcome) => outcome.status),
        username,
      ).toEqual([403, 403, 403, 403]);
      expect((attempts[0]!.data as Answer).message).toMatch(/behörighet/i);
      expect(await lastAudit('open_computers')).toMatchObject({ outcome: 'refused', actorLabel: username });
    }
    expect(first(await harness.db.select().from(agents).where(eq(agents.id, agentId)))?.revokedAt).toBeNull();
    expect(await harness.db.select().from(agentEnrolmentCodes)).toEqual([]);
  });

  it('lets support see the list and create a code for one named computer, not a batch, rename or revoke', async () => {
    const list = await onList('support');
    expect(list.status).toBe(200);
    expect(list.data).toMatchObject({ administers: false });
    const created = await onList('support', singleCode('Akuten rum 4'));
    expect(created.status).toBe(200);
    expect((created.data as Answer).created).toMatchObject({ computerName: 'Akuten rum 4', usesAllowed: 1 });

    const batch = await onList('support', batchCode());
    expect(batch.status).toBe(403);
    expect(await lastAudit('agent_enrolment_code_created')).toMatchObject({
      outcome: 'refused',
      actorLabel: 'support',
      detail: expect.objectContaining({ reason: 'missing_role' }),
    });
    const agentId = await newComputer('Supportens dator');
    expect((await onComputer('support', agentId)).status).toBe(200);
    expect((await onComputer('support', agentId, { intent: 'revoke' })).status).toBe(403);
    expect((await lastAudit('agent_revoked'))?.outcome).toBe('refused');
    expect((await onComputer('support', agentId, { intent: 'rename', name: 'Nytt' })).status).toBe(403);
    expect((await lastAudit('agent_renamed'))?.outcome).toBe('refused');
    const row = first(await harness.db.select().from(agents).where(eq(agents.id, agentId)))!;
    expect(row).toMatchObject({ name: 'Supportens dator', revokedAt: null });
    expect(disconnected).not.toContain(agentId);
  });

  it('shows a new code once; the database keeps only its hash and the audit never names it', async () => {
    const outcome = await onList('admin', batchCode('25'));
    expect(outcome.status).toBe(200);
    const { code, usesAllowed, computerName } = (outcome.data as Answer).created!;
    expect(code).toMatch(/^[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}$/);
    expect({ usesAllowed, computerName }).toEqual({ usesAllowed: 25, computerName: null });
    const raw = code.replaceAll('-', '');
    const stored = await harness.db.select().from(agentEnrolmentCodes);
    expect(stored.some((row) => row.usesAllowed === 25)).toBe(true);
    expect(JSON.stringify(stored)).not.toContain(raw);
    const audit = await lastAudit('agent_enrolment_code_created');
    expect(audit).toMatchObject({ outcome: 'success', detail: expect.objectContaining({ batchSize: 25 }) });
    expect(JSON.stringify(audit)).not.toContain(raw);
    // The page lists the code by what it is for, never the code again.
    const page = await onList('admin');
    expect(JSON.stringify(page.data)).not.toContain(raw);
    expect((page.data as { codes: { computerName: string | null; usesAllowed: number }[] }).codes).toEqual(
      expect.arrayContaining([expect.objectContaining({ computerName: null, usesAllowed: 25 })]),
    );
  });

  it('renames and revokes a computer, closing its connection at once, audited', async () => {
    const agentId = await newComputer('Gammalt namn');
    const renamed = await onComputer('admin', agentId, { intent: 'rename', name: '  Akuten rum 7  ' });
    expect(renamed).toMatchObject({ status: 302, location: `/admin/datorer/${agentId}?klart=namn` });
    expect(await lastAudit('agent_renamed')).toMatchObject({
      outcome: 'success',
      objectId: agentId,
      detail: { from: 'Gammalt namn', to: 'Akuten rum 7' },
    });
    const revoked = await onComputer('admin', agentId, { intent: 'revoke' });
    expect(revoked.status).toBe(302);
    const row = first(await harness.db.select().from(agents).where(eq(agents.id, agentId)))!;
    expect(row.revokedAt).toBeInstanceOf(Date);
    expect(row.name).toBe('Akuten rum 7');
    expect(disconnected).toContain(agentId);
    expect(await lastAudit('agent_revoked')).toMatchObject({ outcome: 'success', objectId: agentId });
    const page = await onComputer('admin', agentId);
    expect(page.data).toMatchObject({ computer: { revokedBy: 'Systemadministratör', connected: false } });

    const again = await onComputer('admin', agentId, { intent: 'revoke' });
    expect(again.status).toBe(409);
    expect((again.data as Answer).message).toBe('Datorn är redan spärrad.');
    // A revoked computer keeps the name it was revoked under: what the audit trail and the list call it.
    const renamedAfter = await onComputer('admin', agentId, { intent: 'rename', name: 'Något annat' });
    expect(renamedAfter.status).toBe(409);
    expect((renamedAfter.data as Answer).message).toBe('Datorn är redan spärrad.');
    expect(await lastAudit('agent_renamed')).toMatchObject({
      outcome: 'refused',
      detail: { reason: 'already_revoked' },
    });
    expect(first(await harness.db.select().from(agents).where(eq(agents.id, agentId)))!.name).toBe(
      'Akuten rum 7',
    );
  });

  it('refuses bad input with 400 in Swedish, audited, and changes nothing', async () => {
    const agentId = await newComputer('Oförändrad');
    const cases: [() => Promise<{ status: number; data: unknown }>, RegExp][] = [
      [() => onList('admin', singleCode('   ')), /Ange datorns namn/],
      [() => onList('admin', singleCode('x'.repeat(101))), /högst 100 tecken/],
      [() => onList('admin', singleCode('Dator\u202egpj.exe')), /tecken/],
      [() => onList('admin', { ...singleCode(), validHours: '48' }), /hur länge/],
      [() => onList('admin', batchCode('1')), /från 2 till 5 000/],
      [() => onList('admin', batchCode('5001')), /från 2 till 5 000/],
      [() => onList('admin', batchCode('tio')), /från 2 till 5 000/],
      [() => onList('admin', { intent: 'drop_table' }), /ofullständiga/],
      [() => onComputer('admin', agentId, { intent: 'rename', name: '' }), /Ange datorns namn/],
      [() => onComputer('admin', agentId, { intent: 'explode' }), /ofullständiga/],
    ];
    const codesBefore = (await harness.db.select().from(agentEnrolmentCodes)).length;
    for (const [attempt, message] of cases) {
      const outcome = await attempt();
      expect(outcome.status, String(message)).toBe(400);
      expect((outcome.data as Answer).message).toMatch(message);
    }
    expect(await lastAudit('agent_renamed')).toMatchObject({
      outcome: 'refused',
      detail: expect.objectContaining({ reason: 'invalid_input' }),
    });
    expect((await harness.db.select().from(agentEnrolmentCodes)).length).toBe(codesBefore);
    expect(first(await harness.db.select().from(agents).where(eq(agents.id, agentId)))?.name).toBe(
      'Oförändrad',
    );
  });

  it('answers an unknown computer with 404, audited', async () => {
    const view = await onComputer('admin', 'no-such-agent');
    expect(view.status).toBe(404);
    expect((view.data as Answer).message).toBe('Datorn finns inte.');
    expect(await lastAudit('agent_view')).toMatchObject({ outcome: 'refused', objectId: 'no-such-agent' });
    const forms: Record<string, string>[] = [{ intent: 'revoke' }, { intent: 'rename', name: 'Finns inte' }];
    for (const form of forms) {
      const outcome = await onComputer('admin', 'no-such-agent', form);
      expect(outcome.status).toBe(404);
      expect((outcome.data as Answer).message).toBe('Datorn finns inte.');
    }
    expect(disconnected).not.toContain('no-such-agent');
  });

  it('lets support withdraw their own code but not the administrator’s', async () => {
    const mine = (await onList('support', singleCode('Supportens kod'))).data as Answer;
    const theirs = (await onList('admin', singleCode('Administratörens kod'))).data as Answer;
    const idOf = async (name: string) =>
      first(
        await harness.db
          .select({ id: agentEnrolmentCodes.id })
          .from(agentEnrolmentCodes)
          .where(eq(agentEnrolmentCodes.computerName, name)),
      )!.id;
    expect(mine.created && theirs.created).toBeTruthy();
    const refused = await onList('support', {
      intent: 'withdraw_code',
      codeId: await idOf('Administratörens kod'),
    });
    expect(refused.status).toBe(403);
    expect((refused.data as Answer).message).toMatch(/själv har skapat/);
    expect(await lastAudit('agent_enrolment_code_withdrawn')).toMatchObject({ outcome: 'refused' });
    const withdrawn = await onList('support', {
      intent: 'withdraw_code',
      codeId: await idOf('Supportens kod'),
    });
    expect(withdrawn.status).toBe(200);
    expect(await lastAudit('agent_enrolment_code_withdrawn')).toMatchObject({ outcome: 'success' });
    const again = await onList('admin', { intent: 'withdraw_code', codeId: await idOf('Supportens kod') });
    expect(again.status).toBe(409);
    const unknown = await onList('admin', { intent: 'withdraw_code', codeId: 'no-such-code' });
    expect(unknown.status).toBe(404);
  });

  it('hides a protected last user from support, badges outdated versions and filters on them', async () => {
    const sara = first(
      await harness.db.select().from(persons).where(eq(persons.hsaId, demoProtectedPerson.hsaId)),
    )!;
    await harness.db.insert(jobs).values({
      id: newId(),
      kind: 'card_check',
      state: 'succeeded',
      agentId: demoAgentId,
      personId: sara.id,
      createdAt: new Date(),
      finishedAt: new Date(),
    });
    await harness.db.insert(agentSessions).values({
      id: newId(),
      agentId: demoAgentId,
      connectedAt: new Date(),
      agentVersion: '0.0.1',
      hostname: 'demo-host',
    });
    const view = await onComputer('support', demoAgentId);
    expect(view.data).toMatchObject({
      computer: { lastUser: { hidden: true }, agentVersion: '0.0.1', verdict: 'outdated', connected: true },
    });
    expect(JSON.stringify(view.data)).not.toContain(sara.surname);

    const outdated = await onList('support', undefined, '?state=outdated');
    const ids = (outdated.data as { computers: { id: string }[] }).computers.map((computer) => computer.id);
    expect(ids).toEqual([demoAgentId]);
    const current = await onList('support', undefined, '?state=outdated&q=ingen-s%C3%A5dan');
    expect((current.data as { computers: unknown[] }).computers).toEqual([]);
    await harness.db
      .update(agentSessions)
      .set({ disconnectedAt: new Date() })
      .where(eq(agentSessions.agentId, demoAgentId));
  });
});
