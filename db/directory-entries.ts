/**
 * What a directory read hands the sync: HSA-style entries as the directory holds them, not yet checked.
 * The LDAP reader (server/directory/) fills them from attributes; the sync (db/directory-sync.ts) validates
 * them (HSA-ids, personnummer, duplicates, parents) and applies what is valid.
 */

/** An organisation (the root of a tree) or a care unit below it. */
export interface DirectoryUnitEntry {
  /** The entry's DN as the directory spells it. */
  dn: string;
  /** The DN of the entry directly above; a unit whose parent is no unit entry is a root only if it is an organisation. */
  parentDn: string;
  /** `organization` entries are the roots of the HSA tree; everything else is an organisational unit. */
  isOrganisation: boolean;
  hsaId: string | undefined;
  /** `o` of an organisation, `ou` of a unit. */
  name: string | undefined;
  /** The directory's own modifyTimestamp, in generalized time (20261203081500Z). */
  modifyTimestamp: string;
}

export interface DirectoryPersonEntry {
  dn: string;
  /** The person's entry sits below the unit they are placed in. */
  parentDn: string;
  hsaId: string | undefined;
  /** personnummer or samordningsnummer, as the directory writes it. */
  personalIdentityNumber: string | undefined;
  givenName: string | undefined;
  surname: string | undefined;
  mail: string | undefined;
  /** HSA-ids of further units the person works in, besides the one their entry sits below. */
  otherUnitHsaIds: string[];
  /** Skyddade personuppgifter. */
  protectedIdentity: boolean;
  modifyTimestamp: string;
}

/** One read of the directory: every unit, and every person (full) or those changed since a time (incremental). */
export interface DirectorySnapshot {
  units: DirectoryUnitEntry[];
  persons: DirectoryPersonEntry[];
  /** The newest modifyTimestamp among the entries read: where the next incremental read starts. */
  newestModifyTimestamp: string | null;
}

export interface DirectoryReadRequest {
  /** Read only persons modified at or after this generalized time; null reads all. */
  personsModifiedSince: string | null;
}

export const directoryFaultCodes = [
  'unreachable',
  'timeout',
  'invalid_credentials',
  'search_failed',
] as const;
export type DirectoryFaultCode = (typeof directoryFaultCodes)[number];

/** A directory that could not be read at all; nothing of the run is applied. */
export class DirectoryFault extends Error {
  constructor(
    readonly code: DirectoryFaultCode,
    message: string,
  ) {
    super(message);
    this.name = 'DirectoryFault';
  }
}

export interface DirectorySource {
  read(request: DirectoryReadRequest): Promise<DirectorySnapshot>;
}
