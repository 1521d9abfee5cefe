import { z } from 'zod';
import { hsaIdSchema, normalizePersonalIdentityNumber } from '../protocol/identifiers';
import { nameProblem } from '../protocol/safe-text';
import type { DirectoryPersonEntry, DirectorySnapshot, DirectoryUnitEntry } from './directory-entries';

/** Why an entry of the directory was not applied; the run's report lists each with the entry's DN. */
export const directoryProblemCodes = [
  'invalid_hsa_id',
  'invalid_personal_identity_number',
  'invalid_name',
  'invalid_mail',
  'duplicate_hsa_id',
  'duplicate_personal_identity_number',
  'missing_parent_unit',
  'unknown_unit',
] as const;
export type DirectoryProblemCode = (typeof directoryProblemCodes)[number];

export interface DirectoryProblem {
  code: DirectoryProblemCode;
  /** Null for a protected identity: the DN says where they work. */
  dn: string | null;
  /** The HSA-id as the entry wrote it, when it had one (null for a protected identity). */
  hsaId: string | null;
}

export interface ValidUnit {
  hsaId: string;
  name: string;
  parentHsaId: string | null;
  organisation: string;
}

export interface ValidPerson {
  hsaId: string;
  personalIdentityNumber: string | null;
  givenName: string;
  surname: string;
  email: string | null;
  protectedIdentity: boolean;
  /** The unit the entry sits below first, then the others, without repeats. */
  unitHsaIds: string[];
}

export interface ValidatedDirectory {
  /** Parents before children. */
  units: ValidUnit[];
  /** In HSA-id order: the order batches are applied in, so a run can resume after the last applied id. */
  persons: ValidPerson[];
  /**
   * HSA-ids of persons whose entries exist but were not applied (invalid, duplicates): a full run must not
   * take them for persons who left.
   */
  heldBackPersonHsaIds: Set<string>;
  heldBackUnitHsaIds: Set<string>;
  problems: DirectoryProblem[];
}

const mailSchema = z.email();

/** Checks a directory read: what is valid is returned in apply order, what is not is reported. */
export function validateDirectory(snapshot: DirectorySnapshot, today: Date): ValidatedDirectory {
  const problems: DirectoryProblem[] = [];
  const units = validateUnits(snapshot.units, problems);
  const persons = validatePersons(snapshot.persons, units, problems, today);
  return {
    units: units.valid,
    persons: persons.valid,
    heldBackPersonHsaIds: persons.heldBack,
    heldBackUnitHsaIds: units.heldBack,
    problems,
  };
}

interface UnitValidation {
  valid: ValidUnit[];
  byDn: Map<string, ValidUnit>;
  hsaIds: Set<string>;
  heldBack: Set<string>;
}

function validateUnits(entries: readonly DirectoryUnitEntry[], problems: DirectoryProblem[]): UnitValidation {
  const heldBack = new Set<string>();
  const parsed = entries.map((entry) => ({ entry, hsaId: parseHsaId(entry.hsaId) }));
  const duplicates = repeated(parsed.map(({ hsaId }) => hsaId));
  const unitDns = new Set(entries.map((entry) => normalDn(entry.dn)));
  const byDn = new Map<string, ValidUnit>();
  const valid: ValidUnit[] = [];
  // Shallow entries first, so a unit's parent has been judged before the unit itself.
  const byDepth = [...parsed].sort((a, b) => dnDepth(a.entry.dn) - dnDepth(b.entry.dn));
  for (const { entry, hsaId } of byDepth) {
    const report = (code: DirectoryProblemCode) => {
      problems.push({ code, dn: entry.dn, hsaId: entry.hsaId ?? null });
      if (hsaId) heldBack.add(hsaId);
    };
    if (!hsaId) {
      report('invalid_hsa_id');
      continue;
    }
    if (duplicates.has(hsaId)) {
      report('duplicate_hsa_id');
      continue;
    }
    const name = entry.name?.trim();
    if (!name || nameProblem(name) || name.length > 200) {
      report('invalid_name');
      continue;
    }
    const parentIsUnit = unitDns.has(normalDn(entry.parentDn));
    const parent = byDn.get(normalDn(entry.parentDn));
    if (parentIsUnit ? !parent : !entry.isOrganisation) {
      report('missing_parent_unit');
      continue;
    }
    const unit: ValidUnit = {
      hsaId,
      name,
      parentHsaId: parent?.hsaId ?? null,
      organisation: parent?.organisation ?? name,
    };
    byDn.set(normalDn(entry.dn), unit);
    valid.push(unit);
  }
  return { valid, byDn, hsaIds: new Set(valid.map((unit) => unit.hsaId)), heldBack };
}

function validatePersons(
  entries: readonly DirectoryPersonEntry[],
  units: UnitValidation,
  problems: DirectoryProblem[],
  today: Date,
): { valid: ValidPerson[]; heldBack: Set<string> } {
  const heldBack = new Set<string>();
  const parsed = entries.map((entry) => ({
    entry,
    hsaId: parseHsaId(entry.hsaId),
    personalIdentityNumber:
      entry.personalIdentityNumber === undefined
        ? null
        : normalizePersonalIdentityNumber(entry.personalIdentityNumber, today),
  }));
  const duplicateHsaIds = repeated(parsed.map(({ hsaId }) => hsaId));
  const duplicateNumbers = repeated(parsed.map(({ personalIdentityNumber }) => personalIdentityNumber));
  const valid: ValidPerson[] = [];
  for (const { entry, hsaId, personalIdentityNumber } of parsed) {
    const report = (code: DirectoryProblemCode) => {
      problems.push(
        entry.protectedIdentity
          ? { code, dn: null, hsaId: null }
          : { code, dn: entry.dn, hsaId: entry.hsaId ?? null },
      );
      if (hsaId) heldBack.add(hsaId);
    };
    if (!hsaId) {
      report('invalid_hsa_id');
      continue;
    }
    if (duplicateHsaIds.has(hsaId)) {
      report('duplicate_hsa_id');
      continue;
    }
    if (entry.personalIdentityNumber !== undefined && !personalIdentityNumber) {
      report('invalid_personal_identity_number');
      continue;
    }
    if (personalIdentityNumber && duplicateNumbers.has(personalIdentityNumber)) {
      report('duplicate_personal_identity_number');
      continue;
    }
    const givenName = entry.givenName?.trim();
    const surname = entry.surname?.trim();
    if (!givenName || !surname || !isAcceptableName(givenName) || !isAcceptableName(surname)) {
      report('invalid_name');
      continue;
    }
    const email = entry.mail?.trim() || null;
    if (email && !mailSchema.safeParse(email).success) {
      report('invalid_mail');
      continue;
    }
    const placedIn = units.byDn.get(normalDn(entry.parentDn))?.hsaId;
    const others = entry.otherUnitHsaIds.map((value) => parseHsaId(value));
    if (!placedIn || others.some((other) => !other || !units.hsaIds.has(other))) {
      report('unknown_unit');
      continue;
    }
    valid.push({
      hsaId,
      personalIdentityNumber,
      givenName,
      surname,
      email,
      protectedIdentity: entry.protectedIdentity,
      unitHsaIds: [...new Set([placedIn, ...(others as string[])])],
    });
  }
  valid.sort((a, b) => compareHsaIds(a.hsaId, b.hsaId));
  return { valid, heldBack };
}

/** The order persons are applied in; a resumed run skips every id up to its position in this order. */
export function compareHsaIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isAcceptableName(name: string): boolean {
  return name.length <= 100 && nameProblem(name) === null;
}

function parseHsaId(value: string | undefined): string | null {
  if (value === undefined) return null;
  const parsed = hsaIdSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

function repeated(values: readonly (string | null)[]): Set<string> {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const value of values) {
    if (value === null) continue;
    if (seen.has(value)) twice.add(value);
    seen.add(value);
  }
  return twice;
}

/** DNs compare without case and without spaces around separators (ou=A, o=B is ou=a,o=b). */
function normalDn(dn: string): string {
  return dn
    .split(/(?<!\\),/)
    .map((rdn) => rdn.trim().toLowerCase())
    .join(',');
}

function dnDepth(dn: string): number {
  return dn.split(/(?<!\\),/).length;
}
