import { createHash, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openPivSession } from '../card-agent/piv/open-piv-session';
import type { PivSession } from '../card-agent/piv/piv-session';
import { saveCardState } from '../card-agent/virtual-card/card-state';
import { createCardState } from '../card-agent/virtual-card/create-card';
import type { AppDatabase } from '../db/connection';
import { demoCards, seedDemoData } from '../db/seed';
import { createPki } from '../server/pki/create-pki';
import type { Pki } from '../server/pki/types';
import { insertVirtualCard, type PcscdHandle, startPcscd, type VirtualCardProcess } from './pcscd';
import { personaliseVirtualCard } from './personalise-virtual-card';
import { openTestDatabase } from './test-database';

const logger = pino({ level: 'silent' });
const stateDir = mkdtempSync(join(tmpdir(), 'siths-personalised-cards-'));
const pin = '482915';
let db: AppDatabase;
let pki: Pki;
let pcscd: PcscdHandle | undefined;
let inserted: VirtualCardProcess | undefined;
let session: PivSession | undefined;

async function personalisedCard(serial: string, kind: 'ordinary' | 'reserve') {
  const managementKey = { algorithm: 'AES128' as const, key: randomBytes(16) };
  saveCardState(stateDir, createCardState({ serial, kind, pin, puk: '73920184', managementKey }));
  await personaliseVirtualCard({ db, pki, stateDir, serial });
  inserted = await insertVirtualCard({ stateDir, serial });
  session = await openPivSession(inserted.readerName, { logger });
  return session;
}

const challenge = () => randomBytes(32);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

beforeAll(async () => {
  db = await openTestDatabase();
  await seedDemoData(db, { hashPassword: async (password) => password });
  pki = createPki({ db, masterKey: randomBytes(32) });
  // One pcscd per machine: another suite's may still be up for a while.
  pcscd = await startPcscd({ waitForFreeMs: 240_000 });
}, 300_000);

afterAll(async () => {
  await pcscd?.stop();
  await db?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

afterEach(async () => {
  await session?.close();
  await inserted?.remove();
  session = undefined;
  inserted = undefined;
});

describe('a personalised virtual card through pcscd', () => {
  it('has certificates in 9A, 9C and 9E that the PKI accepts, and signs with their keys', async () => {
    const piv = await personalisedCard(demoCards.activeOrdinary, 'ordinary');
    const purposes = { '9a': 'authentication', '9c': 'signature', '9e': 'card_authentication' } as const;
    const certificates = new Map<keyof typeof purposes, Buffer>();
    for (const slot of ['9a', '9c', '9e'] as const) {
      const der = await piv.readCertificate(slot);
      expect(der, slot).toBeDefined();
      certificates.set(slot, der!);
      expect(await pki.validate(der!)).toMatchObject({
        ok: true,
        certificate: { purpose: purposes[slot], cardSerial: demoCards.activeOrdinary, trustLevel: 3 },
      });
    }

    const cardChallenge = challenge();
    const cardSignature = await piv.sign('9e', sha256(cardChallenge));
    const cardKey = await pki.validate(certificates.get('9e')!);
    expect(cardKey.ok && verify('sha256', cardChallenge, cardKey.certificate.publicKey, cardSignature)).toBe(
      true,
    );

    await piv.verifyPin(pin);
    const loginChallenge = challenge();
    const loginSignature = await piv.sign('9a', sha256(loginChallenge));
    const loginKey = await pki.validate(certificates.get('9a')!);
    expect(
      loginKey.ok && verify('sha256', loginChallenge, loginKey.certificate.publicKey, loginSignature),
    ).toBe(true);
    const otherKey = cardKey.ok ? cardKey.certificate.publicKey : undefined;
    expect(verify('sha256', loginChallenge, otherKey!, loginSignature)).toBe(false);
  });

  it('has a transport certificate in 9D on a reserve card, and no personal ones', async () => {
    const piv = await personalisedCard(demoCards.reserveNoOrder, 'reserve');
    expect(await piv.readCertificate('9a')).toBeUndefined();
    const der = await piv.readCertificate('9d');
    const validation = await pki.validate(der!);
    expect(validation).toMatchObject({
      ok: true,
      certificate: { purpose: 'transport', cardSerial: demoCards.reserveNoOrder, personId: null },
    });
    await piv.verifyPin(pin);
    const data = challenge();
    const signature = await piv.sign('9d', sha256(data));
    expect(validation.ok && verify('sha256', data, validation.certificate.publicKey, signature)).toBe(true);
  });
});
