import { and, eq, inArray, isNotNull, isNull } from 'drizzle-orm';
import { type AuditEntry, recordAudits } from './audit';
import type { Queryable } from './connection';
import type { DirectoryProblem, ValidPerson, ValidUnit } from './directory-validation';
import { newId } from './ids';
import { cancelOpenOrdersOfLeaver } from './orders';
import { persons, personUnits, units, users } from './schema';

export const directoryChangeKinds = [
  'unit_new',
  'unit_changed',
  'unit_moved',
  'unit_gone',
  'unit_returned',
  'person_new',
  'person_changed',
  'person_moved',
  'person_left',
  'person_returned',
] as const;
export type DirectoryChangeKind = (typeof directoryChangeKinds)[number];

/** One change a run made (or, in a preview, would make). */
export interface DirectoryChange {
  kind: DirectoryChangeKind;
  hsaId: string;
  /** Null for a protected identity: the report is read by administrators who may not see them. */
  name: string | null;
  /** What changed: names of fields, never their values. */
  fields?: string[];
}

export type DirectorySyncCounts = Record<DirectoryChangeKind | 'problems' | 'ordersCancelled', number>;

export function emptyCounts(): DirectorySyncCounts {
  return Object.fromEntries(
    [...directoryChangeKinds, 'problems', 'ordersCancelled'].map((key) => [key, 0]),
  ) as DirectorySyncCounts;
}

/** What a run shows: complete counts, and the first changes and problems of each batch up to a cap. */
export interface DirectoryRunReport {
  changes: DirectoryChange[];
  problems: DirectoryProblem[];
}

export const reportCap = 200;

/** What one step of a run (units, a batch of persons, the leavers) changed. */
export interface StepOutcome {
  counts: DirectorySyncCounts;
  changes: DirectoryChange[];
  problems: DirectoryProblem[];
}

export interface SyncContext {
  runId: string;
  now: Date;
  /** False in a preview: everything is worked out, nothing is written. */
  write: boolean;
  /** The id of a new unit or person; the demo passes one that keeps its seed's ids. */
  idFor?: (table: 'unit' | 'person', hsaId: string) => string | undefined;
}

const auditActor = { actorUserId: null, actorLabel: 'directory_sync' } as const;

function newOutcome(): StepOutcome {
  return { counts: emptyCounts(), changes: [], problems: [] };
}

function note(outcome: StepOutcome, change: DirectoryChange): void {
  outcome.counts[change.kind] += 1;
  if (outcome.changes.length < reportCap) outcome.changes.push(change);
}

const personName = (person: { givenName: string; surname: string; protectedIdentity: boolean }) =>
  person.protectedIdentity ? null : `${person.givenName} ${person.surname}`;

/**
 * Brings units in line with the directory, parents before children: new units, renamed ones, ones that moved
 * in the tree. Returns the unit ids by HSA-id that the persons' batches place people in.
 */
export async function syncUnits(
  q: Queryable,
  directoryUnits: readonly ValidUnit[],
  context: SyncContext,
): Promise<{ outcome: StepOutcome; unitIdsByHsaId: Map<string, string> }> {
  const outcome = newOutcome();
  const existing = await q
    .select({
      id: units.id,
      hsaId: units.hsaId,
      name: units.name,
      parentId: units.parentId,
      organisation: units.organisation,
      goneFromDirectoryAt: units.goneFromDirectoryAt,
    })
    .from(units);
  const byHsaId = new Map(existing.map((unit) => [unit.hsaId, unit]));
  const unitIdsByHsaId = new Map(existing.map((unit) => [unit.hsaId, unit.id]));
  const audits: AuditEntry[] = [];
  const unchanged: string[] = [];
  for (const unit of directoryUnits) {
    const parentId = unit.parentHsaId === null ? null : (unitIdsByHsaId.get(unit.parentHsaId) ?? null);
    const current = byHsaId.get(unit.hsaId);
    if (!current) {
      const id = context.idFor?.('unit', unit.hsaId) ?? newId();
      unitIdsByHsaId.set(unit.hsaId, id);
      note(outcome, { kind: 'unit_new', hsaId: unit.hsaId, name: unit.name });
      if (context.write) {
        await q.insert(units).values({
          id,
          hsaId: unit.hsaId,
          name: unit.name,
          parentId,
          organisation: unit.organisation,
          lastSeenSyncRunId: context.runId,
        });
        audits.push(unitAudit('directory_unit_added', id, { hsaId: unit.hsaId, name: unit.name }));
      }
      continue;
    }
    const moved = current.parentId !== parentId;
    const fields = [
      ...(current.name !== unit.name ? ['name'] : []),
      ...(current.organisation !== unit.organisation ? ['organisation'] : []),
    ];
    const returned = current.goneFromDirectoryAt !== null;
    if (moved) note(outcome, { kind: 'unit_moved', hsaId: unit.hsaId, name: unit.name });
    if (fields.length > 0)
      note(outcome, { kind: 'unit_changed', hsaId: unit.hsaId, name: unit.name, fields });
    if (returned) note(outcome, { kind: 'unit_returned', hsaId: unit.hsaId, name: unit.name });
    if (!context.write) continue;
    if (!moved && fields.length === 0 && !returned) {
      unchanged.push(unit.hsaId);
      continue;
    }
    await q
      .update(units)
      .set({
        name: unit.name,
        parentId,
        organisation: unit.organisation,
        goneFromDirectoryAt: null,
        lastSeenSyncRunId: context.runId,
      })
      .where(eq(units.id, current.id));
    if (moved) {
      audits.push(
        unitAudit('directory_unit_moved', current.id, {
          before: { parentId: current.parentId },
          after: { parentId },
        }),
      );
    }
    if (fields.length > 0) {
      audits.push(
        unitAudit('directory_unit_changed', current.id, {
          before: { name: current.name, organisation: current.organisation },
          after: { name: unit.name, organisation: unit.organisation },
        }),
      );
    }
    if (returned) audits.push(unitAudit('directory_unit_returned', current.id, {}));
  }
  if (context.write) {
    await markFromDirectory(q, 'units', unchanged, context.runId);
    await recordAudits(q, audits);
  }
  return { outcome, unitIdsByHsaId };
}

function unitAudit(action: string, unitId: string, detail: Record<string, unknown>): AuditEntry {
  return { ...auditActor, action, objectType: 'unit', objectId: unitId, unitId, outcome: 'success', detail };
}

function personAudit(
  action: string,
  personId: string,
  unitId: string | null,
  detail: Record<string, unknown>,
): AuditEntry {
  return {
    ...auditActor,
    action,
    objectType: 'person',
    objectId: personId,
    unitId,
    outcome: 'success',
    detail,
  };
}

/**
 * Applies one batch of persons (in HSA-id order): new persons, changed fields, new placements, persons
 * who came back. A personnummer another person already holds is reported, and that entry left as it was.
 */
export async function syncPersonBatch(
  q: Queryable,
  batch: readonly ValidPerson[],
  unitIdsByHsaId: ReadonlyMap<string, string>,
  context: SyncContext,
): Promise<StepOutcome> {
  const outcome = newOutcome();
  const hsaIds = batch.map((person) => person.hsaId);
  const existing = await q.select().from(persons).where(inArray(persons.hsaId, hsaIds));
  const byHsaId = new Map(existing.map((person) => [person.hsaId, person]));
  const placements = await unitIdsOfPersons(
    q,
    existing.map((person) => person.id),
  );
  const takenNumbers = await numbersHeldByOthers(q, batch);
  const audits: AuditEntry[] = [];
  const newPersons: (typeof persons.$inferInsert)[] = [];
  const newPlacements: { personId: string; unitId: string }[] = [];
  const seen: string[] = [];
  for (const person of batch) {
    const unitIds = person.unitHsaIds.map((hsaId) => unitIdsByHsaId.get(hsaId) ?? `new:${hsaId}`);
    const name = personName(person);
    if (person.personalIdentityNumber && takenNumbers.get(person.personalIdentityNumber) !== person.hsaId) {
      if (takenNumbers.has(person.personalIdentityNumber)) {
        outcome.counts.problems += 1;
        if (outcome.problems.length < reportCap) {
          outcome.problems.push({
            code: 'duplicate_personal_identity_number',
            dn: null,
            hsaId: person.protectedIdentity ? null : person.hsaId,
          });
        }
        seen.push(person.hsaId);
        continue;
      }
    }
    const current = byHsaId.get(person.hsaId);
    if (!current) {
      const id = context.idFor?.('person', person.hsaId) ?? newId();
      note(outcome, { kind: 'person_new', hsaId: person.hsaId, name });
      newPersons.push({ id, ...personFields(person), lastSeenSyncRunId: context.runId });
      for (const unitId of unitIds) newPlacements.push({ personId: id, unitId });
      audits.push(personAudit('directory_person_added', id, unitIds[0] ?? null, { hsaId: person.hsaId }));
      continue;
    }
    seen.push(person.hsaId);
    const fields = changedFields(current, person);
    const before = placements.get(current.id) ?? [];
    const moved = !sameSet(before, unitIds);
    const returned = current.leftAt !== null;
    if (fields.length > 0) note(outcome, { kind: 'person_changed', hsaId: person.hsaId, name, fields });
    if (moved) note(outcome, { kind: 'person_moved', hsaId: person.hsaId, name });
    if (returned) note(outcome, { kind: 'person_returned', hsaId: person.hsaId, name });
    if (!context.write) continue;
    if (fields.length > 0 || returned) {
      await q
        .update(persons)
        .set({ ...personFields(person), leftAt: null, lastSeenSyncRunId: context.runId })
        .where(eq(persons.id, current.id));
    }
    if (moved) {
      await q.delete(personUnits).where(eq(personUnits.personId, current.id));
      for (const unitId of unitIds) newPlacements.push({ personId: current.id, unitId });
    }
    const unitId = unitIds[0] ?? null;
    if (fields.length > 0)
      audits.push(personAudit('directory_person_changed', current.id, unitId, { fields }));
    if (moved) {
      audits.push(
        personAudit('directory_person_moved', current.id, unitId, {
          before: { unitIds: before },
          after: { unitIds },
        }),
      );
    }
    if (returned) audits.push(personAudit('directory_person_returned', current.id, unitId, {}));
  }
  if (!context.write) return outcome;
  if (newPersons.length > 0) await q.insert(persons).values(newPersons);
  if (newPlacements.length > 0) await q.insert(personUnits).values(newPlacements);
  await markFromDirectory(q, 'persons', seen, context.runId);
  await recordAudits(q, audits);
  return outcome;
}

function personFields(person: ValidPerson) {
  return {
    hsaId: person.hsaId,
    personalIdentityNumber: person.personalIdentityNumber,
    givenName: person.givenName,
    surname: person.surname,
    email: person.email,
    protectedIdentity: person.protectedIdentity,
  };
}

const comparedFields = [
  'personalIdentityNumber',
  'givenName',
  'surname',
  'email',
  'protectedIdentity',
] as const satisfies readonly (keyof ValidPerson)[];

function changedFields(current: typeof persons.$inferSelect, person: ValidPerson): string[] {
  return comparedFields.filter((field) => current[field] !== person[field]);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value) => b.includes(value));
}

async function unitIdsOfPersons(q: Queryable, personIds: readonly string[]): Promise<Map<string, string[]>> {
  const placed = new Map<string, string[]>();
  if (personIds.length === 0) return placed;
  const rows = await q
    .select({ personId: personUnits.personId, unitId: personUnits.unitId })
    .from(personUnits)
    .where(inArray(personUnits.personId, [...personIds]));
  for (const row of rows) placed.set(row.personId, [...(placed.get(row.personId) ?? []), row.unitId]);
  return placed;
}

/** The HSA-id holding each personnummer of the batch in the database. */
async function numbersHeldByOthers(
  q: Queryable,
  batch: readonly ValidPerson[],
): Promise<Map<string, string>> {
  const numbers = batch.flatMap((person) =>
    person.personalIdentityNumber ? [person.personalIdentityNumber] : [],
  );
  if (numbers.length === 0) return new Map();
  const rows = await q
    .select({ hsaId: persons.hsaId, number: persons.personalIdentityNumber })
    .from(persons)
    .where(inArray(persons.personalIdentityNumber, numbers));
  return new Map(rows.map((row) => [row.number as string, row.hsaId]));
}

/**
 * Records that these entries come from the directory, for those that did not yet (rows written by hand or by
 * the seed): only rows that came from the directory are ever taken for gone. Rows already marked are not
 * written again, so an unchanged run rewrites nothing.
 */
export async function markFromDirectory(
  q: Queryable,
  table: 'persons' | 'units',
  hsaIds: readonly string[],
  runId: string,
): Promise<void> {
  const target = table === 'persons' ? persons : units;
  for (let start = 0; start < hsaIds.length; start += 1000) {
    await q
      .update(target)
      .set({ lastSeenSyncRunId: runId })
      .where(and(inArray(target.hsaId, hsaIds.slice(start, start + 1000)), isNull(target.lastSeenSyncRunId)));
  }
}

export interface Leaver {
  id: string;
  hsaId: string;
  givenName: string;
  surname: string;
  protectedIdentity: boolean;
}

/** Persons who came from the directory, have not left, and are not among the HSA-ids a full read found. */
export async function findLeavers(q: Queryable, seenHsaIds: ReadonlySet<string>): Promise<Leaver[]> {
  const candidates = await q
    .select({
      id: persons.id,
      hsaId: persons.hsaId,
      givenName: persons.givenName,
      surname: persons.surname,
      protectedIdentity: persons.protectedIdentity,
    })
    .from(persons)
    .where(and(isNotNull(persons.lastSeenSyncRunId), isNull(persons.leftAt)));
  return candidates
    .filter((person) => !seenHsaIds.has(person.hsaId))
    .sort((a, b) => (a.hsaId < b.hsaId ? -1 : 1));
}

/**
 * Marks persons as having left the region: their open orders are cancelled, their staff account disabled,
 * and their active eIDs wait on "Att spärra". Nothing of theirs is deleted.
 */
export async function markLeavers(
  q: Queryable,
  context: SyncContext,
  leavers: readonly Leaver[],
): Promise<StepOutcome> {
  const outcome = newOutcome();
  const audits: AuditEntry[] = [];
  for (const leaver of leavers) {
    note(outcome, { kind: 'person_left', hsaId: leaver.hsaId, name: personName(leaver) });
    if (!context.write) continue;
    await q.update(persons).set({ leftAt: context.now }).where(eq(persons.id, leaver.id));
    const ordersCancelled = await cancelOpenOrdersOfLeaver(q, leaver.id, context.now);
    outcome.counts.ordersCancelled += ordersCancelled;
    const disabled = await q
      .update(users)
      .set({ disabledAt: context.now })
      .where(and(eq(users.personId, leaver.id), isNull(users.disabledAt)))
      .returning({ id: users.id });
    audits.push(
      personAudit('directory_person_left', leaver.id, null, {
        ordersCancelled,
        accountsDisabled: disabled.map((user) => user.id),
      }),
    );
  }
  if (context.write) await recordAudits(q, audits);
  return outcome;
}

/** Marks the units that came from the directory and a full read did not find as gone; they stay, with their history. */
export async function markGoneUnits(
  q: Queryable,
  context: SyncContext,
  seenHsaIds: ReadonlySet<string>,
): Promise<StepOutcome> {
  const outcome = newOutcome();
  const candidates = await q
    .select({ id: units.id, hsaId: units.hsaId, name: units.name })
    .from(units)
    .where(and(isNotNull(units.lastSeenSyncRunId), isNull(units.goneFromDirectoryAt)));
  const gone = candidates.filter((unit) => !seenHsaIds.has(unit.hsaId));
  for (const unit of gone) note(outcome, { kind: 'unit_gone', hsaId: unit.hsaId, name: unit.name });
  if (!context.write || gone.length === 0) return outcome;
  await q
    .update(units)
    .set({ goneFromDirectoryAt: context.now })
    .where(
      inArray(
        units.id,
        gone.map((unit) => unit.id),
      ),
    );
  await recordAudits(
    q,
    gone.map((unit) => unitAudit('directory_unit_gone', unit.id, {})),
  );
  return outcome;
}
