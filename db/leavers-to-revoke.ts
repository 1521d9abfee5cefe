import { and, desc, eq, isNotNull, sql } from 'drizzle-orm';
import type { Queryable } from './connection';
import { type IdentityViewer, type ShownIdentity, shownTo } from './protected-identity';
import { eids, persons } from './schema';

export interface LeaverToRevoke {
  personId: string;
  leftAt: Date;
  identity: ShownIdentity<{ givenName: string; surname: string; hsaId: string }>;
  /** Cards and Mobile SITHS devices that still hold an active eID of the person. */
  activeCards: number;
  activeDevices: number;
}

/** At most this many on the page; the count says how many there are. */
export const leaversToRevokeLimit = 500;

const activeEidOfLeaver = and(isNotNull(persons.leftAt), eq(eids.state, 'active'));

/**
 * Persons the directory says have left and who still hold an active SITHS eID, most recent leavers first:
 * what the ID-administrators revoke ("Att spärra"). Region-wide: ID-administrators are not unit-scoped.
 */
export async function listLeaversToRevoke(q: Queryable, viewer: IdentityViewer): Promise<LeaverToRevoke[]> {
  const rows = await q
    .select({
      personId: persons.id,
      leftAt: persons.leftAt,
      givenName: persons.givenName,
      surname: persons.surname,
      hsaId: persons.hsaId,
      protectedIdentity: persons.protectedIdentity,
      activeCards: sql<number>`count(distinct ${eids.cardId})`,
      activeDevices: sql<number>`count(distinct ${eids.mobileDeviceId})`,
    })
    .from(persons)
    .innerJoin(eids, eq(eids.personId, persons.id))
    .where(activeEidOfLeaver)
    .groupBy(persons.id)
    .orderBy(desc(persons.leftAt), persons.id)
    .limit(leaversToRevokeLimit);
  return rows.map((row) => ({
    personId: row.personId,
    leftAt: row.leftAt as Date,
    identity: shownTo(viewer, row.protectedIdentity, {
      givenName: row.givenName,
      surname: row.surname,
      hsaId: row.hsaId,
    }),
    activeCards: Number(row.activeCards),
    activeDevices: Number(row.activeDevices),
  }));
}

export async function countLeaversToRevoke(q: Queryable): Promise<number> {
  const [row] = await q
    .select({ count: sql<number>`count(distinct ${persons.id})` })
    .from(persons)
    .innerJoin(eids, eq(eids.personId, persons.id))
    .where(activeEidOfLeaver);
  return Number(row?.count ?? 0);
}
