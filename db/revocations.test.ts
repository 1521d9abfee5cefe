import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../test-support/test-database';
import type { AppDatabase } from './connection';
import { first } from './engine';
import { revokeCard, revokeEid } from './revocations';
import { auditEvents, cards, eids, mobileDevices, users } from './schema';
import { demoCards, seedDemoData } from './seed';

let db: AppDatabase;
let actor: { userId: string; label: string };

beforeEach(async () => {
  db = await openTestDatabase();
  await seedDemoData(db, { hashPassword: async (password) => password });
  const idadmin = first(await db.select().from(users).where(eq(users.username, 'idadmin1')).limit(1))!;
  actor = { userId: idadmin.id, label: idadmin.username };
});

afterEach(async () => {
  await db.close();
});

const cardBySerial = async (serial: string) =>
  first(await db.select().from(cards).where(eq(cards.serial, serial)).limit(1))!;
const eidsOfCard = async (cardId: string) =>
  await db.select().from(eids).where(eq(eids.cardId, cardId)).orderBy(eids.id);
const auditOf = async (action: string) =>
  await db.select().from(auditEvents).where(eq(auditEvents.action, action)).orderBy(auditEvents.id);

describe('revokeCard', () => {
  it('revokes the card and every active eID on it in one go, and audits who, whom, card and certificates', async () => {
    const card = await cardBySerial(demoCards.activeOrdinary);
    const now = new Date('2026-03-01T10:00:00Z');
    const result = await revokeCard(db, { cardId: card.id, reason: 'lost', actor, now });

    expect(result).toMatchObject({ ok: true, revokedAt: now });
    expect((await cardBySerial(demoCards.activeOrdinary)).state).toBe('revoked');
    const revoked = await eidsOfCard(card.id);
    expect(revoked).toHaveLength(2);
    for (const eid of revoked) {
      expect(eid).toMatchObject({ state: 'revoked', revocationReason: 'lost', revokedAt: now });
    }
    const [event] = await auditOf('card_revoke');
    expect(event).toMatchObject({
      actorUserId: actor.userId,
      actorLabel: 'idadmin1',
      objectType: 'card',
      objectId: card.id,
      unitId: card.unitId,
      outcome: 'success',
    });
    expect(event!.detail).toMatchObject({
      reason: 'lost',
      personId: card.holderPersonId,
      cardSerial: demoCards.activeOrdinary,
      revokedAt: now.toISOString(),
      before: { state: 'active' },
      after: { state: 'revoked' },
    });
    expect(result.ok && result.certificateSerials.sort()).toEqual(
      revoked.map((eid) => eid.certificateSerial).sort(),
    );
  });

  it('revokes a locked card too', async () => {
    const card = await cardBySerial(demoCards.lockedOrdinary);
    expect((await revokeCard(db, { cardId: card.id, reason: 'stolen', actor })).ok).toBe(true);
    expect((await cardBySerial(demoCards.lockedOrdinary)).state).toBe('revoked');
  });

  it('is irreversible: a second revocation is refused, audited, and changes nothing', async () => {
    const card = await cardBySerial(demoCards.activeOrdinary);
    await revokeCard(db, { cardId: card.id, reason: 'lost', actor, now: new Date('2026-03-01T10:00:00Z') });
    const before = await eidsOfCard(card.id);

    const again = await revokeCard(db, { cardId: card.id, reason: 'stolen', actor });

    expect(again).toEqual({ ok: false, error: 'not_revocable' });
    expect(await eidsOfCard(card.id)).toEqual(before);
    expect((await auditOf('card_revoke')).map((event) => event.outcome)).toEqual(['success', 'refused']);
  });

  it('refuses an expired card and a reserve card still in stock', async () => {
    const expired = first(await db.select().from(cards).where(eq(cards.state, 'expired')).limit(1))!;
    const inStock = await cardBySerial(demoCards.reserveNoOrder);
    expect(await revokeCard(db, { cardId: expired.id, reason: 'lost', actor })).toEqual({
      ok: false,
      error: 'not_revocable',
    });
    expect(await revokeCard(db, { cardId: inStock.id, reason: 'lost', actor })).toEqual({
      ok: false,
      error: 'not_revocable',
    });
    expect((await cardBySerial(demoCards.reserveNoOrder)).state).toBe('in_stock');
  });

  it('refuses and audits an unknown card', async () => {
    expect(await revokeCard(db, { cardId: 'no-such-card', reason: 'lost', actor })).toEqual({
      ok: false,
      error: 'not_found',
    });
    expect(await auditOf('card_revoke')).toMatchObject([{ outcome: 'refused', objectId: 'no-such-card' }]);
  });
});

describe('revokeEid', () => {
  it("revokes one eID and leaves the card's other eID and the card itself valid", async () => {
    const card = await cardBySerial(demoCards.activeOrdinary);
    const [authentication, signature] = (await eidsOfCard(card.id)).sort((a, b) =>
      a.purpose.localeCompare(b.purpose),
    );

    const result = await revokeEid(db, { eidId: authentication!.id, reason: 'compromised', actor });

    expect(result).toMatchObject({ ok: true, certificateSerials: [authentication!.certificateSerial] });
    const after = new Map((await eidsOfCard(card.id)).map((eid) => [eid.id, eid]));
    expect(after.get(authentication!.id)).toMatchObject({
      state: 'revoked',
      revocationReason: 'compromised',
    });
    expect(after.get(signature!.id)).toMatchObject({ state: 'active', revokedAt: null });
    expect((await cardBySerial(demoCards.activeOrdinary)).state).toBe('active');
    expect((await auditOf('eid_revoke'))[0]).toMatchObject({
      objectType: 'eid',
      objectId: authentication!.id,
    });
    expect((await auditOf('eid_revoke'))[0]!.detail).toMatchObject({
      cardSerial: demoCards.activeOrdinary,
      certificateSerial: authentication!.certificateSerial,
      personId: card.holderPersonId,
    });
  });

  it('refuses an eID that is already revoked, and audits the refusal', async () => {
    const [eid] = await eidsOfCard((await cardBySerial(demoCards.activeOrdinary)).id);
    await revokeEid(db, { eidId: eid!.id, reason: 'lost', actor });
    expect(await revokeEid(db, { eidId: eid!.id, reason: 'replaced', actor })).toEqual({
      ok: false,
      error: 'not_revocable',
    });
    expect(first(await db.select().from(eids).where(eq(eids.id, eid!.id)).limit(1))!.revocationReason).toBe(
      'lost',
    );
    expect((await auditOf('eid_revoke')).map((event) => event.outcome)).toEqual(['success', 'refused']);
  });

  it('revokes the Mobile SITHS device whose only eID it was', async () => {
    const device = first(
      await db.select().from(mobileDevices).where(eq(mobileDevices.state, 'active')).limit(1),
    )!;
    const eid = first(
      await db
        .select()
        .from(eids)
        .where(and(eq(eids.mobileDeviceId, device.id), eq(eids.state, 'active')))
        .limit(1),
    )!;
    expect((await revokeEid(db, { eidId: eid.id, reason: 'lost', actor })).ok).toBe(true);
    expect(
      first(await db.select().from(mobileDevices).where(eq(mobileDevices.id, device.id)).limit(1))!.state,
    ).toBe('revoked');
  });

  it('refuses an eID past its validity even if its state was never updated', async () => {
    const [eid] = await eidsOfCard((await cardBySerial(demoCards.activeOrdinary)).id);
    const later = new Date(eid!.validTo.getTime() + 1000);
    expect(await revokeEid(db, { eidId: eid!.id, reason: 'lost', actor, now: later })).toEqual({
      ok: false,
      error: 'not_revocable',
    });
  });
});
