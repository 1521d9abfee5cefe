import {
  and,
  asc,
  desc,
  eq,
  gte,
  inArray,
  isNotNull,
  isNull,
  or,
  type SQL,
  type SQLWrapper,
  sql,
} from 'drizzle-orm';
import type { AppDatabase, Queryable } from './connection';
import { first, forEngine } from './engine';
import { type IdentityViewer, type ShownIdentity, shownTo } from './protected-identity';
import { agentEnrolmentCodes, agentSessions, agents, persons, users } from './schema';

/**
 * The dashboard's view of the computers with the SITHS eID-app: what each is, who used it last, how its
 * last connection looked, who enrolled and who revoked it; and the enrolment codes handed out for them.
 */

export type ComputerStateFilter = 'all' | 'connected' | 'not_connected' | 'revoked';

export interface ComputerListQuery {
  state: ComputerStateFilter;
  /** Part of the computer's name or its host name, in any case. */
  search?: string;
  /** Only computers whose last connection reported one of these versions (the route's "outdated" filter). */
  versions?: readonly string[];
  page: number;
  pageSize: number;
}

export interface Computer {
  id: string;
  name: string;
  /** The person of the computer's latest job, as this viewer may see them. */
  lastUser: ShownIdentity<{ name: string }> | null;
  agentVersion: string | null;
  hostname: string | null;
  os: string | null;
  remoteAddress: string | null;
  /** Its latest connection is still open (and it is not revoked). */
  connected: boolean;
  lastSeenAt: Date | null;
  createdAt: Date;
  enrolledAt: Date | null;
  enrolledBy: string | null;
  revokedAt: Date | null;
  revokedBy: string | null;
}

export const computerNameMaxLength = 100;

// Correlated subqueries name their own table by an alias of its own, so the outer "agents" row stays
// reachable; both engines run them as written.
const latestSessionId = sql`(select s.id from agent_sessions s where s.agent_id = ${agents.id}
  order by s.connected_at desc, s.id desc limit 1)`;
const lastUserId = sql`(select j.person_id from jobs j where j.agent_id = ${agents.id}
  and j.person_id is not null order by j.created_at desc, j.id desc limit 1)`;

/** A staff member's name: a subquery, since the SQLite table objects' aliases do not carry over to PostgreSQL. */
const displayNameOf = (userId: SQLWrapper) =>
  sql<string | null>`(select u.display_name from users u where u.id = ${userId})`;

function computerQuery(db: AppDatabase) {
  return db
    .select({
      id: agents.id,
      name: agents.name,
      lastSeenAt: agents.lastSeenAt,
      createdAt: agents.createdAt,
      enrolledAt: agents.enrolledAt,
      revokedAt: agents.revokedAt,
      enrolledBy: displayNameOf(agents.enrolledByUserId),
      revokedBy: displayNameOf(agents.revokedByUserId),
      sessionId: agentSessions.id,
      disconnectedAt: agentSessions.disconnectedAt,
      agentVersion: agentSessions.agentVersion,
      hostname: agentSessions.hostname,
      os: agentSessions.os,
      remoteAddress: agentSessions.remoteAddress,
      givenName: persons.givenName,
      surname: persons.surname,
      protectedIdentity: persons.protectedIdentity,
    })
    .from(agents)
    .leftJoin(agentSessions, eq(agentSessions.id, latestSessionId))
    .leftJoin(persons, eq(persons.id, lastUserId));
}

type ComputerRow = Awaited<ReturnType<typeof computerQuery>>[number];

function toComputer(viewer: IdentityViewer, row: ComputerRow): Computer {
  return {
    id: row.id,
    name: row.name,
    lastUser:
      row.givenName === null
        ? null
        : shownTo(viewer, row.protectedIdentity ?? false, { name: `${row.givenName} ${row.surname}` }),
    agentVersion: row.agentVersion,
    hostname: row.hostname,
    os: row.os,
    remoteAddress: row.remoteAddress,
    connected: row.sessionId !== null && row.disconnectedAt === null && row.revokedAt === null,
    lastSeenAt: row.lastSeenAt,
    createdAt: row.createdAt,
    enrolledAt: row.enrolledAt,
    enrolledBy: row.enrolledBy,
    revokedAt: row.revokedAt,
    revokedBy: row.revokedBy,
  };
}

const stateConditions: Record<ComputerStateFilter, SQL | undefined> = {
  all: undefined,
  connected: and(isNull(agents.revokedAt), isNotNull(agentSessions.id), isNull(agentSessions.disconnectedAt)),
  not_connected: and(
    isNull(agents.revokedAt),
    or(isNull(agentSessions.id), isNotNull(agentSessions.disconnectedAt)),
  ),
  revoked: isNotNull(agents.revokedAt),
};

/** A bracket matching the character in either case ("[åÅ]"), or "[7]" for one without. */
function inEitherCase(character: string): string {
  const variants = new Set(
    [character, character.toLowerCase(), character.toUpperCase()].filter(
      (variant) => [...variant].length === 1,
    ),
  );
  return `[${[...variants].join('')}]`;
}

/**
 * `column` holds `term`, whatever the case of its letters, Å, Ä and Ö included: lower() folds only ASCII on
 * SQLite (and on PostgreSQL under the C locale), so each character is matched by a bracket of its cases.
 */
export function containsIgnoringCase(q: Queryable, column: SQLWrapper, term: string): SQL {
  const characters = [...term];
  return forEngine(q, {
    // In a GLOB, ] and ^ outside a bracket are themselves; everything else goes in one.
    sqlite: sql`${column} glob ${`*${characters.map((c) => (/[\]^]/.test(c) ? c : inEitherCase(c))).join('')}*`}`,
    // In a regular expression a backslash before a non-alphanumeric character is that character.
    postgres: sql`${column} ~ ${characters.map((c) => (/[\]\\^[-]/.test(c) ? `\\${c}` : inEitherCase(c))).join('')}`,
  });
}

function listConditions(db: AppDatabase, query: Omit<ComputerListQuery, 'page' | 'pageSize'>) {
  const search = query.search?.trim();
  return and(
    stateConditions[query.state],
    search
      ? or(
          containsIgnoringCase(db, agents.name, search),
          containsIgnoringCase(db, agentSessions.hostname, search),
        )
      : undefined,
    query.versions === undefined
      ? undefined
      : query.versions.length === 0
        ? sql`1 = 0`
        : and(isNull(agents.revokedAt), inArray(agentSessions.agentVersion, [...query.versions])),
  );
}

/** One page of computers, by name; `hasNextPage` when more match. */
export async function listComputers(
  db: AppDatabase,
  query: ComputerListQuery,
  viewer: IdentityViewer,
): Promise<{ computers: Computer[]; hasNextPage: boolean }> {
  const rows = await computerQuery(db)
    .where(listConditions(db, query))
    .orderBy(asc(agents.name), asc(agents.id))
    .limit(query.pageSize + 1)
    .offset((query.page - 1) * query.pageSize);
  return {
    computers: rows.slice(0, query.pageSize).map((row) => toComputer(viewer, row)),
    hasNextPage: rows.length > query.pageSize,
  };
}

export async function findComputer(
  db: AppDatabase,
  agentId: string,
  viewer: IdentityViewer,
): Promise<Computer | undefined> {
  const row = first(await computerQuery(db).where(eq(agents.id, agentId)).limit(1));
  return row && toComputer(viewer, row);
}

/** The versions the computers in service reported on their latest connection: few, whatever their number. */
export async function reportedAgentVersions(db: AppDatabase): Promise<string[]> {
  const rows = await db
    .selectDistinct({ version: agentSessions.agentVersion })
    .from(agents)
    .innerJoin(agentSessions, eq(agentSessions.id, latestSessionId))
    .where(and(isNull(agents.revokedAt), isNotNull(agentSessions.agentVersion)));
  return rows.map((row) => row.version).filter((version): version is string => version !== null);
}

export interface ComputerSession {
  id: string;
  connectedAt: Date;
  disconnectedAt: Date | null;
  remoteAddress: string | null;
  agentVersion: string | null;
  hostname: string | null;
  os: string | null;
}

/** The computer's latest connections, newest first. */
export async function listComputerSessions(
  db: AppDatabase,
  agentId: string,
  limit = 20,
): Promise<ComputerSession[]> {
  return db
    .select({
      id: agentSessions.id,
      connectedAt: agentSessions.connectedAt,
      disconnectedAt: agentSessions.disconnectedAt,
      remoteAddress: agentSessions.remoteAddress,
      agentVersion: agentSessions.agentVersion,
      hostname: agentSessions.hostname,
      os: agentSessions.os,
    })
    .from(agentSessions)
    .where(eq(agentSessions.agentId, agentId))
    .orderBy(desc(agentSessions.connectedAt), desc(agentSessions.id))
    .limit(limit);
}

/** A computer's name as people type it: trimmed, 1 to 100 characters. */
export function computerNameOf(typed: string): string | undefined {
  const name = typed.trim();
  return name.length >= 1 && name.length <= computerNameMaxLength ? name : undefined;
}

export type RenameOutcome =
  | { ok: true; from: string; to: string }
  | { ok: false; reason: 'invalid_name' | 'unknown_agent' | 'revoked' };

export async function renameAgent(
  db: AppDatabase,
  input: { agentId: string; name: string },
): Promise<RenameOutcome> {
  const name = computerNameOf(input.name);
  if (!name) return { ok: false, reason: 'invalid_name' };
  return db.transaction(async (tx) => {
    const current = first(
      await tx
        .select({ name: agents.name, revokedAt: agents.revokedAt })
        .from(agents)
        .where(eq(agents.id, input.agentId))
        .limit(1),
    );
    if (!current) return { ok: false, reason: 'unknown_agent' };
    // Revoked under a name, it keeps it: the one the audit trail and the list know it by.
    if (current.revokedAt) return { ok: false, reason: 'revoked' };
    await tx.update(agents).set({ name }).where(eq(agents.id, input.agentId));
    return { ok: true, from: current.name, to: name };
  });
}

export type EnrolmentCodeState = 'usable' | 'used' | 'expired' | 'withdrawn';

export interface EnrolmentCodeItem {
  id: string;
  /** Null for a batch, whose computers are named by their host names. */
  computerName: string | null;
  uses: number;
  usesAllowed: number;
  createdAt: Date;
  expiresAt: Date;
  withdrawnAt: Date | null;
  createdByUserId: string;
  createdBy: string;
  state: EnrolmentCodeState;
}

function codeState(
  code: { withdrawnAt: Date | null; uses: number; usesAllowed: number; expiresAt: Date },
  now: Date,
): EnrolmentCodeState {
  if (code.withdrawnAt) return 'withdrawn';
  if (code.uses >= code.usesAllowed) return 'used';
  if (code.expiresAt <= now) return 'expired';
  return 'usable';
}

/** How far back the page lists enrolment codes: a batch code lives at most 14 days, and a little after. */
export const enrolmentCodeListWindowMs = 30 * 24 * 60 * 60_000;

/** The enrolment codes created in the last 30 days, newest first (never the codes themselves: only hashes exist). */
export async function listEnrolmentCodes(
  db: AppDatabase,
  input: { now: Date; limit?: number },
): Promise<EnrolmentCodeItem[]> {
  const rows = await db
    .select({
      id: agentEnrolmentCodes.id,
      computerName: agentEnrolmentCodes.computerName,
      uses: agentEnrolmentCodes.uses,
      usesAllowed: agentEnrolmentCodes.usesAllowed,
      createdAt: agentEnrolmentCodes.createdAt,
      expiresAt: agentEnrolmentCodes.expiresAt,
      withdrawnAt: agentEnrolmentCodes.withdrawnAt,
      createdByUserId: agentEnrolmentCodes.createdByUserId,
      createdBy: users.displayName,
    })
    .from(agentEnrolmentCodes)
    .innerJoin(users, eq(users.id, agentEnrolmentCodes.createdByUserId))
    .where(gte(agentEnrolmentCodes.createdAt, new Date(input.now.getTime() - enrolmentCodeListWindowMs)))
    .orderBy(desc(agentEnrolmentCodes.createdAt), desc(agentEnrolmentCodes.id))
    .limit(input.limit ?? 50);
  return rows.map((row) => ({ ...row, state: codeState(row, input.now) }));
}

export type WithdrawOutcome =
  | { ok: true; code: EnrolmentCodeItem }
  | { ok: false; reason: 'unknown_code' | 'not_creator' | 'code_not_usable' };

/**
 * Withdraws a code no computer may use any more. `onlyCreatedBy`: the withdrawer may withdraw only their
 * own codes (support); a code that is used, expired or already withdrawn is left as it is.
 */
export async function withdrawEnrolmentCode(
  db: AppDatabase,
  input: { codeId: string; now: Date; onlyCreatedBy?: string },
): Promise<WithdrawOutcome> {
  return db.transaction(async (tx) => {
    const code = first(
      await tx.select().from(agentEnrolmentCodes).where(eq(agentEnrolmentCodes.id, input.codeId)).limit(1),
    );
    if (!code) return { ok: false, reason: 'unknown_code' };
    if (input.onlyCreatedBy !== undefined && code.createdByUserId !== input.onlyCreatedBy)
      return { ok: false, reason: 'not_creator' };
    if (codeState(code, input.now) !== 'usable') return { ok: false, reason: 'code_not_usable' };
    await tx
      .update(agentEnrolmentCodes)
      .set({ withdrawnAt: input.now })
      .where(and(eq(agentEnrolmentCodes.id, code.id), isNull(agentEnrolmentCodes.withdrawnAt)));
    const creator = first(
      await tx.select({ name: users.displayName }).from(users).where(eq(users.id, code.createdByUserId)),
    );
    return {
      ok: true,
      code: {
        id: code.id,
        computerName: code.computerName,
        uses: code.uses,
        usesAllowed: code.usesAllowed,
        createdAt: code.createdAt,
        expiresAt: code.expiresAt,
        withdrawnAt: input.now,
        createdByUserId: code.createdByUserId,
        createdBy: creator?.name ?? '',
        state: 'withdrawn',
      },
    };
  });
}
