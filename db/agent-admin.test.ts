import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../test-support/test-database';
import {
  findComputer,
  listComputerSessions,
  listComputers,
  listEnrolmentCodes,
  renameAgent,
  reportedAgentVersions,
  withdrawEnrolmentCode,
} from './agent-admin';
import { createEnrolmentCode, revokeAgent } from './agent-enrolment';
import type { AppDatabase } from './connection';
import { seesEveryIdentity, seesNoProtectedIdentity } from './protected-identity';
import { agentEnrolmentCodes, agentSessions, agents, jobs, persons, users } from './schema';

const secret = randomBytes(32);
const now = new Date('2026-12-03T10:00:00Z');
const at = (minutes: number) => new Date(now.getTime() + minutes * 60_000);

let db: AppDatabase;

async function computer(input: { id: string; name: string; enrolledByUserId?: string }) {
  await db.insert(agents).values({
    id: input.id,
    name: input.name,
    deviceTokenHash: `token-${input.id}`,
    enrolledAt: input.enrolledByUserId ? at(-60) : null,
    enrolledByUserId: input.enrolledByUserId ?? null,
  });
}

async function session(
  agentId: string,
  input: { id: string; connectedAt: Date; open?: boolean; version?: string; hostname?: string; os?: string },
) {
  await db.insert(agentSessions).values({
    id: input.id,
    agentId,
    connectedAt: input.connectedAt,
    disconnectedAt: input.open ? null : new Date(input.connectedAt.getTime() + 60_000),
    remoteAddress: '10.0.0.7',
    agentVersion: input.version ?? null,
    hostname: input.hostname ?? null,
    os: input.os ?? null,
  });
  await db.update(agents).set({ lastSeenAt: input.connectedAt }).where(eq(agents.id, agentId));
}

async function job(id: string, agentId: string, personId: string | null, createdAt: Date) {
  await db.insert(jobs).values({
    id,
    kind: 'card_check',
    state: 'succeeded',
    agentId,
    personId,
    createdAt,
    finishedAt: createdAt,
  });
}

const page = { page: 1, pageSize: 50 };
const names = async (query: Parameters<typeof listComputers>[1], viewer = seesEveryIdentity) =>
  (await listComputers(db, query, viewer)).computers.map((shown) => shown.name);

beforeEach(async () => {
  db = await openTestDatabase();
  await db.insert(users).values([
    { id: 'sysadmin-1', username: 'sysadmin1', displayName: 'Sam Admin' },
    { id: 'support-1', username: 'support1', displayName: 'Siv Support' },
  ]);
  await db.insert(persons).values([
    { id: 'p-carina', hsaId: 'SE-P1', givenName: 'Carina', surname: 'Ek' },
    { id: 'p-olof', hsaId: 'SE-P2', givenName: 'Olof', surname: 'Ås' },
    { id: 'p-sara', hsaId: 'SE-P3', givenName: 'Sara', surname: 'Lund', protectedIdentity: true },
  ]);
  await computer({ id: 'a-1', name: 'Mottagningen Östra 3', enrolledByUserId: 'sysadmin-1' });
  await computer({ id: 'a-2', name: 'Akuten rum 12', enrolledByUserId: 'support-1' });
  await computer({ id: 'a-3', name: 'Demodatorn' });
  await session('a-1', { id: 's-1a', connectedAt: at(-30), version: '0.1.0', hostname: 'pc-old' });
  await session('a-1', {
    id: 's-1b',
    connectedAt: at(-5),
    open: true,
    version: '0.2.0',
    hostname: 'PC-ÖSTRA-0042',
    os: 'Debian 12',
  });
  await session('a-2', { id: 's-2', connectedAt: at(-20), version: '0.1.0', hostname: 'akut-12' });
  await job('j-1', 'a-1', 'p-carina', at(-20));
  await job('j-2', 'a-1', 'p-sara', at(-4));
  await job('j-3', 'a-1', null, at(-3));
  await job('j-4', 'a-2', 'p-olof', at(-19));
});
afterEach(async () => {
  await db.close();
});

describe('the computer list', () => {
  it('shows each computer with its latest connection, the person of its latest job and who enrolled it', async () => {
    const { computers, hasNextPage } = await listComputers(db, { state: 'all', ...page }, seesEveryIdentity);
    expect(hasNextPage).toBe(false);
    expect(computers.map((shown) => shown.name)).toEqual([
      'Akuten rum 12',
      'Demodatorn',
      'Mottagningen Östra 3',
    ]);
    expect(computers[2]).toMatchObject({
      agentVersion: '0.2.0',
      hostname: 'PC-ÖSTRA-0042',
      os: 'Debian 12',
      remoteAddress: '10.0.0.7',
      connected: true,
      lastSeenAt: at(-5),
      enrolledBy: 'Sam Admin',
      // The job without a person does not count: Sara's was the latest with one.
      lastUser: { hidden: false, name: 'Sara Lund', protectedIdentity: true },
      revokedAt: null,
    });
    expect(computers[0]).toMatchObject({ connected: false, lastUser: { name: 'Olof Ås' } });
    expect(computers[1]).toMatchObject({
      connected: false,
      lastUser: null,
      agentVersion: null,
      enrolledBy: null,
    });
  });

  it('shows a protected last user as hidden to a viewer without the right', async () => {
    const shown = await findComputer(db, 'a-1', seesNoProtectedIdentity);
    expect(shown?.lastUser).toEqual({ hidden: true });
    expect(JSON.stringify(shown)).not.toContain('Sara');
  });

  it('filters by connected, not connected and revoked; a revoked computer is not connected', async () => {
    expect(await names({ state: 'connected', ...page })).toEqual(['Mottagningen Östra 3']);
    expect(await names({ state: 'not_connected', ...page })).toEqual(['Akuten rum 12', 'Demodatorn']);
    expect(await names({ state: 'revoked', ...page })).toEqual([]);
    expect(await revokeAgent(db, { agentId: 'a-1', byUserId: 'sysadmin-1', now })).toBe(true);
    expect(await names({ state: 'connected', ...page })).toEqual([]);
    expect(await names({ state: 'revoked', ...page })).toEqual(['Mottagningen Östra 3']);
    expect(await findComputer(db, 'a-1', seesEveryIdentity)).toMatchObject({
      connected: false,
      revokedAt: now,
      revokedBy: 'Sam Admin',
    });
  });

  it('searches names and host names in any case, Å, Ä and Ö included, and wildcards are plain text', async () => {
    expect(await names({ state: 'all', search: 'östra', ...page })).toEqual(['Mottagningen Östra 3']);
    expect(await names({ state: 'all', search: 'pc-östra', ...page })).toEqual(['Mottagningen Östra 3']);
    expect(await names({ state: 'all', search: 'AKUT', ...page })).toEqual(['Akuten rum 12']);
    expect(await names({ state: 'all', search: 'rum 1', ...page })).toEqual(['Akuten rum 12']);
    for (const wildcard of ['%', '_', '*', '?', '[', ']', '^', '.', '\\', 'a*n', '[a-z]'])
      expect(await names({ state: 'all', search: wildcard, ...page }), wildcard).toEqual([]);
    // The host name of an earlier connection is not the computer's.
    expect(await names({ state: 'all', search: 'pc-old', ...page })).toEqual([]);
  });

  it('filters by the versions the route finds outdated, and lists the versions in use', async () => {
    expect((await reportedAgentVersions(db)).sort()).toEqual(['0.1.0', '0.2.0']);
    expect(await names({ state: 'all', versions: ['0.1.0'], ...page })).toEqual(['Akuten rum 12']);
    expect(await names({ state: 'all', versions: [], ...page })).toEqual([]);
  });

  it('pages', async () => {
    const first = await listComputers(db, { state: 'all', page: 1, pageSize: 2 }, seesEveryIdentity);
    const second = await listComputers(db, { state: 'all', page: 2, pageSize: 2 }, seesEveryIdentity);
    expect(first.hasNextPage).toBe(true);
    expect(second.hasNextPage).toBe(false);
    expect(second.computers.map((shown) => shown.name)).toEqual(['Mottagningen Östra 3']);
  });

  it('lists a computer’s connections, newest first', async () => {
    const sessions = await listComputerSessions(db, 'a-1');
    expect(sessions.map((shown) => [shown.id, shown.disconnectedAt === null])).toEqual([
      ['s-1b', true],
      ['s-1a', false],
    ]);
  });
});

describe('renaming a computer', () => {
  it('trims the name and keeps 1 to 100 characters', async () => {
    expect(await renameAgent(db, { agentId: 'a-2', name: '  Akuten rum 14 ' })).toEqual({
      ok: true,
      from: 'Akuten rum 12',
      to: 'Akuten rum 14',
    });
    expect(await renameAgent(db, { agentId: 'a-2', name: '   ' })).toEqual({
      ok: false,
      reason: 'invalid_name',
    });
    expect(await renameAgent(db, { agentId: 'a-2', name: 'x'.repeat(101) })).toEqual({
      ok: false,
      reason: 'invalid_name',
    });
    expect(await renameAgent(db, { agentId: 'nope', name: 'Ny' })).toEqual({
      ok: false,
      reason: 'unknown_agent',
    });
    expect((await findComputer(db, 'a-2', seesEveryIdentity))?.name).toBe('Akuten rum 14');
  });
});

describe('enrolment codes', () => {
  const create = (computerName: string | null, usesAllowed: number, createdByUserId = 'sysadmin-1') =>
    createEnrolmentCode(db, {
      createdByUserId,
      computerName,
      usesAllowed,
      validForMs: 60 * 60_000,
      secret,
      now,
    });

  it('are listed without the code, with their state, and withdrawn once', async () => {
    const single = await create('Mottagningen 3', 1, 'support-1');
    const batch = await create(null, 40);
    const listed = await listEnrolmentCodes(db, { now: at(1) });
    expect(JSON.stringify(listed)).not.toContain(single.code.replaceAll('-', ''));
    expect(listed.map((code) => [code.computerName, code.usesAllowed, code.createdBy, code.state])).toEqual(
      expect.arrayContaining([
        ['Mottagningen 3', 1, 'Siv Support', 'usable'],
        [null, 40, 'Sam Admin', 'usable'],
      ]),
    );
    expect(await withdrawEnrolmentCode(db, { codeId: batch.id, now: at(2) })).toMatchObject({ ok: true });
    expect(await withdrawEnrolmentCode(db, { codeId: batch.id, now: at(3) })).toEqual({
      ok: false,
      reason: 'code_not_usable',
    });
    expect(await withdrawEnrolmentCode(db, { codeId: 'nope', now: at(3) })).toEqual({
      ok: false,
      reason: 'unknown_code',
    });
    const stored = await db.select().from(agentEnrolmentCodes).where(eq(agentEnrolmentCodes.id, batch.id));
    expect(stored[0]?.withdrawnAt).toEqual(at(2));
    // An expired code is left as it is.
    const later = await listEnrolmentCodes(db, { now: at(61) });
    expect(Object.fromEntries(later.map((code) => [code.id, code.state]))).toEqual({
      [batch.id]: 'withdrawn',
      [single.id]: 'expired',
    });
    expect(await withdrawEnrolmentCode(db, { codeId: single.id, now: at(61) })).toMatchObject({ ok: false });
  });

  it('are withdrawn by their creator only, when the caller says so', async () => {
    const theirs = await create('Mottagningen 4', 1, 'sysadmin-1');
    expect(
      await withdrawEnrolmentCode(db, { codeId: theirs.id, now: at(1), onlyCreatedBy: 'support-1' }),
    ).toEqual({ ok: false, reason: 'not_creator' });
    expect(
      await withdrawEnrolmentCode(db, { codeId: theirs.id, now: at(1), onlyCreatedBy: 'sysadmin-1' }),
    ).toMatchObject({ ok: true });
  });
});
