import { and, asc, count, desc, eq, isNotNull, sql } from 'drizzle-orm';
import type { AppDatabase } from './connection';
import { eids, mobileDevices } from './schema';

export type MobileDeviceRow = typeof mobileDevices.$inferSelect;

/** The database or a transaction on it. */
type Writer = Pick<AppDatabase, 'insert' | 'update' | 'select'>;

export function findMobileDevice(db: AppDatabase, deviceId: string): MobileDeviceRow | undefined {
  return db.select().from(mobileDevices).where(eq(mobileDevices.id, deviceId)).get();
}

/** Active devices count towards the limit of three per person, locked ones (too many wrong codes) too. */
export function countActiveMobileDevices(db: Writer, personId: string): number {
  const row = db
    .select({ n: count() })
    .from(mobileDevices)
    .where(and(eq(mobileDevices.personId, personId), eq(mobileDevices.state, 'active')))
    .get();
  return row?.n ?? 0;
}

export function listActiveMobileDevices(
  db: AppDatabase,
  personId: string,
): Array<{ id: string; name: string; createdAt: Date }> {
  return db
    .select({ id: mobileDevices.id, name: mobileDevices.name, createdAt: mobileDevices.createdAt })
    .from(mobileDevices)
    .where(and(eq(mobileDevices.personId, personId), eq(mobileDevices.state, 'active')))
    .orderBy(asc(mobileDevices.createdAt))
    .all();
}

export function insertMobileDevice(
  db: Writer,
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
): void {
  db.insert(mobileDevices)
    .values({ ...device, state: 'active', failedCodeAttempts: 0 })
    .run();
}

/** One more wrong code; returns how many wrong codes in a row the device now has. */
export function recordWrongDeviceCode(db: AppDatabase, deviceId: string): number {
  const row = db
    .update(mobileDevices)
    .set({ failedCodeAttempts: sql`${mobileDevices.failedCodeAttempts} + 1` })
    .where(eq(mobileDevices.id, deviceId))
    .returning({ failedCodeAttempts: mobileDevices.failedCodeAttempts })
    .get();
  return row?.failedCodeAttempts ?? 0;
}

export function resetWrongDeviceCodes(db: AppDatabase, deviceId: string): void {
  db.update(mobileDevices).set({ failedCodeAttempts: 0 }).where(eq(mobileDevices.id, deviceId)).run();
}

/** The certificate (PEM) of the device's newest active authentication eID, if it has one we issued. */
export function findActiveDeviceCertificate(
  db: AppDatabase,
  deviceId: string,
): { eidId: string; certificatePem: string } | undefined {
  const row = db
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
    .get();
  return row?.certificatePem ? { eidId: row.eidId, certificatePem: row.certificatePem } : undefined;
}
