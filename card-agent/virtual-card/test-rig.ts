/** Shared set-up of the integration tests: pcscd, a state directory and cards with known secrets. */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  /** `waitForFreeMs`: another suite's pcscd may be up for a while; wait for it to go instead of failing. */
  async start(options: { waitForFreeMs?: number } = {}): Promise<this> {
    this.pcscd = await startPcscd({ reuseRunning: process.env.PCSCD_REUSE === '1', ...options });
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

  /**
   * A card on the shelf with random secrets; the test keeps them to use and to grep logs for.
   * `secrets` may choose some of them from the serial (as the server derives the PUK and management key).
   */
  createCard(
    algorithm: ManagementKeyAlgorithm = 'AES128',
    kind: 'ordinary' | 'reserve' = 'ordinary',
    secrets: (serial: string) => Partial<Omit<TestCard, 'serial'>> = () => ({}),
  ): TestCard {
    const serial = `9752${digits(15)}`;
    const card: TestCard = {
      serial,
      pin: digits(6),
      puk: digits(8),
      managementKey: { algorithm, key: randomBytes(algorithm === '3DES' ? 24 : 16) },
      ...secrets(serial),
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

export { issueTestCertificate } from './test-certificates.js';
