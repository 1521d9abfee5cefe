/**
 * LDIF (RFC 2849) for HSA-style units and persons (the object classes of hsa.schema): what the test directory
 * and the demo region are loaded from. Values outside plain ASCII (å, ä, ö) are written base-64, as the RFC asks.
 */
import { childDn } from './dn';

export type LdifAttributes = Record<string, string | readonly string[] | null | undefined>;

export interface UnitEntryFields {
  /** The entry above: the suffix for an organisation, the unit above for an organisational unit. */
  parentDn: string;
  /** An `organization` (the root of a tree, named by `o`) or an `organizationalUnit` (named by `ou`). */
  isOrganisation: boolean;
  hsaId: string;
  name: string;
}

export interface PersonEntryFields {
  /** The unit the person is placed in: their entry sits directly below it. */
  unitDn: string;
  hsaId: string;
  givenName: string;
  surname: string;
  personalIdentityNumber?: string | null;
  mail?: string | null;
  /** HSA-ids of further units the person works in. */
  otherUnitHsaIds?: readonly string[];
  protectedIdentity?: boolean;
}

export function unitDn(unit: Pick<UnitEntryFields, 'parentDn' | 'isOrganisation' | 'name'>): string {
  return childDn(unit.isOrganisation ? 'o' : 'ou', unit.name, unit.parentDn);
}

/** A person's RDN is their HSA-id: unique in the tree, unlike a name. */
export function personDn(person: Pick<PersonEntryFields, 'unitDn' | 'hsaId'>): string {
  return childDn('hsaIdentity', person.hsaId, person.unitDn);
}

export function unitEntryLdif(unit: UnitEntryFields): string {
  return entryLdif(unitDn(unit), {
    objectClass: [unit.isOrganisation ? 'organization' : 'organizationalUnit', 'hsaUnit'],
    [unit.isOrganisation ? 'o' : 'ou']: unit.name,
    hsaIdentity: unit.hsaId,
  });
}

export function personEntryLdif(person: PersonEntryFields): string {
  return entryLdif(personDn(person), {
    objectClass: ['inetOrgPerson', 'hsaPerson'],
    hsaIdentity: person.hsaId,
    cn: `${person.givenName} ${person.surname}`,
    givenName: person.givenName,
    sn: person.surname,
    mail: person.mail,
    personalIdentityNumber: person.personalIdentityNumber,
    hsaWorksInUnit: person.otherUnitHsaIds,
    hsaProtectedPerson: person.protectedIdentity ? 'TRUE' : undefined,
  });
}

/** One entry to add; attributes that are null, undefined or empty lists are left out. */
export function entryLdif(dn: string, attributes: LdifAttributes): string {
  const lines = [ldifLine('dn', dn)];
  for (const [attribute, value] of Object.entries(attributes)) {
    for (const single of valuesOf(value)) lines.push(ldifLine(attribute, single));
  }
  return `${lines.join('\n')}\n\n`;
}

/** A change record that replaces the given attributes' values; null or an empty list removes the attribute. */
export function replaceAttributesLdif(dn: string, attributes: LdifAttributes): string {
  const lines = [ldifLine('dn', dn), 'changetype: modify'];
  for (const [attribute, value] of Object.entries(attributes)) {
    lines.push(`replace: ${attribute}`);
    for (const single of valuesOf(value)) lines.push(ldifLine(attribute, single));
    lines.push('-');
  }
  return `${lines.join('\n')}\n\n`;
}

function valuesOf(value: LdifAttributes[string]): readonly string[] {
  if (value === null || value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}

function ldifLine(attribute: string, value: string): string {
  const line = isSafeString(value)
    ? `${attribute}: ${value}`
    : `${attribute}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
  return foldLine(line);
}

const [nul, lineFeed, carriageReturn, space, colon, lessThan] = [0x00, 0x0a, 0x0d, 0x20, 0x3a, 0x3c];

/**
 * RFC 2849 SAFE-STRING: ASCII without NUL, LF and CR, not starting with space, colon or '<'. A trailing space
 * goes base-64 too, since readers may trim it.
 */
function isSafeString(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code === nul || code === lineFeed || code === carriageReturn || code > 0x7f) return false;
  }
  const first = value.charCodeAt(0);
  return !(first === space || first === colon || first === lessThan || value.endsWith(' '));
}

/** Lines longer than 76 characters continue on lines that start with one space. */
function foldLine(line: string): string {
  if (line.length <= 76) return line;
  const parts = [line.slice(0, 76)];
  for (let start = 76; start < line.length; start += 75) parts.push(` ${line.slice(start, start + 75)}`);
  return parts.join('\n');
}
