/** Shared set-up of the integration tests: pcscd, a state directory and cards with known secrets. */
import { type KeyObject, randomBytes, randomInt, webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @peculiar/x509's dependency injection (tsyringe) needs the Reflect metadata polyfill first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import type { Logger } from 'pino';
import {
  type InsertVirtualCardOptions,
  insertVirtualCard,
  type PcscdHandle,
  startPcscd,
} from '../../test-support/pcscd.js';
import type { ManagementKey } from '../piv/management-key.js';
import { type OpenPivSessionOptions, openPivSession } from '../piv/open-piv-session.js';
import type { ManagementKeyAlgorithm } from '../piv/piv-constants.js';
import { loadCardState, saveCardState } from './card-state.js';
import { createCardState } from './create-card.js';

export interface TestCard {
  serial: string;
  pin: string;
  puk: string;
  managementKey: ManagementKey;
}

const digits = (count: number) => Array.from({ length: count }, () => randomInt(10)).join('');

export class TestRig {
  readonly stateDir = mkdtempSync(join(tmpdir(), 'siths-cards-'));
  private pcscd: PcscdHandle | undefined;

  async start(): Promise<this> {
    this.pcscd = await startPcscd({ reuseRunning: process.env.PCSCD_REUSE === '1' });
    return this;
  }

  get reusedPcscd(): boolean {
    return this.pcscd?.reused ?? false;
  }

  /** For tests of pcscd going away; only ever stops the pcscd this rig started. */
  async stopPcscd(): Promise<void> {
    if (this.reusedPcscd) throw new Error('will not stop a pcscd this rig did not start');
    await this.pcscd?.stop();
    this.pcscd = undefined;
  }

  async restartPcscd(): Promise<void> {
    await this.pcscd?.stop();
    this.pcscd = await startPcscd();
  }

  async stop(): Promise<void> {
    await this.pcscd?.stop();
    rmSync(this.stateDir, { recursive: true, force: true });
  }

  /** A card on the shelf with random secrets; the test keeps them to use and to grep logs for. */
  createCard(
    algorithm: ManagementKeyAlgorithm = 'AES128',
    kind: 'ordinary' | 'reserve' = 'ordinary',
  ): TestCard {
    const card: TestCard = {
      serial: `9752${digits(15)}`,
      pin: digits(6),
      puk: digits(8),
      managementKey: { algorithm, key: randomBytes(algorithm === '3DES' ? 24 : 16) },
    };
    saveCardState(this.stateDir, createCardState({ ...card, kind }));
    return card;
  }

  insert(card: TestCard, options: Omit<InsertVirtualCardOptions, 'stateDir' | 'serial'> = {}) {
    return insertVirtualCard({ stateDir: this.stateDir, serial: card.serial, ...options });
  }

  open(readerName: string, options: OpenPivSessionOptions & { logger?: Logger } = {}) {
    return openPivSession(readerName, options);
  }

  state(card: TestCard) {
    return loadCardState(this.stateDir, card.serial);
  }
}

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
