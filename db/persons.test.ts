import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordAudit } from './audit';
import { type AppDatabase, openMigratedDatabase } from './connection';
import { findPersonByIdentifier, findPersonProfile, nameSearchLimit, searchPersons } from './persons';
import { revokeEid } from './revocations';
import { cards, eids, units, users } from './schema';
import { demoCards, demoPersons, seedDemoData } from './seed';
import { expandUnitSubtrees } from './units';

let db: AppDatabase;
let sahlgrenska: string[];
let skovde: string[];

const unitScope = (hsaId: string) =>
  expandUnitSubtrees(db, [db.select().from(units).where(eq(units.hsaId, hsaId)).get()!.id]);

beforeAll(async () => {
  db = openMigratedDatabase(':memory:');
  await seedDemoData(db, { hashPassword: async (password) => password });
  sahlgrenska = unitScope('SE2321000131-S000000010100');
  skovde = unitScope('SE2321000131-S000000030300');
});

const carina = demoPersons.carina;

describe('searchPersons', () => {
  it('finds a person in scope by HSA-id, with their units', () => {
    const result = searchPersons(db, { kind: 'hsaId', value: carina.hsaId }, sahlgrenska);
    expect(result).toMatchObject({
      kind: 'identifier',
      match: {
        inScope: true,
        person: { hsaId: carina.hsaId, givenName: 'Carina', unitNames: ['Akutmottagning Sahlgrenska'] },
      },
    });
  });

  it('only says that a person outside scope exists, without any of their details', () => {
    const result = searchPersons(
      db,
      { kind: 'personalIdentityNumber', value: carina.personalIdentityNumber },
      skovde,
    );
    expect(result).toEqual({ kind: 'identifier', match: { inScope: false } });
  });

  it('finds anyone in the region by personnummer for region-wide roles', () => {
    const result = searchPersons(
      db,
      { kind: 'personalIdentityNumber', value: carina.personalIdentityNumber },
      'all',
    );
    expect(result.kind === 'identifier' && result.match?.inScope).toBe(true);
  });

  it('reports no match for an unknown identifier', () => {
    expect(searchPersons(db, { kind: 'hsaId', value: 'TSTNMT2321000156-9999' }, 'all')).toEqual({
      kind: 'identifier',
      match: null,
    });
  });

  it('searches names only within scope', () => {
    const inScope = searchPersons(db, { kind: 'name', value: 'carina sv' }, sahlgrenska);
    expect(inScope.kind === 'name' && inScope.persons.map((person) => person.hsaId)).toEqual([carina.hsaId]);
    const outside = searchPersons(db, { kind: 'name', value: 'Carina Svensson' }, skovde);
    expect(outside).toEqual({ kind: 'name', persons: [], truncated: false });
    expect(searchPersons(db, { kind: 'name', value: 'Carina' }, [])).toMatchObject({ persons: [] });
  });

  it('treats % and _ in a name as letters, not wildcards', () => {
    expect(searchPersons(db, { kind: 'name', value: '%' }, 'all')).toMatchObject({ persons: [] });
    expect(searchPersons(db, { kind: 'name', value: '__' }, 'all')).toMatchObject({ persons: [] });
  });

  it('returns at most the first 50 names and says there are more', () => {
    const result = searchPersons(db, { kind: 'name', value: 'a' }, 'all');
    expect(result).toMatchObject({ kind: 'name', truncated: true });
    expect(result.kind === 'name' && result.persons).toHaveLength(nameSearchLimit);
  });
});

describe('findPersonProfile', () => {
  it("shows Carina's two cards, their eIDs, her phone and no orders", () => {
    const profile = findPersonProfile(db, findPersonByIdentifier(db, carina.hsaId)!.id)!;
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

  it("lists Olof's reserve-card order and the card assigned to him", () => {
    const profile = findPersonProfile(db, findPersonByIdentifier(db, demoPersons.olof.hsaId)!.id)!;
    expect(profile.orders).toMatchObject([
      { type: 'reserve_card_loa2', state: 'ready', unitName: 'Kardiologi Sahlgrenska' },
    ]);
    expect(profile.cards.map((card) => card.serial)).toContain(demoCards.reserveNotActivated);
  });

  it('carries the audit trail about the person and what they hold, newest first', () => {
    const personId = findPersonByIdentifier(db, carina.hsaId)!.id;
    const card = db.select().from(cards).where(eq(cards.serial, demoCards.lockedOrdinary)).get()!;
    const eid = db.select().from(eids).where(eq(eids.cardId, card.id)).get()!;
    recordAudit(db, {
      actorUserId: null,
      actorLabel: 'system',
      action: 'person_view',
      objectType: 'person',
      objectId: personId,
      outcome: 'success',
    });
    const idadmin = db.select().from(users).where(eq(users.username, 'idadmin1')).get()!;
    revokeEid(db, { eidId: eid.id, reason: 'lost', actor: { userId: idadmin.id, label: idadmin.username } });
    recordAudit(db, {
      actorUserId: null,
      actorLabel: 'system',
      action: 'unrelated',
      objectType: 'person',
      objectId: 'someone-else',
      outcome: 'success',
    });

    const profile = findPersonProfile(db, personId)!;
    expect(profile.audit.map((event) => event.action)).toEqual(['eid_revoke', 'person_view']);
    expect(profile.eids.find((candidate) => candidate.id === eid.id)).toMatchObject({
      state: 'revoked',
      revocationReason: 'lost',
    });
  });

  it('is undefined for an unknown person', () => {
    expect(findPersonProfile(db, 'no-such-person')).toBeUndefined();
  });
});
