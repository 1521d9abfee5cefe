import { createHash, createHmac, createPublicKey, randomBytes, randomInt } from 'node:crypto';
import { and, eq, gt, gte, isNull, lt, sql } from 'drizzle-orm';
import { auditDetail } from './audit';
import type { AppDatabase } from './connection';
import { first, isUniqueViolation } from './engine';
import { newId } from './ids';
import { agentChallenges, agentEnrolmentCodes, agents, auditEvents } from './schema';

/** Letters and digits a person reads off a screen or a mail without mixing them up (no 0/O, 1/I/L, U). */
const codeAlphabet = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
const codeLength = 12;

/** How long an enrolment code may be used: long enough for a rollout, short enough to be worth little when leaked. */
export const enrolmentCodeValidity = {
  singleMs: 24 * 60 * 60_000,
  batchMaxMs: 14 * 24 * 60 * 60_000,
} as const;

export const maxBatchSize = 5_000;

/** How long a challenge for the device key stays good: one connection attempt. */
export const agentChallengeValidityMs = 60_000;

/** "ABCD-EFGH-JKMN": what the administrator hands out; case, spaces and dashes do not matter when typed. */
export function formatEnrolmentCode(raw: string): string {
  return raw.match(/.{1,4}/g)!.join('-');
}

export function normaliseEnrolmentCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, '');
}

export const enrolmentCodePattern = new RegExp(`^[${codeAlphabet}]{${codeLength}}$`);

function hashEnrolmentCode(secret: Buffer, normalised: string): string {
  return createHmac('sha256', secret).update(`agent-enrolment:${normalised}`, 'utf8').digest('hex');
}

/** What an enrolled computer's row is known by: its public key's fingerprint (the device token column). */
export function publicKeyFingerprint(publicKeyDer: Buffer): string {
  return `key:${createHash('sha256').update(publicKeyDer).digest('hex')}`;
}

/**
 * A new enrolment code: for one named computer (one use) or a batch for a software-distribution rollout
 * (up to `usesAllowed` computers, each named by its host name). Only its HMAC is stored; the code itself is
 * returned once.
 */
export async function createEnrolmentCode(
  db: AppDatabase,
  input: {
    createdByUserId: string;
    computerName: string | null;
    usesAllowed: number;
    validForMs: number;
    secret: Buffer;
    now: Date;
  },
): Promise<{ id: string; code: string; expiresAt: Date }> {
  const expiresAt = new Date(input.now.getTime() + input.validForMs);
  for (let attempt = 0; ; attempt += 1) {
    const raw = Array.from({ length: codeLength }, () => codeAlphabet[randomInt(codeAlphabet.length)]).join(
      '',
    );
    const id = newId();
    try {
      await db.insert(agentEnrolmentCodes).values({
        id,
        codeHash: hashEnrolmentCode(input.secret, raw),
        computerName: input.computerName,
        usesAllowed: input.usesAllowed,
        uses: 0,
        createdByUserId: input.createdByUserId,
        createdAt: input.now,
        expiresAt,
      });
      return { id, code: formatEnrolmentCode(raw), expiresAt };
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= 20) throw error;
    }
  }
}

export type EnrolmentRefusal = 'unknown_code' | 'expired_code' | 'used_code' | 'withdrawn_code' | 'key_known';

export type Enrolment =
  | { ok: true; agentId: string; name: string; enrolmentCodeId: string; createdByUserId: string }
  | { ok: false; reason: EnrolmentRefusal; enrolmentCodeId?: string };

/**
 * Spends one use of the code and registers the computer with its public key (SPKI DER). Two computers using
 * the last use of a code at once: one enrols, the other is told the code is used.
 */
export async function enrolAgent(
  db: AppDatabase,
  input: { code: string; publicKeyDer: Buffer; hostname: string; secret: Buffer; now: Date },
): Promise<Enrolment> {
  const normalised = normaliseEnrolmentCode(input.code);
  if (!enrolmentCodePattern.test(normalised)) return { ok: false, reason: 'unknown_code' };
  const codeHash = hashEnrolmentCode(input.secret, normalised);
  return await db.transaction(async (tx) => {
    const code = first(
      await tx.select().from(agentEnrolmentCodes).where(eq(agentEnrolmentCodes.codeHash, codeHash)).limit(1),
    );
    if (!code) return { ok: false, reason: 'unknown_code' };
    const refused = (reason: EnrolmentRefusal): Enrolment => ({
      ok: false,
      reason,
      enrolmentCodeId: code.id,
    });
    if (code.withdrawnAt) return refused('withdrawn_code');
    if (code.expiresAt <= input.now) return refused('expired_code');
    const spent = await tx
      .update(agentEnrolmentCodes)
      .set({ uses: sql`${agentEnrolmentCodes.uses} + 1` })
      .where(and(eq(agentEnrolmentCodes.id, code.id), lt(agentEnrolmentCodes.uses, code.usesAllowed)))
      .returning({ id: agentEnrolmentCodes.id });
    if (spent.length === 0) return refused('used_code');
    const publicKey = input.publicKeyDer.toString('base64');
    const known = first(
      await tx.select({ id: agents.id }).from(agents).where(eq(agents.publicKey, publicKey)).limit(1),
    );
    if (known) {
      // The use just spent goes back: the code is not the computer's fault.
      await tx
        .update(agentEnrolmentCodes)
        .set({ uses: sql`${agentEnrolmentCodes.uses} - 1` })
        .where(eq(agentEnrolmentCodes.id, code.id));
      return refused('key_known');
    }
    const agentId = newId();
    const name = code.computerName ?? input.hostname;
    await tx.insert(agents).values({
      id: agentId,
      name,
      deviceTokenHash: publicKeyFingerprint(input.publicKeyDer),
      publicKey,
      enrolledAt: input.now,
      enrolmentCodeId: code.id,
      enrolledByUserId: code.createdByUserId,
    });
    return { ok: true, agentId, name, enrolmentCodeId: code.id, createdByUserId: code.createdByUserId };
  });
}

/** A P-256 public key in SPKI DER, or undefined for anything else (another curve, RSA, garbage). */
export function parseDevicePublicKey(base64: string): Buffer | undefined {
  try {
    const der = Buffer.from(base64, 'base64');
    const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      return undefined;
    return der;
  } catch {
    return undefined;
  }
}

export interface EnrolledAgentKey {
  agentId: string;
  publicKeyDer: Buffer;
  revokedAt: Date | null;
}

export async function findAgentKey(db: AppDatabase, agentId: string): Promise<EnrolledAgentKey | undefined> {
  const row = first(
    await db
      .select({ id: agents.id, publicKey: agents.publicKey, revokedAt: agents.revokedAt })
      .from(agents)
      .where(eq(agents.id, agentId))
      .limit(1),
  );
  if (!row?.publicKey) return undefined;
  return { agentId: row.id, publicKeyDer: Buffer.from(row.publicKey, 'base64'), revokedAt: row.revokedAt };
}

/** A fresh challenge for the computer to sign; the computer's older ones and everyone's expired ones go. */
export async function issueAgentChallenge(
  db: AppDatabase,
  agentId: string,
  now: Date,
): Promise<{ challenge: string; expiresAt: Date }> {
  const challenge = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + agentChallengeValidityMs);
  await db.transaction(async (tx) => {
    await tx.delete(agentChallenges).where(lt(agentChallenges.expiresAt, now));
    await tx.insert(agentChallenges).values({ id: newId(), agentId, challenge, expiresAt });
  });
  return { challenge, expiresAt };
}

/** Spends the challenge: true once, for the computer it was issued to, before it expires. */
export async function spendAgentChallenge(
  db: AppDatabase,
  input: { agentId: string; challenge: string; now: Date },
): Promise<boolean> {
  const spent = await db
    .delete(agentChallenges)
    .where(
      and(
        eq(agentChallenges.agentId, input.agentId),
        eq(agentChallenges.challenge, input.challenge),
        gt(agentChallenges.expiresAt, input.now),
      ),
    )
    .returning({ id: agentChallenges.id });
  return spent.length === 1;
}

/** Takes the computer out of service: it can no longer connect; the caller closes its connection now. */
export async function revokeAgent(
  db: AppDatabase,
  input: { agentId: string; byUserId: string; now: Date },
): Promise<boolean> {
  const revoked = await db
    .update(agents)
    .set({ revokedAt: input.now, revokedByUserId: input.byUserId })
    .where(and(eq(agents.id, input.agentId), isNull(agents.revokedAt)))
    .returning({ id: agents.id });
  if (revoked.length === 1)
    await db.delete(agentChallenges).where(eq(agentChallenges.agentId, input.agentId));
  return revoked.length === 1;
}

/** Wrong codes from one address within this window, and how many of them stop further tries. */
export const enrolmentAttemptWindowMs = 15 * 60_000;
export const enrolmentAttemptsAllowed = 10;

/** Codes from `clientAddress` that matched nothing in the window (audited as refused agent_enrol). */
export async function countRecentUnknownEnrolmentCodes(
  db: AppDatabase,
  clientAddress: string,
  now: Date,
): Promise<number> {
  const rows = await db
    .select({ count: sql<number>`count(*)` })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.objectType, 'client_address'),
        eq(auditEvents.objectId, clientAddress),
        eq(auditEvents.action, 'agent_enrol'),
        eq(auditEvents.outcome, 'refused'),
        eq(auditDetail(db).text('reason'), 'unknown_code'),
        gte(auditEvents.at, new Date(now.getTime() - enrolmentAttemptWindowMs)),
      ),
    );
  return Number(rows[0]?.count ?? 0);
}
