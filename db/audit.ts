import { and, desc, eq, gte, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import { csvLine } from '../protocol/csv';
import type { AppDatabase, Queryable } from './connection';
import { first, forEngine } from './engine';
import { type IdentityViewer, isHiddenFrom, seesNoProtectedIdentity } from './protected-identity';
import { type AuditOutcome, auditEvents, persons, units, users } from './schema';
import { type UnitScope, unitScopeCondition } from './unit-scope';

export interface AuditEntry {
  actorUserId: string | null;
  actorLabel: string;
  action: string;
  objectType: string;
  objectId?: string | null;
  unitId?: string | null;
  outcome: AuditOutcome;
  detail?: Record<string, unknown>;
}

/** The database or a transaction on it: audit events are written with the change they record. */
export type AuditWriter = Pick<AppDatabase, 'insert'>;

/** Appends one audit event. The table refuses updates and deletes, so this and recordAudits are the only writes. */
export async function recordAudit(db: AuditWriter, entry: AuditEntry): Promise<void> {
  await recordAudits(db, [entry]);
}

/** Appends many audit events at once (a directory sync batch), in chunks both engines take in one statement. */
export async function recordAudits(db: AuditWriter, entries: readonly AuditEntry[]): Promise<void> {
  const chunkSize = 500;
  for (let start = 0; start < entries.length; start += chunkSize) {
    await db.insert(auditEvents).values(
      entries.slice(start, start + chunkSize).map((entry) => ({
        actorUserId: entry.actorUserId,
        actorLabel: entry.actorLabel,
        action: entry.action,
        objectType: entry.objectType,
        objectId: entry.objectId ?? null,
        unitId: entry.unitId ?? null,
        outcome: entry.outcome,
        detail: entry.detail ?? null,
      })),
    );
  }
}

/** The keys of an audit event's detail that queries read. */
export type AuditDetailKey = 'clientAddress' | 'reason' | 'personId' | 'countsTowardLimit';

/**
 * The one place where the engines read the detail column differently: it holds JSON text on both, read by
 * SQLite's json_extract and by PostgreSQL's `->>` on the text cast to json (which answers text, so a JSON
 * `true` is compared as 'true' there and as 1 in SQLite).
 */
export function auditDetail(q: Queryable) {
  return forEngine(q, {
    sqlite: {
      text: (key: AuditDetailKey) => sql`json_extract(${auditEvents.detail}, ${sql.raw(`'$.${key}'`)})`,
      isTrue: (key: AuditDetailKey) => sql`json_extract(${auditEvents.detail}, ${sql.raw(`'$.${key}'`)}) = 1`,
    },
    postgres: {
      text: (key: AuditDetailKey) => sql`(${auditEvents.detail}::json ->> ${sql.raw(`'${key}'`)})`,
      isTrue: (key: AuditDetailKey) => sql`(${auditEvents.detail}::json ->> ${sql.raw(`'${key}'`)}) = 'true'`,
    },
  });
}

/** Refusals of the same kind from one client address within this window are recorded once. */
export const refusalFoldWindowMs = 60_000;

/**
 * Records a refusal of a request anyone can send (an unknown id polled, a malformed body, a login nobody
 * could have collected), unless the same action was refused for the same reason to the same client address
 * (and the same person, when the refusal names one) within the last minute: one row per address, action
 * and reason a minute, so a client repeating a bad request cannot grow the log without limit. Failed login attempts that count toward the login limits are
 * recorded in full (recordAudit). Returns whether a row was written.
 */
export async function recordFoldedRefusal(
  db: AppDatabase,
  entry: Omit<AuditEntry, 'outcome'> & { detail: { reason: string; clientAddress: string } },
  now: Date = new Date(),
): Promise<boolean> {
  const personId = typeof entry.detail.personId === 'string' ? entry.detail.personId : null;
  const detail = auditDetail(db);
  // One transaction, so that on SQLite (transactions one at a time) the look and the write cannot interleave
  // with another fold of the same refusal. On PostgreSQL two exactly simultaneous ones may both be written:
  // the fold bounds the log's growth, it does not promise a single row.
  return db.transaction(async (tx) => {
    const seen = first(
      await tx
        .select({ id: auditEvents.id })
        .from(auditEvents)
        .where(
          and(
            gte(auditEvents.at, new Date(now.getTime() - refusalFoldWindowMs)),
            eq(auditEvents.action, entry.action),
            eq(auditEvents.outcome, 'refused'),
            sql`${detail.text('clientAddress')} = ${entry.detail.clientAddress}`,
            sql`${detail.text('reason')} = ${entry.detail.reason}`,
            personId === null
              ? sql`${detail.text('personId')} is null`
              : sql`${detail.text('personId')} = ${personId}`,
          ),
        )
        .limit(1),
    );
    if (seen) return false;
    await recordAudit(tx, { ...entry, outcome: 'refused' });
    return true;
  });
}

/** The staff member behind an action, as the audit log names them. */
export interface AuditActor {
  userId: string;
  label: string;
}

/** What a staff member tried to do; `unitId` only for a unit that exists (the log references units). */
export interface AuditAttempt {
  action: string;
  objectType: string;
  objectId?: string | null;
  unitId?: string | null;
  detail?: Record<string, unknown>;
}

/** Records an attempt as done, or as refused with the domain's reason for refusing it. */
export async function recordAttempt(
  db: AuditWriter,
  actor: AuditActor,
  attempt: AuditAttempt,
  refusal?: string,
): Promise<void> {
  await recordAudit(db, {
    actorUserId: actor.userId,
    actorLabel: actor.label,
    action: attempt.action,
    objectType: attempt.objectType,
    objectId: attempt.objectId ?? null,
    unitId: attempt.unitId ?? null,
    outcome: refusal ? 'refused' : 'success',
    ...(refusal
      ? { detail: { ...attempt.detail, reason: refusal } }
      : attempt.detail
        ? { detail: attempt.detail }
        : {}),
  });
}

export interface AuditFilter {
  /** The actor's label as recorded: a username, or `system`. */
  actor?: string;
  action?: string;
  objectType?: string;
  objectId?: string;
  outcome?: AuditOutcome;
  /** Inclusive start and exclusive end. */
  from?: Date;
  to?: Date;
  /** Events about these units (the caller expands sub-units). */
  unitIds?: readonly string[];
  /** The units the reader may see: events of other units, and events of no unit, are left out unless 'all'. */
  scope: UnitScope;
  /** Who reads: absent, a reader without the right to see protected identities. */
  viewer?: IdentityViewer;
}

export interface AuditEventView {
  id: number;
  at: number;
  /** Empty when the actor is a protected identity the reader may not see (`actorHidden`). */
  actorLabel: string;
  actorHidden: boolean;
  action: string;
  objectType: string;
  objectId: string | null;
  unitId: string | null;
  unitName: string | null;
  outcome: AuditOutcome;
  detail: Record<string, unknown> | null;
}

const auditColumns = {
  id: auditEvents.id,
  at: auditEvents.at,
  actorLabel: auditEvents.actorLabel,
  action: auditEvents.action,
  objectType: auditEvents.objectType,
  objectId: auditEvents.objectId,
  unitId: auditEvents.unitId,
  unitName: units.name,
  outcome: auditEvents.outcome,
  detail: auditEvents.detail,
  actorProtected: persons.protectedIdentity,
};

/** The actor, a person's account, is named by their name or username: hidden for a protected identity. */
const shownEvent =
  (viewer: IdentityViewer | undefined) =>
  ({
    actorProtected,
    ...row
  }: { actorProtected: boolean | null } & Omit<AuditEventView, 'at' | 'actorHidden'> & {
      at: Date;
    }): AuditEventView => {
    const actorHidden = isHiddenFrom(viewer ?? seesNoProtectedIdentity, actorProtected ?? false);
    return { ...row, at: row.at.getTime(), actorLabel: actorHidden ? '' : row.actorLabel, actorHidden };
  };

function auditConditions(filter: AuditFilter, beforeId?: number): SQL | undefined {
  // Filtering by a hidden actor's label finds nothing: the answer must not tell that such an actor acted.
  const actorShown = filter.viewer?.seesProtectedIdentities
    ? undefined
    : sql`coalesce(${persons.protectedIdentity}, 0) = 0`;
  const conditions: Array<SQL | undefined> = [
    filter.actor ? and(eq(auditEvents.actorLabel, filter.actor), actorShown) : undefined,
    filter.action ? eq(auditEvents.action, filter.action) : undefined,
    filter.objectType ? eq(auditEvents.objectType, filter.objectType) : undefined,
    filter.objectId ? eq(auditEvents.objectId, filter.objectId) : undefined,
    filter.outcome ? eq(auditEvents.outcome, filter.outcome) : undefined,
    filter.from ? gte(auditEvents.at, filter.from) : undefined,
    filter.to ? lt(auditEvents.at, filter.to) : undefined,
    filter.unitIds ? inArray(auditEvents.unitId, [...filter.unitIds]) : undefined,
    unitScopeCondition(auditEvents.unitId, filter.scope),
    beforeId === undefined ? undefined : lt(auditEvents.id, beforeId),
  ];
  return and(...conditions);
}

function auditQuery(db: AppDatabase, filter: AuditFilter, beforeId?: number) {
  return db
    .select(auditColumns)
    .from(auditEvents)
    .leftJoin(units, eq(units.id, auditEvents.unitId))
    .leftJoin(users, eq(users.id, auditEvents.actorUserId))
    .leftJoin(persons, eq(persons.id, users.personId))
    .where(auditConditions(filter, beforeId))
    .orderBy(desc(auditEvents.id));
}

/** Newest first. Ids grow with time and the table is append-only, so the id is the order. */
export async function listAuditEvents(
  db: AppDatabase,
  filter: AuditFilter,
  paging: { page: number; pageSize: number },
): Promise<{ events: AuditEventView[]; hasNextPage: boolean }> {
  const rows = await auditQuery(db, filter)
    .limit(paging.pageSize + 1)
    .offset((paging.page - 1) * paging.pageSize);
  return {
    events: rows.slice(0, paging.pageSize).map(shownEvent(filter.viewer)),
    hasNextPage: rows.length > paging.pageSize,
  };
}

/** Audit events about a set of objects (a person and what they hold), newest first. */
export async function listAuditEventsAbout(
  db: AppDatabase,
  objects: ReadonlyArray<{ objectType: string; objectIds: readonly string[] }>,
  limit: number,
  viewer: IdentityViewer = seesNoProtectedIdentity,
): Promise<AuditEventView[]> {
  const about = objects
    .filter((group) => group.objectIds.length > 0)
    .map((group) =>
      and(eq(auditEvents.objectType, group.objectType), inArray(auditEvents.objectId, [...group.objectIds])),
    );
  if (about.length === 0) return [];
  return (
    await db
      .select(auditColumns)
      .from(auditEvents)
      .leftJoin(units, eq(units.id, auditEvents.unitId))
      .leftJoin(users, eq(users.id, auditEvents.actorUserId))
      .leftJoin(persons, eq(persons.id, users.personId))
      .where(or(...about))
      .orderBy(desc(auditEvents.id))
      .limit(limit)
  ).map(shownEvent(viewer));
}

const csvChunkRows = 1000;

/**
 * The audit events matching `filter` as CSV (`;`, CRLF, UTF-8 with BOM, as Excel in Sweden expects), produced
 * chunk by chunk: each chunk is one query for the next ids down (keyset), so memory stays bounded and no
 * connection is held between chunks. Events written after the export starts are left out.
 */
export async function streamAuditCsv(
  db: AppDatabase,
  filter: AuditFilter,
  format: { header: readonly string[]; cells: (event: AuditEventView) => readonly string[] },
): Promise<ReadableStream<Uint8Array>> {
  const encoder = new TextEncoder();
  const newest = first(
    await db.select({ id: auditEvents.id }).from(auditEvents).orderBy(desc(auditEvents.id)).limit(1),
  );
  const chunks = auditCsvChunks(db, filter, format, newest?.id ?? 0);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}

async function* auditCsvChunks(
  db: AppDatabase,
  filter: AuditFilter,
  format: { header: readonly string[]; cells: (event: AuditEventView) => readonly string[] },
  newestId: number,
): AsyncGenerator<string, void, undefined> {
  yield `\uFEFF${csvLine(format.header)}`;
  let beforeId = newestId + 1;
  for (;;) {
    const rows = await auditQuery(db, filter, beforeId).limit(csvChunkRows);
    let text = '';
    for (const row of rows) {
      text += csvLine(format.cells(shownEvent(filter.viewer)(row)));
      beforeId = row.id;
    }
    if (rows.length > 0) yield text;
    if (rows.length < csvChunkRows) return;
  }
}
