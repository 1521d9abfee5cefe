/** Certificates for keys generated on test cards, issued by throwaway test CAs (as the server's CA would). */
import { type KeyObject, randomBytes, webcrypto } from 'node:crypto';
// @peculiar/x509's dependency injection (tsyringe) needs the Reflect metadata polyfill first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

/** A certificate for a key generated on a card, issued by a throwaway test CA (as the server's CA would). */
export async function issueTestCertificate(publicKey: KeyObject, commonName: string): Promise<Buffer> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const signing = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const ca = await webcrypto.subtle.generateKey(signing, false, ['sign', 'verify']);
  const subjectAlgorithm =
    publicKey.asymmetricKeyType === 'rsa'
      ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
      : { name: 'ECDSA', namedCurve: 'P-256' };
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const subjectKey = await webcrypto.subtle.importKey('spki', spki, subjectAlgorithm, true, ['verify']);
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8).toString('hex'),
    subject: `CN=${commonName}, O=siths-desk test`,
    issuer: 'CN=siths-desk test CA',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 24 * 3600_000),
    publicKey: subjectKey,
    signingKey: ca.privateKey,
    signingAlgorithm: signing,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  return Buffer.from(certificate.rawData);
}
