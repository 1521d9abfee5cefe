import { execFile } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, sign, webcrypto } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as pkijs from 'pkijs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerCardEids, registerMobileEid, retireEid } from '../../db/eids';
import { newId } from '../../db/ids';
import { mobileDevices, persons } from '../../db/schema';
import {
  caChainPem,
  detachedCmsSignature,
  statementBytes,
  verifyStatementSignature,
} from './signed-statement';
import { holderWithEmail, holderWithoutEmail, newKey, type PkiFixture, pkiFixture } from './test-fixtures';
import type { CardCertificates, IssuedCertificate } from './types';
import { bufferSource, x509 } from './x509';

const runFile = promisify(execFile);
const issuedAt = new Date('2026-02-01T10:00:00Z');
const signedAt = new Date('2026-03-01T09:30:00Z');
const statement =
  'Jag, Åsa Öberg, beslutar att spärra kort 9752000000000000001 för Björn Ärlig (beställning 7f3c).';

let fixture: PkiFixture;
let cardSignatureKey: KeyObject;
let cardAuthenticationKey: KeyObject;
let card: CardCertificates;
let cardEids: { signature: string };
let phoneKey: KeyObject;
let phone: IssuedCertificate;

function ecKeyPair() {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

const signRsaPkcs1 = (text: string, key = cardSignatureKey) => sign('sha256', statementBytes(text), key);
const signEcdsaP1363 = (text: string, key = phoneKey) =>
  sign('sha256', statementBytes(text), { key, dsaEncoding: 'ieee-p1363' });

/** A person of their own with an enrolled Mobile SITHS device, as `person-id-mobile` issues for it. */
async function personWithPhone(holder = holderWithEmail, personId = fixture.personId) {
  const keys = ecKeyPair();
  const deviceId = newId();
  await fixture.db.insert(mobileDevices).values({
    id: deviceId,
    personId,
    name: 'iPhone 15',
    publicKeySpki: keys.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    trustLevel: 3,
    validTo: new Date('2028-01-01T00:00:00Z'),
  });
  const certificate = await fixture.pki.issueMobileCertificate({
    holder,
    deviceId,
    deviceName: 'iPhone 15',
    trustLevel: 3,
    publicKey: keys.publicKey,
  });
  await registerMobileEid(fixture.db, { personId, mobileDeviceId: deviceId, trustLevel: 3, certificate });
  return { privateKey: keys.privateKey, certificate };
}

beforeEach(async () => {
  fixture = await pkiFixture({ now: () => issuedAt });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const authentication = ecKeyPair();
  cardSignatureKey = rsa.privateKey;
  cardAuthenticationKey = authentication.privateKey;
  card = await fixture.pki.issueCardCertificates({
    holder: holderWithEmail,
    cardSerial: fixture.cardSerial,
    trustLevel: 3,
    keys: {
      authentication: authentication.publicKey,
      signature: rsa.publicKey,
      cardAuthentication: newKey(),
    },
    validTo: new Date('2031-01-01T00:00:00Z'),
  });
  cardEids = await registerCardEids(fixture.db, {
    personId: fixture.personId,
    cardId: fixture.cardId,
    trustLevel: 3,
    certificates: card,
  });
  const enrolled = await personWithPhone();
  phoneKey = enrolled.privateKey;
  phone = enrolled.certificate;
});

afterEach(() => fixture.db.close());

const cardDecision = (overrides: Partial<Parameters<typeof verifyStatementSignature>[1]> = {}) => ({
  statement,
  signature: signRsaPkcs1(statement),
  certificateDer: card.signature.der,
  at: signedAt,
  expectedPersonId: fixture.personId,
  method: 'card' as const,
  ...overrides,
});

const phoneDecision = (overrides: Partial<Parameters<typeof verifyStatementSignature>[1]> = {}) => ({
  statement,
  signature: signEcdsaP1363(statement),
  certificateDer: phone.der,
  at: signedAt,
  expectedPersonId: fixture.personId,
  method: 'mobile_siths' as const,
  ...overrides,
});

describe('statementBytes', () => {
  it('is the UTF-8 of the text as given', () => {
    expect(statementBytes('å ä ö')).toEqual(Buffer.from([0xc3, 0xa5, 0x20, 0xc3, 0xa4, 0x20, 0xc3, 0xb6]));
  });

  it('refuses text that is not in NFC instead of normalising it', () => {
    expect(() => statementBytes('Spärra kortet'.normalize('NFD'))).toThrow(/NFC/);
  });

  it('refuses a lone surrogate instead of letting UTF-8 replace it', () => {
    expect(() => statementBytes('Beslut \ud800 för Åsa')).toThrow(/well-formed/);
  });
});

describe('verifyStatementSignature', () => {
  it("accepts a statement signed with the card's signature key (RSA, PKCS#1 v1.5)", async () => {
    const result = await verifyStatementSignature(fixture.pki, cardDecision());
    expect(result).toMatchObject({
      ok: true,
      certificate: { personId: fixture.personId, cardId: fixture.cardId, purpose: 'signature' },
    });
  });

  it('accepts a card whose signature key is P-256, its signature in r||s form as the card agent sends it', async () => {
    const signatureKey = ecKeyPair();
    const ecCard = await fixture.pki.issueCardCertificates({
      holder: holderWithEmail,
      cardSerial: fixture.cardSerial,
      trustLevel: 3,
      keys: { authentication: newKey(), signature: signatureKey.publicKey, cardAuthentication: newKey() },
      validTo: new Date('2031-01-01T00:00:00Z'),
    });
    await registerCardEids(fixture.db, {
      personId: fixture.personId,
      cardId: fixture.cardId,
      trustLevel: 3,
      certificates: ecCard,
    });
    const decision = cardDecision({
      signature: signEcdsaP1363(statement, signatureKey.privateKey),
      certificateDer: ecCard.signature.der,
    });
    expect(await verifyStatementSignature(fixture.pki, decision)).toMatchObject({ ok: true });
  });

  it('accepts a statement signed with a Mobile SITHS device key (ECDSA P-256, r||s)', async () => {
    const signature = signEcdsaP1363(statement);
    expect(signature).toHaveLength(64);
    const result = await verifyStatementSignature(fixture.pki, phoneDecision({ signature }));
    expect(result).toMatchObject({ ok: true, certificate: { personId: fixture.personId } });
    expect(result.ok && result.certificate.mobileDeviceId).toBeTruthy();
  });

  it('refuses a statement altered after it was signed', async () => {
    const altered = statement.replace('Björn', 'Bjorn');
    expect(await verifyStatementSignature(fixture.pki, cardDecision({ statement: altered }))).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(await verifyStatementSignature(fixture.pki, phoneDecision({ statement: altered }))).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('refuses a statement in a non-NFC form even when that form is what was signed', async () => {
    const decomposed = statement.normalize('NFD');
    const signature = sign('sha256', Buffer.from(decomposed, 'utf8'), cardSignatureKey);
    expect(
      await verifyStatementSignature(fixture.pki, cardDecision({ statement: decomposed, signature })),
    ).toEqual({ ok: false, reason: 'malformed_statement' });
  });

  it("refuses another person's valid signature", async () => {
    const otherPersonId = newId();
    await fixture.db.insert(persons).values({
      id: otherPersonId,
      hsaId: holderWithoutEmail.hsaId,
      givenName: holderWithoutEmail.givenName,
      surname: holderWithoutEmail.surname,
    });
    const other = await personWithPhone(holderWithoutEmail, otherPersonId);
    const signature = signEcdsaP1363(statement, other.privateKey);
    expect(
      await verifyStatementSignature(
        fixture.pki,
        phoneDecision({ signature, certificateDer: other.certificate.der }),
      ),
    ).toEqual({ ok: false, reason: 'other_person' });
  });

  it("refuses the card's authentication key (9A) for a card decision, and the card's key for a phone one", async () => {
    const byAuthenticationKey = sign('sha256', statementBytes(statement), {
      key: cardAuthenticationKey,
      dsaEncoding: 'ieee-p1363',
    });
    expect(
      await verifyStatementSignature(
        fixture.pki,
        cardDecision({ signature: byAuthenticationKey, certificateDer: card.authentication.der }),
      ),
    ).toEqual({ ok: false, reason: 'wrong_key' });
    expect(await verifyStatementSignature(fixture.pki, cardDecision({ method: 'mobile_siths' }))).toEqual({
      ok: false,
      reason: 'wrong_key',
    });
  });

  it('refuses a revoked eID', async () => {
    expect(await retireEid(fixture.db, cardEids.signature, 'lost', issuedAt)).toBe(true);
    expect(await verifyStatementSignature(fixture.pki, cardDecision())).toEqual({
      ok: false,
      reason: 'revoked',
    });
  });

  it('refuses an eID that had expired at the time of signing', async () => {
    const after = new Date(card.signature.validTo.getTime() + 1000);
    expect(await verifyStatementSignature(fixture.pki, cardDecision({ at: after }))).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('refuses a self-signed certificate from outside our PKI', async () => {
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const ca = (await webcrypto.subtle.generateKey(algorithm, false, ['sign', 'verify'])) as CryptoKeyPair;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const foreign = await x509.X509CertificateGenerator.create({
      serialNumber: '0102030405060708',
      subject: 'CN=Åsa Öberg',
      issuer: 'CN=Åsa Öberg',
      notBefore: issuedAt,
      notAfter: new Date('2030-01-01T00:00:00Z'),
      publicKey: rsa.publicKey.export({ format: 'der', type: 'spki' }),
      signingKey: ca.privateKey,
      signingAlgorithm: algorithm,
    });
    const decision = cardDecision({
      signature: signRsaPkcs1(statement, rsa.privateKey),
      certificateDer: Buffer.from(foreign.rawData),
    });
    expect(await verifyStatementSignature(fixture.pki, decision)).toEqual({
      ok: false,
      reason: 'certificate_rejected',
    });
  });

  it('refuses a garbage signature without throwing', async () => {
    for (const signature of [Buffer.alloc(0), Buffer.from('inte en signatur'), Buffer.alloc(256, 0xff)]) {
      expect(await verifyStatementSignature(fixture.pki, cardDecision({ signature }))).toEqual({
        ok: false,
        reason: 'bad_signature',
      });
      expect(await verifyStatementSignature(fixture.pki, phoneDecision({ signature }))).toEqual({
        ok: false,
        reason: 'bad_signature',
      });
    }
  });
});

describe('detachedCmsSignature', () => {
  let folder: string;
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'signed-statement-'));
  });
  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  /** What `openssl cms -verify` says of the CMS file and the statement file as written: 'verified' or why not. */
  async function opensslVerdict(cms: Buffer, statementFileText: string): Promise<string> {
    await writeFile(join(folder, 'sig.p7s'), cms);
    await writeFile(join(folder, 'statement.txt'), statementBytes(statementFileText));
    await writeFile(join(folder, 'chain.pem'), await caChainPem(fixture.pki));
    const args = ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'sig.p7s'];
    args.push('-content', 'statement.txt', '-CAfile', 'chain.pem', '-purpose', 'any', '-out', '/dev/null');
    try {
      await runFile('openssl', args, { cwd: folder });
      return 'verified';
    } catch (error) {
      return String((error as { stderr?: string }).stderr ?? error);
    }
  }

  async function cmsOf(certificate: IssuedCertificate, signature: Buffer, text = statement) {
    const issuingCa = await fixture.pki.caCertificate(certificate.issuingCa);
    return detachedCmsSignature({
      statement: text,
      signature,
      certificateDer: certificate.der,
      chainDer: [issuingCa.der],
    });
  }

  it('makes a detached SignedData without signed attributes, naming the signer by issuer and serial', async () => {
    const contentInfo = pkijs.ContentInfo.fromBER(
      bufferSource(await cmsOf(card.signature, signRsaPkcs1(statement))),
    );
    expect(contentInfo.contentType).toBe(pkijs.ContentInfo.SIGNED_DATA);
    const signedData = new pkijs.SignedData({ schema: contentInfo.content });
    expect(signedData.encapContentInfo.eContentType).toBe(pkijs.id_ContentType_Data);
    expect(signedData.encapContentInfo.eContent).toBeUndefined();
    expect(signedData.certificates).toHaveLength(2);
    expect(signedData.signerInfos).toHaveLength(1);
    const signerInfo = signedData.signerInfos[0]!;
    expect(signerInfo.signedAttrs).toBeUndefined();
    expect(signerInfo.sid).toBeInstanceOf(pkijs.IssuerAndSerialNumber);
    expect(signerInfo.digestAlgorithm.algorithmId).toBe('2.16.840.1.101.3.4.2.1');
  });

  it('verifies with openssl for a card (RSA) signature, and fails for a statement altered by one letter', async () => {
    const cms = await cmsOf(card.signature, signRsaPkcs1(statement));
    expect(await opensslVerdict(cms, statement)).toBe('verified');
    expect(await opensslVerdict(cms, statement.replace('Åsa', 'Asa'))).toMatch(/content verify error/);
  });

  it('verifies with openssl for a Mobile SITHS (ECDSA) signature, and fails for an altered statement', async () => {
    const cms = await cmsOf(phone, signEcdsaP1363(statement));
    expect(await opensslVerdict(cms, statement)).toBe('verified');
    expect(await opensslVerdict(cms, statement.replace('Öberg', 'Oberg'))).toMatch(/content verify error/);
  });

  it('writes r and s as minimal DER INTEGERs whatever their leading bytes', async () => {
    const signatures = Array.from({ length: 4000 }, (_, index) => signEcdsaP1363(`${statement} ${index}`));
    const texts = new Map(signatures.map((signature, index) => [signature, `${statement} ${index}`]));
    const withLeadingZero = signatures.find((signature) => signature[0] === 0 || signature[32] === 0);
    const withHighBit = signatures.find((signature) => (signature[0]! & 0x80) !== 0);
    for (const signature of [withLeadingZero, withHighBit]) {
      expect(signature).toBeDefined();
      const text = texts.get(signature!)!;
      expect(await opensslVerdict(await cmsOf(phone, signature!, text), text)).toBe('verified');
    }
  });

  it('refuses to package a signature that does not verify over the statement', async () => {
    await expect(cmsOf(phone, signEcdsaP1363(statement), statement.replace('ö', 'o'))).rejects.toThrow(
      /does not verify/,
    );
  });
});

describe('caChainPem', () => {
  it('holds the root and every issuing CA', async () => {
    const pem = await caChainPem(fixture.pki);
    const certificates = pem.match(/-----BEGIN CERTIFICATE-----/g) ?? [];
    expect(certificates).toHaveLength(5);
    const root = await fixture.pki.caCertificate('root');
    expect(pem).toContain(root.pem.trim());
  });
});
