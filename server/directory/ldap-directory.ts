import { Client, type Entry, InvalidCredentialsError, ResultCodeError, TimeLimitExceededError } from 'ldapts';
import {
  DirectoryFault,
  type DirectoryPersonEntry,
  type DirectoryReadRequest,
  type DirectorySnapshot,
  type DirectorySource,
  type DirectoryUnitEntry,
} from '../../db/directory-entries';
import { parentDnOf } from './dn';

export interface LdapDirectorySettings {
  /** `ldap://host:port` or `ldaps://host:port` */
  url: string;
  /** The read-only account the sync binds as. */
  bindDn: string;
  bindPassword: string;
  /** Where the HSA tree starts, e.g. `c=SE`. */
  baseDn: string;
  /** Longest wait for one answer: the bind, or one page of a search. Default 30 s. */
  timeoutMs?: number;
  /** Longest wait for the TCP connection. Default 10 s. */
  connectTimeoutMs?: number;
  /** Entries per page of the paged searches. Default 1,000. */
  pageSize?: number;
}

const unitAttributes = ['objectClass', 'o', 'ou', 'hsaIdentity', 'modifyTimestamp'];
const personAttributes = [
  'hsaIdentity',
  'personalIdentityNumber',
  'givenName',
  'sn',
  'mail',
  'hsaWorksInUnit',
  'hsaProtectedPerson',
  'modifyTimestamp',
];

/**
 * Reads the HSA tree over LDAP (object classes of hsa.schema): every unit, and every person or those modified
 * since the last read. One connection per read, bound as the sync account, closed whatever happens; every
 * failure becomes a DirectoryFault whose message never holds the password.
 */
export function createLdapDirectory(settings: LdapDirectorySettings): DirectorySource {
  return {
    async read(request: DirectoryReadRequest): Promise<DirectorySnapshot> {
      const since = request.personsModifiedSince;
      if (since !== null && !generalizedTime.test(since)) {
        throw new DirectoryFault('search_failed', `personsModifiedSince is no generalized time: ${since}`);
      }
      const client = new Client({
        url: settings.url,
        timeout: settings.timeoutMs ?? 30_000,
        connectTimeout: settings.connectTimeoutMs ?? 10_000,
      });
      try {
        await client.bind(settings.bindDn, settings.bindPassword).catch((error: unknown) => {
          throw bindFault(error, settings);
        });
        const search = (filter: string, attributes: string[]) =>
          searchAll(client, settings, filter, attributes).catch((error: unknown) => {
            throw searchFault(error, settings, filter);
          });
        const units = (await search('(objectClass=hsaUnit)', unitAttributes)).map(unitFrom);
        const personFilter = since
          ? `(&(objectClass=hsaPerson)(modifyTimestamp>=${since}))`
          : '(objectClass=hsaPerson)';
        const persons = (await search(personFilter, personAttributes)).map(personFrom);
        return { units, persons, newestModifyTimestamp: newestOf([...units, ...persons]) };
      } finally {
        await client.unbind().catch(() => {});
      }
    },
  };
}

async function searchAll(
  client: Client,
  settings: LdapDirectorySettings,
  filter: string,
  attributes: string[],
): Promise<Entry[]> {
  const entries: Entry[] = [];
  const pages = client.searchPaginated(settings.baseDn, {
    scope: 'sub',
    filter,
    attributes,
    paged: { pageSize: settings.pageSize ?? 1_000 },
  });
  for await (const page of pages) entries.push(...page.searchEntries);
  return entries;
}

function unitFrom(entry: Entry): DirectoryUnitEntry {
  const attributes = attributesOf(entry);
  const isOrganisation = attributes.all('objectClass').some((name) => name.toLowerCase() === 'organization');
  return {
    dn: entry.dn,
    parentDn: parentDnOf(entry.dn),
    isOrganisation,
    hsaId: attributes.first('hsaIdentity'),
    name: attributes.first(isOrganisation ? 'o' : 'ou'),
    modifyTimestamp: modifyTimestampOf(entry.dn, attributes),
  };
}

function personFrom(entry: Entry): DirectoryPersonEntry {
  const attributes = attributesOf(entry);
  return {
    dn: entry.dn,
    parentDn: parentDnOf(entry.dn),
    hsaId: attributes.first('hsaIdentity'),
    personalIdentityNumber: attributes.first('personalIdentityNumber'),
    givenName: attributes.first('givenName'),
    surname: attributes.first('sn'),
    mail: attributes.first('mail'),
    otherUnitHsaIds: attributes.all('hsaWorksInUnit'),
    protectedIdentity: attributes.first('hsaProtectedPerson')?.toUpperCase() === 'TRUE',
    modifyTimestamp: modifyTimestampOf(entry.dn, attributes),
  };
}

/** An entry's values by attribute name, whatever case the server spells the name in. */
function attributesOf(entry: Entry) {
  const values = new Map<string, string[]>();
  for (const [name, value] of Object.entries(entry)) {
    if (name === 'dn') continue;
    const list = Array.isArray(value) ? value : [value];
    values.set(
      name.toLowerCase(),
      list.map((single) => (typeof single === 'string' ? single : single.toString('utf8'))),
    );
  }
  return {
    all: (name: string): string[] => values.get(name.toLowerCase()) ?? [],
    first: (name: string): string | undefined => values.get(name.toLowerCase())?.[0],
  };
}

function modifyTimestampOf(dn: string, attributes: ReturnType<typeof attributesOf>): string {
  const timestamp = attributes.first('modifyTimestamp');
  // Without it no incremental read can be trusted: an ACL that hides it must fail the run, not thin it out.
  if (!timestamp)
    throw new DirectoryFault('search_failed', `Directory entry ${dn} came without modifyTimestamp`);
  return timestamp;
}

const generalizedTime = /^(\d{14})(?:[.,](\d{1,9}))?Z$/;

/** Generalized times compare as text only in one shape: seconds, then a fraction of nine digits. */
function orderKey(timestamp: string): string {
  const match = generalizedTime.exec(timestamp);
  return match ? `${match[1]}.${(match[2] ?? '').padEnd(9, '0')}` : timestamp;
}

function newestOf(entries: { modifyTimestamp: string }[]): string | null {
  let newest: string | null = null;
  for (const { modifyTimestamp } of entries) {
    if (newest === null || orderKey(modifyTimestamp) > orderKey(newest)) newest = modifyTimestamp;
  }
  return newest;
}

const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'EPIPE',
]);
// Result codes of a bind that refuses who we say we are: inappropriateAuthentication, invalidCredentials and
// unwillingToPerform (slapd's answer to an empty password).
const refusedBindCodes = new Set([48, 49, 53]);

function bindFault(error: unknown, settings: LdapDirectorySettings): DirectoryFault {
  const at = `the directory at ${settings.url}`;
  const cause = errorText(error);
  if (error instanceof InvalidCredentialsError) {
    return new DirectoryFault('invalid_credentials', `${at} refused the password of ${settings.bindDn}`);
  }
  if (error instanceof ResultCodeError && refusedBindCodes.has(error.code)) {
    return new DirectoryFault(
      'invalid_credentials',
      `${at} refused the bind as ${settings.bindDn}: ${cause}`,
    );
  }
  if (isTimeout(error)) return new DirectoryFault('timeout', `No answer from ${at} in time: ${cause}`);
  if (error instanceof ResultCodeError) {
    return new DirectoryFault('search_failed', `${at} refused the bind as ${settings.bindDn}: ${cause}`);
  }
  return new DirectoryFault('unreachable', `Could not reach ${at}: ${cause}`);
}

function searchFault(error: unknown, settings: LdapDirectorySettings, filter: string): DirectoryFault {
  if (error instanceof DirectoryFault) return error;
  const cause = errorText(error);
  const at = `the directory at ${settings.url}`;
  if (isTimeout(error)) return new DirectoryFault('timeout', `No answer from ${at} in time: ${cause}`);
  if (hasUnreachableCode(error)) return new DirectoryFault('unreachable', `Lost ${at}: ${cause}`);
  return new DirectoryFault(
    'search_failed',
    `Searching ${settings.baseDn} for ${filter} at ${settings.url} failed: ${cause}`,
  );
}

function isTimeout(error: unknown): boolean {
  if (error instanceof TimeLimitExceededError) return true;
  // ldapts reports its own timers as plain errors: "Connection timeout", "<Request>: Operation timed out".
  return error instanceof Error && /Connection timeout|Operation timed out|ETIMEDOUT/.test(error.message);
}

function hasUnreachableCode(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && unreachableCodes.has(code);
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
}
