import { createHmac, randomInt } from 'node:crypto';
import { and, desc, eq, gte, isNull, lt, or, sql } from 'drizzle-orm';
import { auditDetail } from './audit';
import type { AppDatabase } from './connection';
import { first, isUniqueViolation } from './engine';
import { newId } from './ids';
import {
  type AssistedUnlockState,
  agentSessions,
  assistedUnlocks,
  auditEvents,
  cards,
  type IdentityCheckMethod,
  type IdentityDocumentType,
  jobs,
  persons,
  supportCodes,
  users,
} from './schema';

/** How long a support code read out on the phone may be used. */
export const supportCodeValidityMs = 5 * 60_000;

/**
 * Only an HMAC of a code is stored: six digits are few enough that a plain hash would give them away, so
 * the installation's secret keys it.
 */
export function hashSupportCode(secret: Buffer, code: string): string {
  return createHmac('sha256', secret).update(`support-code:${code}`, 'utf8').digest('hex');
}

/**
 * A fresh code for the user's agent connection. An unused earlier code of the same connection stops
 * working (the app shows only the newest); codes long expired are cleared on the way.
 */
export async function issueSupportCode(
  db: AppDatabase,
  input: { agentId: string; agentSessionId: string; secret: Buffer; now: Date },
): Promise<{ code: string; expiresAt: Date }> {
  const { now } = input;
  const expiresAt = new Date(now.getTime() + supportCodeValidityMs);
  await db
    .delete(supportCodes)
    .where(
      and(
        isNull(supportCodes.usedAt),
        or(eq(supportCodes.agentSessionId, input.agentSessionId), lt(supportCodes.expiresAt, now)),
      ),
    );
  // Two valid codes may not be the same six digits: draw again on the rare clash.
  for (let attempt = 0; ; attempt += 1) {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    try {
      await db.insert(supportCodes).values({
        id: newId(),
        codeHash: hashSupportCode(input.secret, code),
        agentId: input.agentId,
        agentSessionId: input.agentSessionId,
        createdAt: now,
        expiresAt,
        usedAt: null,
      });
      return { code, expiresAt };
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= 20) throw error;
    }
  }
}

export type PairingRefusal = 'unknown_code' | 'expired_code' | 'used_code' | 'agent_gone';

export interface Pairing {
  assistedUnlockId: string;
  agentId: string;
  agentSessionId: string;
}

/**
 * Spends the code and pairs the staff member with the agent connection it was asked on, for one person.
 * Two staff members typing the same code at once: one pairs, the other is told the code is used.
 */
export async function pairWithSupportCode(
  db: AppDatabase,
  input: { code: string; secret: Buffer; personId: string; staffUserId: string; now: Date },
): Promise<{ ok: true; pairing: Pairing } | { ok: false; reason: PairingRefusal }> {
  const codeHash = hashSupportCode(input.secret, input.code);
  return db.transaction(async (tx) => {
    const found = first(
      await tx
        .select({
          id: supportCodes.id,
          agentId: supportCodes.agentId,
          agentSessionId: supportCodes.agentSessionId,
          expiresAt: supportCodes.expiresAt,
          usedAt: supportCodes.usedAt,
          disconnectedAt: agentSessions.disconnectedAt,
        })
        .from(supportCodes)
        .innerJoin(agentSessions, eq(agentSessions.id, supportCodes.agentSessionId))
        .where(eq(supportCodes.codeHash, codeHash))
        .limit(1),
    );
    if (!found) return { ok: false as const, reason: 'unknown_code' as const };
    if (found.usedAt) return { ok: false as const, reason: 'used_code' as const };
    if (found.expiresAt.getTime() <= input.now.getTime())
      return { ok: false as const, reason: 'expired_code' as const };
    if (found.disconnectedAt) return { ok: false as const, reason: 'agent_gone' as const };
    const spent = await tx
      .update(supportCodes)
      .set({ usedAt: input.now })
      .where(and(eq(supportCodes.id, found.id), isNull(supportCodes.usedAt)))
      .returning({ id: supportCodes.id });
    if (spent.length !== 1) return { ok: false as const, reason: 'used_code' as const };
    const assistedUnlockId = newId();
    await tx.insert(assistedUnlocks).values({
      id: assistedUnlockId,
      supportCodeId: found.id,
      agentId: found.agentId,
      agentSessionId: found.agentSessionId,
      personId: input.personId,
      staffUserId: input.staffUserId,
      state: 'paired',
      pairedAt: input.now,
    });
    return {
      ok: true as const,
      pairing: { assistedUnlockId, agentId: found.agentId, agentSessionId: found.agentSessionId },
    };
  });
}

export interface AssistedUnlock {
  id: string;
  agentId: string;
  agentSessionId: string;
  agentConnected: boolean;
  personId: string;
  staffUserId: string;
  staffName: string;
  state: AssistedUnlockState;
  pairedAt: Date;
  identityCheckMethod: IdentityCheckMethod | null;
  documentType: IdentityDocumentType | null;
  documentNumberEnd: string | null;
  cardId: string | null;
  cardSerial: string | null;
  endedAt: Date | null;
}

const assistedUnlockColumns = {
  id: assistedUnlocks.id,
  agentId: assistedUnlocks.agentId,
  agentSessionId: assistedUnlocks.agentSessionId,
  disconnectedAt: agentSessions.disconnectedAt,
  personId: assistedUnlocks.personId,
  staffUserId: assistedUnlocks.staffUserId,
  staffName: users.displayName,
  state: assistedUnlocks.state,
  pairedAt: assistedUnlocks.pairedAt,
  identityCheckMethod: assistedUnlocks.identityCheckMethod,
  documentType: assistedUnlocks.documentType,
  documentNumberEnd: assistedUnlocks.documentNumberEnd,
  cardId: assistedUnlocks.cardId,
  cardSerial: cards.serial,
  endedAt: assistedUnlocks.endedAt,
};

function assistedUnlockQuery(db: AppDatabase) {
  return db
    .select(assistedUnlockColumns)
    .from(assistedUnlocks)
    .innerJoin(users, eq(users.id, assistedUnlocks.staffUserId))
    .innerJoin(agentSessions, eq(agentSessions.id, assistedUnlocks.agentSessionId))
    .leftJoin(cards, eq(cards.id, assistedUnlocks.cardId));
}

function toAssistedUnlock(row: Awaited<ReturnType<typeof assistedUnlockQuery>>[number]): AssistedUnlock {
  const { disconnectedAt, ...rest } = row;
  return { ...rest, agentConnected: disconnectedAt === null };
}

export async function findAssistedUnlock(db: AppDatabase, id: string): Promise<AssistedUnlock | undefined> {
  const row = first(await assistedUnlockQuery(db).where(eq(assistedUnlocks.id, id)).limit(1));
  return row && toAssistedUnlock(row);
}

/** The assisted unlock an unlock job runs for, if any: its offer names the staff member to the user. */
export async function assistedUnlockOfJob(
  db: AppDatabase,
  job: { assistedUnlockId: string | null },
): Promise<AssistedUnlock | undefined> {
  return job.assistedUnlockId ? findAssistedUnlock(db, job.assistedUnlockId) : undefined;
}

export interface IdentityCheck {
  method: IdentityCheckMethod;
  documentType: IdentityDocumentType | null;
  documentNumberEnd: string | null;
}

/**
 * The staff member has checked the caller's identity and chosen the card: recorded before the job is
 * offered, so the offer can name the staff member. Only a pairing still waiting may start (one job each;
 * after a failed one, a retry starts from `failed`).
 */
export async function recordIdentityCheck(
  db: AppDatabase,
  input: { assistedUnlockId: string; check: IdentityCheck; cardId: string | null; now: Date },
): Promise<boolean> {
  const updated = await db
    .update(assistedUnlocks)
    .set({
      state: 'running',
      identityCheckMethod: input.check.method,
      documentType: input.check.documentType,
      documentNumberEnd: input.check.documentNumberEnd,
      identityCheckedAt: input.now,
      cardId: input.cardId,
    })
    .where(
      and(
        eq(assistedUnlocks.id, input.assistedUnlockId),
        isNull(assistedUnlocks.endedAt),
        or(eq(assistedUnlocks.state, 'paired'), eq(assistedUnlocks.state, 'failed')),
      ),
    )
    .returning({ id: assistedUnlocks.id });
  return updated.length === 1;
}

/** The job could not be offered (the agent went away): the pairing waits again. */
export async function reopenAssistedUnlock(db: AppDatabase, id: string): Promise<void> {
  await db
    .update(assistedUnlocks)
    .set({ state: 'paired' })
    .where(and(eq(assistedUnlocks.id, id), eq(assistedUnlocks.state, 'running')));
}

/** An unlock job of the pairing ended (its first, or a retry by support): the pairing says how. */
export async function settleAssistedUnlock(
  db: AppDatabase,
  id: string,
  outcome: 'succeeded' | 'failed',
): Promise<void> {
  await db
    .update(assistedUnlocks)
    .set({ state: outcome })
    .where(
      and(
        eq(assistedUnlocks.id, id),
        or(eq(assistedUnlocks.state, 'running'), eq(assistedUnlocks.state, 'failed')),
      ),
    );
}

/**
 * The staff member ended the pairing: nothing more may start from it. A pairing that never ran a job ends
 * as `ended`; one that did keeps how its job went.
 */
export async function endAssistedUnlock(db: AppDatabase, id: string, now: Date): Promise<boolean> {
  const ended = await db
    .update(assistedUnlocks)
    .set({
      state: sql`case when ${assistedUnlocks.state} = 'paired' then 'ended' else ${assistedUnlocks.state} end`,
      endedAt: now,
    })
    .where(and(eq(assistedUnlocks.id, id), isNull(assistedUnlocks.endedAt)))
    .returning({ id: assistedUnlocks.id });
  return ended.length === 1;
}

/** The newest unlock job of an assisted unlock. */
export async function latestJobOfAssistedUnlock(db: AppDatabase, id: string) {
  return first(
    await db
      .select({
        id: jobs.id,
        state: jobs.state,
        currentStep: jobs.currentStep,
        progress: jobs.progress,
        errorCode: jobs.errorCode,
        errorMessage: jobs.errorMessage,
        createdAt: jobs.createdAt,
      })
      .from(jobs)
      .where(eq(jobs.assistedUnlockId, id))
      .orderBy(desc(jobs.createdAt))
      .limit(1),
  );
}

export interface AssistedUnlockOfPerson {
  id: string;
  pairedAt: Date;
  staffName: string;
  state: AssistedUnlockState;
  identityCheckMethod: IdentityCheckMethod | null;
  documentType: IdentityDocumentType | null;
  documentNumberEnd: string | null;
  cardSerial: string | null;
}

/** The person page's list: who helped, how they checked identity, which card, how it went. */
export async function listAssistedUnlocksOfPerson(
  db: AppDatabase,
  personId: string,
): Promise<AssistedUnlockOfPerson[]> {
  return db
    .select({
      id: assistedUnlocks.id,
      pairedAt: assistedUnlocks.pairedAt,
      staffName: users.displayName,
      state: assistedUnlocks.state,
      identityCheckMethod: assistedUnlocks.identityCheckMethod,
      documentType: assistedUnlocks.documentType,
      documentNumberEnd: assistedUnlocks.documentNumberEnd,
      cardSerial: cards.serial,
    })
    .from(assistedUnlocks)
    .innerJoin(users, eq(users.id, assistedUnlocks.staffUserId))
    .innerJoin(persons, eq(persons.id, assistedUnlocks.personId))
    .leftJoin(cards, eq(cards.id, assistedUnlocks.cardId))
    .where(eq(assistedUnlocks.personId, personId))
    .orderBy(desc(assistedUnlocks.pairedAt))
    .limit(50);
}

/** How many wrong support codes a staff member may type in `supportCodeAttemptWindowMs` before a pause. */
export const supportCodeAttemptLimit = 10;
export const supportCodeAttemptWindowMs = 15 * 60_000;

/**
 * Codes the staff member typed lately that matched no code at all (from the audit trail, so every server process counts the
 * same): six digits are guessable only by someone allowed to try many.
 */
export async function countRecentWrongSupportCodes(db: AppDatabase, staffUserId: string, now: Date) {
  const rows = await db
    .select({ count: sql<number>`count(*)` })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.actorUserId, staffUserId),
        eq(auditEvents.action, 'assisted_unlock_pair'),
        eq(auditEvents.outcome, 'refused'),
        eq(auditDetail(db).text('reason'), 'unknown_code'),
        gte(auditEvents.at, new Date(now.getTime() - supportCodeAttemptWindowMs)),
      ),
    );
  return Number(rows[0]?.count ?? 0);
}
