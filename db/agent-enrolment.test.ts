import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../test-support/test-database';
import {
  createEnrolmentCode,
  enrolAgent,
  findAgentKey,
  issueAgentChallenge,
  parseDevicePublicKey,
  revokeAgent,
  spendAgentChallenge,
} from './agent-enrolment';
import type { AppDatabase } from './connection';
import { agentEnrolmentCodes, agents, users } from './schema';

const secret = randomBytes(32);
const now = new Date('2026-12-03T10:00:00Z');
const later = (ms: number) => new Date(now.getTime() + ms);
const hour = 60 * 60_000;

const newDeviceKey = () =>
  generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });

let db: AppDatabase;
beforeEach(async () => {
  db = await openTestDatabase();
  await db.insert(users).values({ id: 'sysadmin-1', username: 'sysadmin1', displayName: 'Sam Admin' });
});
afterEach(async () => {
  await db.close();
});

const code = (input: { computerName?: string | null; usesAllowed?: number; validForMs?: number } = {}) =>
  createEnrolmentCode(db, {
    createdByUserId: 'sysadmin-1',
    computerName: input.computerName === undefined ? 'Mottagningen 3' : input.computerName,
    usesAllowed: input.usesAllowed ?? 1,
    validForMs: input.validForMs ?? hour,
    secret,
    now,
  });

const enrol = (typed: string, at = later(1_000), publicKeyDer = newDeviceKey(), hostname = 'pc-0042') =>
  enrolAgent(db, { code: typed, publicKeyDer, hostname, secret, now: at });

describe('enrolment codes', () => {
  it('are twelve unambiguous characters in groups of four, and only their keyed hash is stored', async () => {
    const created = await code();
    expect(created.code).toMatch(/^[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$/);
    expect(created.expiresAt).toEqual(later(hour));
    const stored = await db.select().from(agentEnrolmentCodes);
    expect(JSON.stringify(stored)).not.toContain(created.code.replaceAll('-', ''));
    expect(stored[0]).toMatchObject({ usesAllowed: 1, uses: 0, computerName: 'Mottagningen 3' });
  });

  it('enrol one named computer with its public key, typed in any case and with or without dashes', async () => {
    const created = await code();
    const key = newDeviceKey();
    const enrolled = await enrol(created.code.toLowerCase().replaceAll('-', ' '), later(1_000), key);
    expect(enrolled).toMatchObject({ ok: true, name: 'Mottagningen 3', createdByUserId: 'sysadmin-1' });
    if (!enrolled.ok) throw new Error('not enrolled');
    const [row] = await db.select().from(agents).where(eq(agents.id, enrolled.agentId));
    expect(row).toMatchObject({
      publicKey: key.toString('base64'),
      enrolledAt: later(1_000),
      enrolledByUserId: 'sysadmin-1',
      enrolmentCodeId: created.id,
      revokedAt: null,
    });
    expect(row!.deviceTokenHash).toMatch(/^key:[0-9a-f]{64}$/);
    expect(await findAgentKey(db, enrolled.agentId)).toMatchObject({ publicKeyDer: key, revokedAt: null });
  });

  it('refuse a used, expired, withdrawn or unknown code, and a key already registered', async () => {
    const single = await code();
    expect((await enrol(single.code)).ok).toBe(true);
    expect(await enrol(single.code)).toMatchObject({ ok: false, reason: 'used_code' });

    const expiring = await code({ validForMs: 1_000 });
    expect(await enrol(expiring.code, later(1_000))).toMatchObject({ ok: false, reason: 'expired_code' });

    const withdrawn = await code();
    await db
      .update(agentEnrolmentCodes)
      .set({ withdrawnAt: now })
      .where(eq(agentEnrolmentCodes.id, withdrawn.id));
    expect(await enrol(withdrawn.code)).toMatchObject({ ok: false, reason: 'withdrawn_code' });

    expect(await enrol('ABCD-EFGH-JKMN')).toEqual({ ok: false, reason: 'unknown_code' });
    expect(await enrol('not a code at all')).toEqual({ ok: false, reason: 'unknown_code' });

    const twice = await code({ usesAllowed: 2 });
    const key = newDeviceKey();
    expect((await enrol(twice.code, later(1_000), key)).ok).toBe(true);
    expect(await enrol(twice.code, later(2_000), key)).toMatchObject({ ok: false, reason: 'key_known' });
    const [row] = await db.select().from(agentEnrolmentCodes).where(eq(agentEnrolmentCodes.id, twice.id));
    expect(row!.uses).toBe(1);
  });

  it('a batch names each computer by its host name and lets exactly as many enrol as it allows, also at once', async () => {
    const batch = await code({ computerName: null, usesAllowed: 3 });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, index) => enrol(batch.code, later(1_000), newDeviceKey(), `pc-${index}`)),
    );
    const enrolled = results.filter((result) => result.ok);
    expect(enrolled).toHaveLength(3);
    expect(results.filter((result) => !result.ok && result.reason === 'used_code')).toHaveLength(3);
    for (const result of enrolled) expect(result.ok && result.name).toMatch(/^pc-\d$/);
    const [row] = await db.select().from(agentEnrolmentCodes).where(eq(agentEnrolmentCodes.id, batch.id));
    expect(row!.uses).toBe(3);
  });
});

describe('device keys', () => {
  it('accept only a P-256 public key', () => {
    expect(parseDevicePublicKey(newDeviceKey().toString('base64'))).toBeInstanceOf(Buffer);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
      format: 'der',
      type: 'spki',
    });
    expect(parseDevicePublicKey(rsa.toString('base64'))).toBeUndefined();
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({
      format: 'der',
      type: 'spki',
    });
    expect(parseDevicePublicKey(p384.toString('base64'))).toBeUndefined();
    expect(parseDevicePublicKey('bm90IGEga2V5')).toBeUndefined();
  });
});

describe('challenges', () => {
  let agentId: string;
  beforeEach(async () => {
    const enrolled = await enrol((await code()).code);
    if (!enrolled.ok) throw new Error('not enrolled');
    agentId = enrolled.agentId;
  });

  it('are spent once, by the computer they were issued to, before they expire', async () => {
    const first = await issueAgentChallenge(db, agentId, now);
    expect(await spendAgentChallenge(db, { agentId: 'someone-else', challenge: first.challenge, now })).toBe(
      false,
    );
    expect(await spendAgentChallenge(db, { agentId, challenge: first.challenge, now })).toBe(true);
    expect(await spendAgentChallenge(db, { agentId, challenge: first.challenge, now })).toBe(false);

    const second = await issueAgentChallenge(db, agentId, now);
    expect(
      await spendAgentChallenge(db, { agentId, challenge: second.challenge, now: second.expiresAt }),
    ).toBe(false);
  });

  it('of a revoked computer are gone, and revoking twice changes nothing', async () => {
    const issued = await issueAgentChallenge(db, agentId, now);
    expect(await revokeAgent(db, { agentId, byUserId: 'sysadmin-1', now })).toBe(true);
    expect(await revokeAgent(db, { agentId, byUserId: 'sysadmin-1', now: later(5_000) })).toBe(false);
    expect(await spendAgentChallenge(db, { agentId, challenge: issued.challenge, now })).toBe(false);
    expect(await findAgentKey(db, agentId)).toMatchObject({ revokedAt: now });
  });
});
