import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../test-support/test-database';
import { recordAudit } from './audit';
import type { AppDatabase } from './connection';
import { first } from './engine';
import { findPersonByIdentifier, findPersonProfile, nameSearchLimit, searchPersons } from './persons';
import type { IdentityViewer } from './protected-identity';
import { revokeEid } from './revocations';
import { cards, eids, units, users } from './schema';
import { demoCards, demoPersons, seedDemoData } from './seed';
import { expandUnitSubtrees } from './units';

let db: AppDatabase;
/** Staff without the right to see protected identities; the demo data holds none. */
const staff: IdentityViewer = { seesProtectedIdentities: false };
let sahlgrenska: string[];
let skovde: string[];

const unitScope = async (hsaId: string) =>
  await expandUnitSubtrees(db, [
    first(await db.select().from(units).where(eq(units.hsaId, hsaId)).limit(1))!.id,
  ]);

beforeAll(async () => {
  db = await openTestDatabase();
  await seedDemoData(db, { hashPassword: async (password) => password });
  sahlgrenska = await unitScope('SE2321000131-S000000010100');
  skovde = await unitScope('SE2321000131-S000000030300');
});

afterAll(async () => {
  await db.close();
});

const carina = demoPersons.carina;

describe('searchPersons', () => {
  it('finds a person in scope by HSA-id, with their units', async () => {
    const result = await searchPersons(db, { kind: 'hsaId', value: carina.hsaId }, sahlgrenska, staff);
    expect(result).toMatchObject({
      kind: 'identifier',
      match: {
        inScope: true,
        person: { hsaId: carina.hsaId, givenName: 'Carina', unitNames: ['Akutmottagning Sahlgrenska'] },
      },
    });
  });

  it('only says that a person outside scope exists, without any of their details', async () => {
    const result = await searchPersons(
      db,
      { kind: 'personalIdentityNumber', value: carina.personalIdentityNumber },
      skovde,
      staff,
    );
    expect(result).toEqual({ kind: 'identifier', match: { inScope: false } });
  });

  it('finds anyone in the region by personnummer for region-wide roles', async () => {
    const result = await searchPersons(
      db,
      { kind: 'personalIdentityNumber', value: carina.personalIdentityNumber },
      'all',
      staff,
    );
    expect(result.kind === 'identifier' && result.match?.inScope).toBe(true);
  });

  it('reports no match for an unknown identifier', async () => {
    expect(await searchPersons(db, { kind: 'hsaId', value: 'TSTNMT2321000156-9999' }, 'all', staff)).toEqual({
      kind: 'identifier',
      match: null,
    });
  });

  it('searches names only within scope', async () => {
    const inScope = await searchPersons(db, { kind: 'name', value: 'carina sv' }, sahlgrenska, staff);
    expect(inScope.kind === 'name' && inScope.persons.map((person) => person.hsaId)).toEqual([carina.hsaId]);
    const outside = await searchPersons(db, { kind: 'name', value: 'Carina Svensson' }, skovde, staff);
    expect(outside).toEqual({ kind: 'name', persons: [], truncated: false });
    expect(await searchPersons(db, { kind: 'name', value: 'Carina' }, [], staff)).toMatchObject({
      persons: [],
    });
  });

  it('treats % and _ in a name as letters, not wildcards', async () => {
    expect(await searchPersons(db, { kind: 'name', value: '%' }, 'all', staff)).toMatchObject({
      persons: [],
    });
    expect(await searchPersons(db, { kind: 'name', value: '__' }, 'all', staff)).toMatchObject({
      persons: [],
    });
  });

  it('returns at most the first 50 names and says there are more', async () => {
    const result = await searchPersons(db, { kind: 'name', value: 'a' }, 'all', staff);
    expect(result).toMatchObject({ kind: 'name', truncated: true });
    expect(result.kind === 'name' && result.persons).toHaveLength(nameSearchLimit);
  });
});

describe('findPersonProfile', () => {
  it("shows Carina's two cards, their eIDs, her phone and no orders", async () => {
    const profile = (await findPersonProfile(db, (await findPersonByIdentifier(db, carina.hsaId))!.id))!;
    expect(profile.person.hsaId).toBe(carina.hsaId);
    expect(profile.units.map((unit) => unit.name)).toEqual(['Akutmottagning Sahlgrenska']);
    expect(profile.cards.map((card) => [card.serial, card.state]).sort()).toEqual([
      [demoCards.activeOrdinary, 'active'],
      [demoCards.lockedOrdinary, 'locked'],
    ]);
    expect(profile.eids.filter((eid) => eid.cardSerial === demoCards.activeOrdinary)).toHaveLength(2);
    expect(profile.eids.filter((eid) => eid.mobileDeviceName === 'iPhone 15')).toHaveLength(1);
    expect(profile.mobileDevices.map((device) => device.name)).toEqual(['iPhone 15']);
    expect(profile.orders).toEqual([]);
  });

  it("lists Olof's reserve-card order and the card assigned to him", async () => {
    const profile = (await findPersonProfile(
      db,
      (await findPersonByIdentifier(db, demoPersons.olof.hsaId))!.id,
    ))!;
    expect(profile.orders).toMatchObject([
      { type: 'reserve_card_loa2', state: 'ready', unitName: 'Kardiologi Sahlgrenska' },
    ]);
    expect(profile.cards.map((card) => card.serial)).toContain(demoCards.reserveNotActivated);
  });

  it('carries the audit trail about the person and what they hold, newest first', async () => {
    const personId = (await findPersonByIdentifier(db, carina.hsaId))!.id;
    const card = first(
      await db.select().from(cards).where(eq(cards.serial, demoCards.lockedOrdinary)).limit(1),
    )!;
    const eid = first(await db.select().from(eids).where(eq(eids.cardId, card.id)).limit(1))!;
    await recordAudit(db, {
      actorUserId: null,
      actorLabel: 'system',
      action: 'person_view',
      objectType: 'person',
      objectId: personId,
      outcome: 'success',
    });
    const idadmin = first(await db.select().from(users).where(eq(users.username, 'idadmin1')).limit(1))!;
    await revokeEid(db, {
      eidId: eid.id,
      reason: 'lost',
      actor: { userId: idadmin.id, label: idadmin.username },
    });
    await recordAudit(db, {
      actorUserId: null,
      actorLabel: 'system',
      action: 'unrelated',
      objectType: 'person',
      objectId: 'someone-else',
      outcome: 'success',
    });

    const profile = (await findPersonProfile(db, personId))!;
    expect(profile.audit.map((event) => event.action)).toEqual(['eid_revoke', 'person_view']);
    expect(profile.eids.find((candidate) => candidate.id === eid.id)).toMatchObject({
      state: 'revoked',
      revocationReason: 'lost',
    });
  });

  it('is undefined for an unknown person', async () => {
    expect(await findPersonProfile(db, 'no-such-person')).toBeUndefined();
  });
});
