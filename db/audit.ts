import { and, desc, eq, gte, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import { csvLine } from '../protocol/csv';
import type { AppDatabase } from './connection';
import { type AuditOutcome, auditEvents, units } from './schema';

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

/** Appends one audit event. The table refuses updates and deletes, so this is the only write there is. */
export function recordAudit(db: AuditWriter, entry: AuditEntry): void {
  db.insert(auditEvents)
    .values({
      actorUserId: entry.actorUserId,
      actorLabel: entry.actorLabel,
      action: entry.action,
      objectType: entry.objectType,
      objectId: entry.objectId ?? null,
      unitId: entry.unitId ?? null,
      outcome: entry.outcome,
      detail: entry.detail ?? null,
    })
    .run();
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
export function recordFoldedRefusal(
  db: AppDatabase,
  entry: Omit<AuditEntry, 'outcome'> & { detail: { reason: string; clientAddress: string } },
  now: Date = new Date(),
): boolean {
  const personId = typeof entry.detail.personId === 'string' ? entry.detail.personId : null;
  const seen = db
    .select({ id: auditEvents.id })
    .from(auditEvents)
    .where(
      and(
        gte(auditEvents.at, new Date(now.getTime() - refusalFoldWindowMs)),
        eq(auditEvents.action, entry.action),
        eq(auditEvents.outcome, 'refused'),
        sql`json_extract(${auditEvents.detail}, '$.clientAddress') = ${entry.detail.clientAddress}`,
        sql`json_extract(${auditEvents.detail}, '$.reason') = ${entry.detail.reason}`,
        sql`json_extract(${auditEvents.detail}, '$.personId') is ${personId}`,
      ),
    )
    .limit(1)
    .get();
  if (seen) return false;
  recordAudit(db, { ...entry, outcome: 'refused' });
  return true;
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
export function recordAttempt(
  db: AuditWriter,
  actor: AuditActor,
  attempt: AuditAttempt,
  refusal?: string,
): void {
  recordAudit(db, {
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
  scope: 'all' | readonly string[];
}

export interface AuditEventView {
  id: number;
  at: number;
  actorLabel: string;
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
};

function auditConditions(filter: AuditFilter, beforeId?: number): SQL | undefined {
  const conditions: Array<SQL | undefined> = [
    filter.actor ? eq(auditEvents.actorLabel, filter.actor) : undefined,
    filter.action ? eq(auditEvents.action, filter.action) : undefined,
    filter.objectType ? eq(auditEvents.objectType, filter.objectType) : undefined,
    filter.objectId ? eq(auditEvents.objectId, filter.objectId) : undefined,
    filter.outcome ? eq(auditEvents.outcome, filter.outcome) : undefined,
    filter.from ? gte(auditEvents.at, filter.from) : undefined,
    filter.to ? lt(auditEvents.at, filter.to) : undefined,
    filter.unitIds ? inArray(auditEvents.unitId, [...filter.unitIds]) : undefined,
    filter.scope === 'all' ? undefined : inArray(auditEvents.unitId, [...filter.scope]),
    beforeId === undefined ? undefined : lt(auditEvents.id, beforeId),
  ];
  return and(...conditions);
}

function auditQuery(db: AppDatabase, filter: AuditFilter, beforeId?: number) {
  return db
    .select(auditColumns)
    .from(auditEvents)
    .leftJoin(units, eq(units.id, auditEvents.unitId))
    .where(auditConditions(filter, beforeId))
    .orderBy(desc(auditEvents.id));
}

/** Newest first. Ids grow with time and the table is append-only, so the id is the order. */
export function listAuditEvents(
  db: AppDatabase,
  filter: AuditFilter,
  paging: { page: number; pageSize: number },
): { events: AuditEventView[]; hasNextPage: boolean } {
  const rows = auditQuery(db, filter)
    .limit(paging.pageSize + 1)
    .offset((paging.page - 1) * paging.pageSize)
    .all();
  return {
    events: rows.slice(0, paging.pageSize).map((row) => ({ ...row, at: row.at.getTime() })),
    hasNextPage: rows.length > paging.pageSize,
  };
}

/** Audit events about a set of objects (a person and what they hold), newest first. */
export function listAuditEventsAbout(
  db: AppDatabase,
  objects: ReadonlyArray<{ objectType: string; objectIds: readonly string[] }>,
  limit: number,
): AuditEventView[] {
  const about = objects
    .filter((group) => group.objectIds.length > 0)
    .map((group) =>
      and(eq(auditEvents.objectType, group.objectType), inArray(auditEvents.objectId, [...group.objectIds])),
    );
  if (about.length === 0) return [];
  return db
    .select(auditColumns)
    .from(auditEvents)
    .leftJoin(units, eq(units.id, auditEvents.unitId))
    .where(or(...about))
    .orderBy(desc(auditEvents.id))
    .limit(limit)
    .all()
    .map((row) => ({ ...row, at: row.at.getTime() }));
}

const csvChunkRows = 1000;

/**
 * The audit events matching `filter` as CSV (`;`, CRLF, UTF-8 with BOM, as Excel in Sweden expects), produced
 * chunk by chunk: each chunk is read with `.iterate()` and released before the next, so memory stays bounded
 * and the connection is never held busy between chunks. Events written after the export starts are left out.
 */
export function streamAuditCsv(
  db: AppDatabase,
  filter: AuditFilter,
  format: { header: readonly string[]; cells: (event: AuditEventView) => readonly string[] },
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const newest = db
    .select({ id: auditEvents.id })
    .from(auditEvents)
    .orderBy(desc(auditEvents.id))
    .limit(1)
    .get();
  const chunks = auditCsvChunks(db, filter, format, newest?.id ?? 0);
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    cancel() {
      chunks.return(undefined);
    },
  });
}

function* auditCsvChunks(
  db: AppDatabase,
  filter: AuditFilter,
  format: { header: readonly string[]; cells: (event: AuditEventView) => readonly string[] },
  newestId: number,
): Generator<string, void, undefined> {
  yield `\uFEFF${csvLine(format.header)}`;
  let beforeId = newestId + 1;
  const keys = Object.keys(auditColumns) as Array<keyof typeof auditColumns>;
  for (;;) {
    const query = auditQuery(db, filter, beforeId).limit(csvChunkRows).toSQL();
    const statement = db.$client.prepare(query.sql).raw(true);
    let text = '';
    let rows = 0;
    for (const values of statement.iterate(...query.params) as Iterable<unknown[]>) {
      const event = eventFromRaw(keys, values);
      text += csvLine(format.cells(event));
      beforeId = event.id;
      rows += 1;
    }
    if (rows > 0) yield text;
    if (rows < csvChunkRows) return;
  }
}

function eventFromRaw(keys: ReadonlyArray<keyof typeof auditColumns>, values: unknown[]): AuditEventView {
  const row = Object.fromEntries(keys.map((key, index) => [key, values[index]])) as Record<string, unknown>;
  return {
    ...(row as unknown as AuditEventView),
    detail: typeof row.detail === 'string' ? (JSON.parse(row.detail) as Record<string, unknown>) : null,
  };
}
