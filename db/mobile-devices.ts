import { and, asc, count, desc, eq, isNotNull, sql } from 'drizzle-orm';
import type { AppDatabase, Queryable } from './connection';
import { first } from './engine';
import { eids, mobileDevices } from './schema';

export type MobileDeviceRow = typeof mobileDevices.$inferSelect;

export async function findMobileDevice(
  db: AppDatabase,
  deviceId: string,
): Promise<MobileDeviceRow | undefined> {
  return first(await db.select().from(mobileDevices).where(eq(mobileDevices.id, deviceId)).limit(1));
}

/** Active devices count towards the limit of three per person, locked ones (too many wrong codes) too. */
export async function countActiveMobileDevices(db: Queryable, personId: string): Promise<number> {
  const row = first(
    await db
      .select({ n: count() })
      .from(mobileDevices)
      .where(and(eq(mobileDevices.personId, personId), eq(mobileDevices.state, 'active')))
      .limit(1),
  );
  return row?.n ?? 0;
}

export async function listActiveMobileDevices(
  db: AppDatabase,
  personId: string,
): Promise<Array<{ id: string; name: string; createdAt: Date }>> {
  return await db
    .select({ id: mobileDevices.id, name: mobileDevices.name, createdAt: mobileDevices.createdAt })
    .from(mobileDevices)
    .where(and(eq(mobileDevices.personId, personId), eq(mobileDevices.state, 'active')))
    .orderBy(asc(mobileDevices.createdAt));
}

export async function insertMobileDevice(
  db: Queryable,
  device: {
    id: string;
    personId: string;
    name: string;
    publicKeySpki: string;
    trustLevel: 2 | 3;
    validTo: Date;
    codeHash: string;
    createdAt: Date;
  },
): Promise<void> {
  await db.insert(mobileDevices).values({ ...device, state: 'active', failedCodeAttempts: 0 });
}

/** One more wrong code; returns how many wrong codes in a row the device now has. */
export async function recordWrongDeviceCode(db: AppDatabase, deviceId: string): Promise<number> {
  const row = first(
    await db
      .update(mobileDevices)
      .set({ failedCodeAttempts: sql`${mobileDevices.failedCodeAttempts} + 1` })
      .where(eq(mobileDevices.id, deviceId))
      .returning({ failedCodeAttempts: mobileDevices.failedCodeAttempts }),
  );
  return row?.failedCodeAttempts ?? 0;
}

export async function resetWrongDeviceCodes(db: AppDatabase, deviceId: string): Promise<void> {
  await db.update(mobileDevices).set({ failedCodeAttempts: 0 }).where(eq(mobileDevices.id, deviceId));
}

/** The certificate (PEM) of the device's newest active authentication eID, if it has one we issued. */
export async function findActiveDeviceCertificate(
  db: AppDatabase,
  deviceId: string,
): Promise<{ eidId: string; certificatePem: string } | undefined> {
  const row = first(
    await db
      .select({ eidId: eids.id, certificatePem: eids.certificatePem })
      .from(eids)
      .where(
        and(
          eq(eids.mobileDeviceId, deviceId),
          eq(eids.state, 'active'),
          eq(eids.purpose, 'authentication'),
          isNotNull(eids.certificatePem),
        ),
      )
      .orderBy(desc(eids.createdAt))
      .limit(1),
  );
  return row?.certificatePem ? { eidId: row.eidId, certificatePem: row.certificatePem } : undefined;
}
