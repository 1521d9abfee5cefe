import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLOT_CERTIFICATE_OBJECT, TAG } from '../card-agent/piv/piv-constants';
import { findTlv } from '../card-agent/piv/tlv';
import { loadCardState, saveCardState } from '../card-agent/virtual-card/card-state';
import { createCardState, objectKey } from '../card-agent/virtual-card/create-card';
import type { AppDatabase } from '../db/connection';
import { first } from '../db/engine';
import { cards, eids } from '../db/schema';
import { demoCards, demoPersons, seedDemoData } from '../db/seed';
import { createPki } from '../server/pki/create-pki';
import type { Pki } from '../server/pki/types';
import { personaliseVirtualCard } from './personalise-virtual-card';
import { openTestDatabase } from './test-database';

const stateDir = mkdtempSync(join(tmpdir(), 'siths-personalise-'));
const masterKey = Buffer.alloc(32, 0x24);
let db: AppDatabase;
let pki: Pki;

function newVirtualCard(serial: string, kind: 'ordinary' | 'reserve') {
  saveCardState(
    stateDir,
    createCardState({
      serial,
      kind,
      pin: '123456',
      puk: '12345678',
      managementKey: { algorithm: 'AES128', key: Buffer.alloc(16, 1) },
    }),
  );
}

const cardId = async (serial: string) =>
  first(await db.select().from(cards).where(eq(cards.serial, serial)).limit(1))!.id;
const activeEids = async (serial: string) =>
  await db
    .select()
    .from(eids)
    .where(and(eq(eids.cardId, await cardId(serial)), eq(eids.state, 'active')));
const certificateIn = (serial: string, slot: '9a' | '9c' | '9d' | '9e') => {
  const object = loadCardState(stateDir, serial).objects[objectKey(SLOT_CERTIFICATE_OBJECT[slot])];
  return object ? new X509Certificate(findTlv(Buffer.from(object, 'base64'), TAG.CERTIFICATE)!) : undefined;
};

beforeAll(async () => {
  db = await openTestDatabase();
  await seedDemoData(db, { hashPassword: async (password) => password });
  pki = createPki({ db, masterKey });
  newVirtualCard(demoCards.lockedOrdinary, 'ordinary');
  newVirtualCard(demoCards.reserveNoOrder, 'reserve');
});

afterAll(async () => {
  await db.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('personaliseVirtualCard', () => {
  it("gives an ordinary card keys and its holder's certificates, one active eID with PEM per purpose", async () => {
    const serial = demoCards.lockedOrdinary;
    expect(await personaliseVirtualCard({ db, pki, stateDir, serial })).toBe('personalised');

    const state = loadCardState(stateDir, serial);
    expect(Object.keys(state.keys).sort()).toEqual(['9a', '9c', '9e']);
    expect(state.keys['9a']?.algorithm).toBe('ECCP256');
    const active = await activeEids(serial);
    expect(active.map((eid) => eid.purpose).sort()).toEqual([
      'authentication',
      'card_authentication',
      'signature',
    ]);
    for (const eid of active) expect(eid.certificatePem).toContain('BEGIN CERTIFICATE');
    const authentication = certificateIn(serial, '9a')!;
    expect(authentication.subject).toContain(`serialNumber=${demoPersons.carina.hsaId}`);
    expect(active.find((eid) => eid.purpose === 'authentication')?.certificateSerial).toBe(
      authentication.serialNumber.toLowerCase(),
    );
    expect((await pki.validate(authentication.raw)).ok).toBe(true);
  });

  it('leaves a personalised card alone', async () => {
    const serial = demoCards.lockedOrdinary;
    const before = loadCardState(stateDir, serial);
    expect(await personaliseVirtualCard({ db, pki, stateDir, serial })).toBe('already_personalised');
    expect(loadCardState(stateDir, serial)).toEqual(before);
    expect(await activeEids(serial)).toHaveLength(3);
  });

  it('gives a reserve card in stock a transport key and certificate in 9D, registered without a person', async () => {
    const serial = demoCards.reserveNoOrder;
    expect(await personaliseVirtualCard({ db, pki, stateDir, serial })).toBe('personalised');
    expect(Object.keys(loadCardState(stateDir, serial).keys)).toEqual(['9d']);
    expect(certificateIn(serial, '9d')?.subject).toContain(`CN=${serial}`);
    expect(await activeEids(serial)).toEqual([
      expect.objectContaining({ purpose: 'transport', personId: null, issuingCa: 'card-transport' }),
    ]);
    const validation = await pki.validate(certificateIn(serial, '9d')!.raw);
    expect(validation).toMatchObject({ ok: true, certificate: { purpose: 'transport', cardSerial: serial } });
  });

  it('personalises again a card whose certificates the database does not know', async () => {
    const serial = demoCards.reserveNoOrder;
    const [transport] = await activeEids(serial);
    await db.delete(eids).where(eq(eids.id, transport!.id));
    expect(await personaliseVirtualCard({ db, pki, stateDir, serial })).toBe('personalised');
    expect(await activeEids(serial)).toHaveLength(1);
  });
});
