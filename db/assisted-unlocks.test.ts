import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../test-support/test-database';
import { closeAgentSession, openAgentSession } from './agents';
import {
  countRecentWrongSupportCodes,
  endAssistedUnlock,
  findAssistedUnlock,
  hashSupportCode,
  issueSupportCode,
  listAssistedUnlocksOfPerson,
  pairWithSupportCode,
  recordIdentityCheck,
  settleAssistedUnlock,
  supportCodeValidityMs,
} from './assisted-unlocks';
import type { AppDatabase } from './connection';
import { agents, auditEvents, persons, supportCodes, users } from './schema';

const secret = randomBytes(32);
const now = new Date('2026-12-03T10:00:00Z');
const later = (ms: number) => new Date(now.getTime() + ms);

let db: AppDatabase;
let agentSessionId: string;
beforeEach(async () => {
  db = await openTestDatabase();
  await db.insert(agents).values({ id: 'agent-1', name: 'Dator 1', deviceTokenHash: 'hash-1' });
  agentSessionId = await openAgentSession(db, { agentId: 'agent-1', remoteAddress: null, at: now });
  await db.insert(persons).values([
    { id: 'person-1', hsaId: 'SE2321000016-0001', givenName: 'Olof', surname: 'Ek' },
    { id: 'person-2', hsaId: 'SE2321000016-0002', givenName: 'Eva', surname: 'Al' },
  ]);
  await db.insert(users).values([
    { id: 'staff-1', username: 'idadmin1', displayName: 'Ida Admin' },
    { id: 'staff-2', username: 'idadmin2', displayName: 'Ivar Admin' },
  ]);
});
afterEach(async () => {
  await db.close();
});

const pair = (code: string, at = later(1_000), staffUserId = 'staff-1') =>
  pairWithSupportCode(db, { code, secret, personId: 'person-1', staffUserId, now: at });

describe('support codes', () => {
  it('are six digits, valid five minutes, and only their keyed hash is stored', async () => {
    const issued = await issueSupportCode(db, { agentId: 'agent-1', agentSessionId, secret, now });
    expect(issued.code).toMatch(/^\d{6}$/);
    expect(issued.expiresAt.getTime() - now.getTime()).toBe(supportCodeValidityMs);
    const stored = await db.select().from(supportCodes);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.codeHash).toBe(hashSupportCode(secret, issued.code));
    expect(JSON.stringify(stored)).not.toContain(issued.code);
    expect(hashSupportCode(randomBytes(32), issued.code)).not.toBe(stored[0]!.codeHash);
  });

  it('pair the staff member with the agent connection once, for one person', async () => {
    const { code } = await issueSupportCode(db, { agentId: 'agent-1', agentSessionId, secret, now });
    const paired = await pair(code);
    expect(paired).toMatchObject({ ok: true, pairing: { agentId: 'agent-1', agentSessionId } });
    if (!paired.ok) return;
    const assist = await findAssistedUnlock(db, paired.pairing.assistedUnlockId);
    expect(assist).toMatchObject({
      personId: 'person-1',
      staffUserId: 'staff-1',
      staffName: 'Ida Admin',
      state: 'paired',
      agentConnected: true,
    });
    expect(await pair(code, later(2_000), 'staff-2')).toEqual({ ok: false, reason: 'used_code' });
  });

  it('refuse an unknown code, an expired one, one replaced by a newer, and one whose agent left', async () => {
    const first = await issueSupportCode(db, { agentId: 'agent-1', agentSessionId, secret, now });
    const wrong = first.code === '000000' ? '000001' : '000000';
    expect(await pair(wrong)).toEqual({ ok: false, reason: 'unknown_code' });
    expect(await pair(first.code, later(supportCodeValidityMs))).toEqual({
      ok: false,
      reason: 'expired_code',
    });

    const replaced = await issueSupportCode(db, {
      agentId: 'agent-1',
      agentSessionId,
      secret,
      now: later(10),
    });
    const newest = await issueSupportCode(db, { agentId: 'agent-1', agentSessionId, secret, now: later(20) });
    if (replaced.code !== newest.code)
      expect(await pair(replaced.code)).toEqual({ ok: false, reason: 'unknown_code' });

    await closeAgentSession(db, agentSessionId, later(500));
    expect(await pair(newest.code)).toEqual({ ok: false, reason: 'agent_gone' });
  });

  it('let one of two staff members typing the same code at once pair', async () => {
    const { code } = await issueSupportCode(db, { agentId: 'agent-1', agentSessionId, secret, now });
    const results = await Promise.all([
      pair(code, later(1_000), 'staff-1'),
      pair(code, later(1_000), 'staff-2'),
    ]);
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(results.filter((result) => !result.ok)).toEqual([{ ok: false, reason: 'used_code' }]);
  });
});

describe('an assisted unlock', () => {
  it('records the identity check, runs once, says how it went and stays on the person’s list', async () => {
    const { code } = await issueSupportCode(db, { agentId: 'agent-1', agentSessionId, secret, now });
    const paired = await pair(code);
    if (!paired.ok) throw new Error('not paired');
    const id = paired.pairing.assistedUnlockId;
    const check = {
      method: 'id_document' as const,
      documentType: 'passport' as const,
      documentNumberEnd: '1234',
    };
    expect(await recordIdentityCheck(db, { assistedUnlockId: id, check, cardId: null, now })).toBe(true);
    expect(await recordIdentityCheck(db, { assistedUnlockId: id, check, cardId: null, now })).toBe(false);
    await settleAssistedUnlock(db, id, 'succeeded');
    expect(await endAssistedUnlock(db, id, later(5_000))).toBe(true);
    expect(await endAssistedUnlock(db, id, later(6_000))).toBe(false);
    expect(await recordIdentityCheck(db, { assistedUnlockId: id, check, cardId: null, now })).toBe(false);
    expect(await listAssistedUnlocksOfPerson(db, 'person-1')).toMatchObject([
      {
        id,
        staffName: 'Ida Admin',
        state: 'succeeded',
        identityCheckMethod: 'id_document',
        documentType: 'passport',
        documentNumberEnd: '1234',
      },
    ]);
    expect(await listAssistedUnlocksOfPerson(db, 'person-2')).toEqual([]);
  });

  it('that never ran a job ends as ended', async () => {
    const { code } = await issueSupportCode(db, { agentId: 'agent-1', agentSessionId, secret, now });
    const paired = await pair(code);
    if (!paired.ok) throw new Error('not paired');
    await endAssistedUnlock(db, paired.pairing.assistedUnlockId, later(5_000));
    expect((await findAssistedUnlock(db, paired.pairing.assistedUnlockId))?.state).toBe('ended');
  });

  it('counts a staff member’s wrong codes of the last quarter hour', async () => {
    const wrongCode = (at: Date, outcome: 'refused' | 'success') => ({
      at,
      actorUserId: 'staff-1',
      actorLabel: 'idadmin1',
      action: 'assisted_unlock_pair',
      objectType: 'support_code',
      outcome,
      detail: { reason: 'unknown_code' },
    });
    await db
      .insert(auditEvents)
      .values([
        wrongCode(now, 'refused'),
        wrongCode(later(60_000), 'refused'),
        wrongCode(later(61_000), 'success'),
        { ...wrongCode(later(62_000), 'refused'), detail: { reason: 'expired_code' } },
      ]);
    expect(await countRecentWrongSupportCodes(db, 'staff-1', later(120_000))).toBe(2);
    expect(await countRecentWrongSupportCodes(db, 'staff-1', later(15 * 60_000 + 30_000))).toBe(1);
    expect(await countRecentWrongSupportCodes(db, 'staff-2', later(120_000))).toBe(0);
  });
});
