import { constants, type KeyObject, X509Certificate as NodeX509Certificate, verify } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { certificateAuthorityIds, type Pki, type ValidCertificate } from './types';
import { bufferSource } from './x509';

/**
 * Why a signed decision statement is not accepted. 'malformed_statement': the text is not one statementBytes
 * takes (not NFC, or not well-formed UTF-16).
 */
export type StatementRefusal =
  | 'malformed_statement'
  | 'certificate_rejected'
  | 'revoked'
  | 'expired'
  | 'other_person'
  | 'wrong_key'
  | 'bad_signature';

export type SigningMethod = 'card' | 'mobile_siths';

export type StatementVerification =
  | { ok: true; certificate: ValidCertificate }
  | { ok: false; reason: StatementRefusal };

const oids = {
  sha256: '2.16.840.1.101.3.4.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
} as const;

/** A lone surrogate would silently become U+FFFD in UTF-8, so it is refused like non-NFC text. */
const isSignable = (text: string) => !/\p{Surrogate}/u.test(text) && text.normalize('NFC') === text;

/**
 * The exact bytes a card or phone signs: the statement's UTF-8, unchanged. Text that is not in NFC is refused
 * rather than normalised: "å" as one code point and as "a" plus a combining ring look the same but are
 * different bytes, so a signature over one would not verify for whoever re-types or copies the text (and
 * macOS/iOS input and some PDF tools do change the form). Refusing keeps one visible text to one byte string.
 */
export function statementBytes(statement: string): Buffer {
  if (!isSignable(statement)) {
    throw new RangeError('a decision statement must be well-formed Unicode in NFC');
  }
  return Buffer.from(statement, 'utf8');
}

type SignatureScheme = 'rsa_pkcs1_sha256' | 'ecdsa_p1363_sha256';

/** From the certificate's key, never from what the caller claims: an RSA card key or an EC phone key. */
function signatureSchemeOf(publicKey: KeyObject): SignatureScheme | undefined {
  if (publicKey.asymmetricKeyType === 'rsa') return 'rsa_pkcs1_sha256';
  if (publicKey.asymmetricKeyType === 'ec') return 'ecdsa_p1363_sha256';
  return undefined;
}

function signatureVerifies(
  publicKey: KeyObject,
  scheme: SignatureScheme,
  bytes: Buffer,
  signature: Buffer,
): boolean {
  try {
    const key =
      scheme === 'rsa_pkcs1_sha256'
        ? { key: publicKey, padding: constants.RSA_PKCS1_PADDING }
        : { key: publicKey, dsaEncoding: 'ieee-p1363' as const };
    return verify('sha256', bytes, key, signature);
  } catch {
    return false;
  }
}

function holdsTheRightKey(certificate: ValidCertificate, method: SigningMethod): boolean {
  if (method === 'card') return certificate.cardId !== null && certificate.purpose === 'signature';
  return certificate.mobileDeviceId !== null;
}

/**
 * A decision statement signed by `expectedPersonId` at `at`: a registered eID of theirs that was valid then,
 * the key the method signs with (a card's signature key, 9C, or a Mobile SITHS device key), and a signature
 * over exactly statementBytes(statement).
 */
export async function verifyStatementSignature(
  pki: Pki,
  input: {
    statement: string;
    signature: Buffer;
    certificateDer: Buffer;
    at: Date;
    expectedPersonId: string;
    method: SigningMethod;
  },
): Promise<StatementVerification> {
  const refuse = (reason: StatementRefusal): StatementVerification => ({ ok: false, reason });
  if (!isSignable(input.statement)) return refuse('malformed_statement');
  const validation = await pki.validate(input.certificateDer, { at: input.at });
  if (!validation.ok) {
    if (validation.reason === 'revoked' || validation.reason === 'expired') return refuse(validation.reason);
    return refuse('certificate_rejected');
  }
  const { certificate } = validation;
  if (certificate.personId !== input.expectedPersonId) return refuse('other_person');
  if (!holdsTheRightKey(certificate, input.method)) return refuse('wrong_key');
  const scheme = signatureSchemeOf(certificate.publicKey);
  if (!scheme) return refuse('wrong_key');
  const bytes = statementBytes(input.statement);
  if (!signatureVerifies(certificate.publicKey, scheme, bytes, input.signature))
    return refuse('bad_signature');
  return { ok: true, certificate };
}

/** CMS wants ECDSA as DER Ecdsa-Sig-Value; pkijs converts from r||s with minimal INTEGERs. */
function cmsSignatureValue(scheme: SignatureScheme, signature: Buffer): ArrayBuffer {
  if (scheme === 'rsa_pkcs1_sha256') return bufferSource(signature).buffer;
  const der = pkijs.createCMSECDSASignature(bufferSource(signature).buffer);
  if (der.byteLength === 0) throw new RangeError('not an IEEE P1363 ECDSA signature');
  return der;
}

/** RFC 3370 wants NULL parameters with rsaEncryption; RFC 5758 wants none with ecdsa-with-SHA256. */
const signatureAlgorithmOf = (scheme: SignatureScheme): pkijs.AlgorithmIdentifier =>
  scheme === 'rsa_pkcs1_sha256'
    ? new pkijs.AlgorithmIdentifier({ algorithmId: oids.rsaEncryption, algorithmParams: new asn1js.Null() })
    : new pkijs.AlgorithmIdentifier({ algorithmId: oids.ecdsaWithSha256 });

/**
 * A detached CMS SignedData (DER) for download, to check with `openssl cms -verify -binary -content`. No signed
 * attributes, so the CMS signature is the very signature the card or phone made over the statement's bytes.
 * Throws unless the signature verifies with the certificate's key, so a file that does not verify is never
 * handed out; the certificate itself is for verifyStatementSignature to judge.
 */
export function detachedCmsSignature(input: {
  statement: string;
  signature: Buffer;
  certificateDer: Buffer;
  chainDer: Buffer[];
}): Buffer {
  const publicKey = new NodeX509Certificate(input.certificateDer).publicKey;
  const scheme = signatureSchemeOf(publicKey);
  if (!scheme) throw new RangeError(`no CMS signature for a ${publicKey.asymmetricKeyType} key`);
  if (!signatureVerifies(publicKey, scheme, statementBytes(input.statement), input.signature)) {
    throw new RangeError("the signature does not verify with the certificate's key");
  }
  const signer = pkijs.Certificate.fromBER(bufferSource(input.certificateDer));
  // RFC 5754: SHA-2 identifiers are generated with absent parameters.
  const sha256 = new pkijs.AlgorithmIdentifier({ algorithmId: oids.sha256 });
  const signedData = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [sha256],
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: pkijs.id_ContentType_Data }),
    certificates: [signer, ...input.chainDer.map((der) => pkijs.Certificate.fromBER(bufferSource(der)))],
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: signer.issuer, serialNumber: signer.serialNumber }),
        digestAlgorithm: sha256,
        signatureAlgorithm: signatureAlgorithmOf(scheme),
        signature: new asn1js.OctetString({ valueHex: cmsSignatureValue(scheme, input.signature) }),
      }),
    ],
  });
  const contentInfo = new pkijs.ContentInfo({
    contentType: pkijs.ContentInfo.SIGNED_DATA,
    content: signedData.toSchema(true),
  });
  return Buffer.from(contentInfo.toSchema().toBER(false));
}

/** The root and every issuing CA as one PEM file: the exported CA chain a relying party trusts. */
export async function caChainPem(pki: Pki): Promise<string> {
  const authorities = await Promise.all(certificateAuthorityIds.map((id) => pki.caCertificate(id)));
  return authorities.map((authority) => `${authority.pem.trimEnd()}\n`).join('');
}

/** What the pages get through the load context: the checks and the downloads, bound to the server's PKI. */
export interface SignedStatements {
  verify(input: Parameters<typeof verifyStatementSignature>[1]): Promise<StatementVerification>;
  detachedCms: typeof detachedCmsSignature;
  caChainPem(): Promise<string>;
}

export function signedStatementsOf(pki: Pki): SignedStatements {
  return {
    verify: (input) => verifyStatementSignature(pki, input),
    detachedCms: detachedCmsSignature,
    caChainPem: () => caChainPem(pki),
  };
}
