import { eq, sql } from 'drizzle-orm';
import type { AppDatabase } from './connection';
import { first } from './engine';
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
export async function insertCertificateAuthorityIfAbsent(
  db: AppDatabase,
  authority: NewCertificateAuthority,
): Promise<CertificateAuthorityRow> {
  await db.insert(certificateAuthorities).values(authority).onConflictDoNothing();
  return (await findCertificateAuthority(db, authority.id))!;
}

export async function findCertificateAuthority(
  db: AppDatabase,
  id: string,
): Promise<CertificateAuthorityRow | undefined> {
  return first(
    await db.select().from(certificateAuthorities).where(eq(certificateAuthorities.id, id)).limit(1),
  );
}

/** The next CRL number of the CA, counted up in the same statement so no two CRLs share one. */
export async function takeCrlNumber(db: AppDatabase, id: string): Promise<number> {
  const row = first(
    await db
      .update(certificateAuthorities)
      .set({ nextCrlNumber: sql`${certificateAuthorities.nextCrlNumber} + 1` })
      .where(eq(certificateAuthorities.id, id))
      .returning({ next: certificateAuthorities.nextCrlNumber }),
  );
  if (!row) throw new Error(`no certificate authority ${id}`);
  return row.next - 1;
}
