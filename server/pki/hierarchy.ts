import {
  type CertificateAuthorityRow,
  findCertificateAuthority,
  insertCertificateAuthorityIfAbsent,
} from '../../db/certificate-authorities';
import type { AppDatabase } from '../../db/connection';
import { decryptCaKey, encryptCaKey } from './ca-key-store';
import { randomCertificateSerial } from './profiles';
import type { CertificateAuthorityId } from './types';
import { bufferSource, caKeyAlgorithm, signingAlgorithm, x509 } from './x509';

interface CaDefinition {
  id: CertificateAuthorityId;
  parentId: CertificateAuthorityId | null;
  name: string;
  validityYears: number;
}

/** The test hierarchy, named after SITHS e-id's: one root, an issuing CA per kind of eID. */
export const caDefinitions: readonly CaDefinition[] = [
  { id: 'root', parentId: null, name: 'SITHS e-id Root CA v2 TEST', validityYears: 25 },
  {
    id: 'person-hsa-id-3',
    parentId: 'root',
    name: 'SITHS e-id Person HSA-id 3 CA v1 TEST',
    validityYears: 15,
  },
  {
    id: 'person-hsa-id-2',
    parentId: 'root',
    name: 'SITHS e-id Person HSA-id 2 CA v1 TEST',
    validityYears: 15,
  },
  {
    id: 'person-id-mobile',
    parentId: 'root',
    name: 'SITHS e-id Person ID Mobile CA v1 TEST',
    validityYears: 15,
  },
  { id: 'card-transport', parentId: 'root', name: 'SITHS e-id Card Transport CA v1 TEST', validityYears: 15 },
];

/** A CA ready to sign: its certificate and its private key, decrypted into memory only. */
export interface LoadedCa {
  id: CertificateAuthorityId;
  certificate: x509.X509Certificate;
  der: Buffer;
  pem: string;
  privateKey: CryptoKey;
  /** Subject key identifier, hex: what the authority key identifier of everything it signs names. */
  keyId: string;
}

export type Hierarchy = ReadonlyMap<CertificateAuthorityId, LoadedCa>;

const caSubject = (name: string) =>
  new x509.Name([
    { C: [{ printableString: 'SE' }] },
    { O: [{ utf8String: 'siths-desk TEST' }] },
    { CN: [{ utf8String: name }] },
  ]);

/**
 * Loads the hierarchy, creating any CA that is missing. Two processes may race here: each inserts only if
 * absent and then carries on with whatever the database holds.
 */
export async function loadOrCreateHierarchy(
  db: AppDatabase,
  masterKey: Buffer,
  now: Date,
): Promise<Hierarchy> {
  const loaded = new Map<CertificateAuthorityId, LoadedCa>();
  for (const definition of caDefinitions) {
    const parent = definition.parentId ? loaded.get(definition.parentId) : undefined;
    const row =
      (await findCertificateAuthority(db, definition.id)) ??
      (await insertCertificateAuthorityIfAbsent(db, await createCa(definition, parent, masterKey, now)));
    loaded.set(definition.id, await loadCa(row, parent, masterKey));
  }
  return loaded;
}

async function createCa(
  definition: CaDefinition,
  parent: LoadedCa | undefined,
  masterKey: Buffer,
  now: Date,
) {
  const keys = (await crypto.subtle.generateKey(caKeyAlgorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + definition.validityYears);
  const subjectKeyIdentifier = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomCertificateSerial(),
    subject: caSubject(definition.name),
    issuer: parent ? parent.certificate.subjectName : caSubject(definition.name),
    notBefore,
    notAfter: parent && parent.certificate.notAfter < notAfter ? parent.certificate.notAfter : notAfter,
    publicKey: keys.publicKey,
    signingKey: parent ? parent.privateKey : keys.privateKey,
    signingAlgorithm,
    extensions: [
      // The root may certify issuing CAs; they may certify only end entities.
      new x509.BasicConstraintsExtension(true, parent ? 0 : 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      subjectKeyIdentifier,
      new x509.AuthorityKeyIdentifierExtension(parent ? parent.keyId : subjectKeyIdentifier.keyId),
    ],
  });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const encryptedPrivateKey = encryptCaKey(masterKey, definition.id, pkcs8);
  pkcs8.fill(0);
  return {
    id: definition.id,
    parentId: definition.parentId,
    name: definition.name,
    certificatePem: `${certificate.toString('pem')}\n`,
    encryptedPrivateKey,
  };
}

async function loadCa(
  row: CertificateAuthorityRow,
  parent: LoadedCa | undefined,
  masterKey: Buffer,
): Promise<LoadedCa> {
  const certificate = new x509.X509Certificate(row.certificatePem);
  const signer = parent?.certificate ?? certificate;
  if (!(await certificate.verify({ publicKey: signer.publicKey, signatureOnly: true }))) {
    throw new Error(`the certificate of CA ${row.id} is not signed by ${parent?.id ?? 'itself'}`);
  }
  const decrypted = decryptCaKey(masterKey, row.id, row.encryptedPrivateKey);
  const pkcs8 = bufferSource(decrypted);
  decrypted.fill(0);
  try {
    const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, caKeyAlgorithm, false, ['sign']);
    const keyId = certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    if (!keyId) throw new Error(`the certificate of CA ${row.id} has no subject key identifier`);
    const der = Buffer.from(certificate.rawData);
    return {
      id: row.id as CertificateAuthorityId,
      certificate,
      der,
      pem: row.certificatePem,
      privateKey,
      keyId,
    };
  } finally {
    pkcs8.fill(0);
  }
}
