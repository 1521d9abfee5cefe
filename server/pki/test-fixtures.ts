import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { AppDatabase } from '../../db/connection';
import { newId } from '../../db/ids';
import { cards, persons, units } from '../../db/schema';
import { openTestDatabase } from '../../test-support/test-database';
import { createPki, type PkiOptions } from './create-pki';
import type { CertificateHolder, Pki } from './types';

export const testMasterKey = Buffer.alloc(32, 0x42);

export const holderWithEmail: CertificateHolder = {
  hsaId: 'SE2321000131-P000000000001',
  givenName: 'Åsa',
  surname: 'Öberg',
  personalIdentityNumber: '198001011234',
  email: 'asa.oberg@vgregion.se',
  organisation: 'Västra Götalandsregionen',
};

export const holderWithoutEmail: CertificateHolder = {
  ...holderWithEmail,
  hsaId: 'SE2321000131-P000000000002',
  givenName: 'Olof',
  surname: 'Berg',
  personalIdentityNumber: null,
  email: null,
};

export const newKey = (): KeyObject => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;

export const cardKeys = () => ({
  authentication: newKey(),
  signature: newKey(),
  cardAuthentication: newKey(),
});

export interface PkiFixture {
  db: AppDatabase;
  pki: Pki;
  personId: string;
  cardId: string;
  cardSerial: string;
}

/**
 * A fresh test database with one person holding one active trust-level-3 card, and a PKI over it. The caller
 * closes `db`.
 */
export async function pkiFixture(options: Partial<Omit<PkiOptions, 'db'>> = {}): Promise<PkiFixture> {
  const db = await openTestDatabase();
  const unitId = newId();
  const personId = newId();
  const cardId = newId();
  const cardSerial = '9752000000000000001';
  await db.insert(units).values({
    id: unitId,
    hsaId: 'SE2321000131-E000000000001',
    name: 'Testenheten',
    organisation: 'Testregionen',
  });
  await db.insert(persons).values({
    id: personId,
    hsaId: holderWithEmail.hsaId,
    givenName: holderWithEmail.givenName,
    surname: holderWithEmail.surname,
    email: holderWithEmail.email,
  });
  await db.insert(cards).values({
    id: cardId,
    serial: cardSerial,
    kind: 'ordinary',
    productCode: 'SITHS-ORD-3',
    trustLevel: 3,
    state: 'active',
    holderPersonId: personId,
    unitId,
    validFrom: new Date('2025-01-01T00:00:00Z'),
    validTo: new Date('2030-01-01T00:00:00Z'),
  });
  const pki = createPki({ db, masterKey: testMasterKey, ...options });
  return { db, pki, personId, cardId, cardSerial };
}
