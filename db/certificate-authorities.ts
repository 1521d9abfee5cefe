import { eq, sql } from 'drizzle-orm';
import type { AppDatabase } from './connection';
import { certificateAuthorities } from './schema';

export type CertificateAuthorityRow = typeof certificateAuthorities.$inferSelect;

export interface NewCertificateAuthority {
  id: string;
  parentId: string | null;
  name: string;
  certificatePem: string;
  encryptedPrivateKey: string;
}

/**
 * Inserts the CA unless one with this id exists, then returns the stored one: when two processes create the
 * hierarchy at once, both go on with the same CA.
 */
export function insertCertificateAuthorityIfAbsent(
  db: AppDatabase,
  authority: NewCertificateAuthority,
): CertificateAuthorityRow {
  db.insert(certificateAuthorities).values(authority).onConflictDoNothing().run();
  return findCertificateAuthority(db, authority.id)!;
}

export function findCertificateAuthority(db: AppDatabase, id: string): CertificateAuthorityRow | undefined {
  return db.select().from(certificateAuthorities).where(eq(certificateAuthorities.id, id)).get();
}

/** The next CRL number of the CA, counted up in the same statement so no two CRLs share one. */
export function takeCrlNumber(db: AppDatabase, id: string): number {
  const row = db
    .update(certificateAuthorities)
    .set({ nextCrlNumber: sql`${certificateAuthorities.nextCrlNumber} + 1` })
    .where(eq(certificateAuthorities.id, id))
    .returning({ next: certificateAuthorities.nextCrlNumber })
    .get();
  if (!row) throw new Error(`no certificate authority ${id}`);
  return row.next - 1;
}
