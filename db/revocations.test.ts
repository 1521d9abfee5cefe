import { and, eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { type AppDatabase, openMigratedDatabase } from './connection';
import { revokeCard, revokeEid } from './revocations';
import { auditEvents, cards, eids, mobileDevices, users } from './schema';
import { demoCards, seedDemoData } from './seed';

let db: AppDatabase;
let actor: { userId: string; label: string };

beforeEach(async () => {
  db = openMigratedDatabase(':memory:');
  await seedDemoData(db, { hashPassword: async (password) => password });
  const idadmin = db.select().from(users).where(eq(users.username, 'idadmin1')).get()!;
  actor = { userId: idadmin.id, label: idadmin.username };
});

const cardBySerial = (serial: string) => db.select().from(cards).where(eq(cards.serial, serial)).get()!;
const eidsOfCard = (cardId: string) => db.select().from(eids).where(eq(eids.cardId, cardId)).all();
const auditOf = (action: string) => db.select().from(auditEvents).where(eq(auditEvents.action, action)).all();

describe('revokeCard', () => {
  it('revokes the card and every active eID on it in one go, and audits who, whom, card and certificates', () => {
    const card = cardBySerial(demoCards.activeOrdinary);
    const now = new Date('2026-03-01T10:00:00Z');
    const result = revokeCard(db, { cardId: card.id, reason: 'lost', actor, now });

    expect(result).toMatchObject({ ok: true, revokedAt: now });
    expect(cardBySerial(demoCards.activeOrdinary).state).toBe('revoked');
    const revoked = eidsOfCard(card.id);
    expect(revoked).toHaveLength(2);
    for (const eid of revoked) {
      expect(eid).toMatchObject({ state: 'revoked', revocationReason: 'lost', revokedAt: now });
    }
    const [event] = auditOf('card_revoke');
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

  it('revokes a locked card too', () => {
    const card = cardBySerial(demoCards.lockedOrdinary);
    expect(revokeCard(db, { cardId: card.id, reason: 'stolen', actor }).ok).toBe(true);
    expect(cardBySerial(demoCards.lockedOrdinary).state).toBe('revoked');
  });

  it('is irreversible: a second revocation is refused, audited, and changes nothing', () => {
    const card = cardBySerial(demoCards.activeOrdinary);
    revokeCard(db, { cardId: card.id, reason: 'lost', actor, now: new Date('2026-03-01T10:00:00Z') });
    const before = eidsOfCard(card.id);

    const again = revokeCard(db, { cardId: card.id, reason: 'stolen', actor });

    expect(again).toEqual({ ok: false, error: 'not_revocable' });
    expect(eidsOfCard(card.id)).toEqual(before);
    expect(auditOf('card_revoke').map((event) => event.outcome)).toEqual(['success', 'refused']);
  });

  it('refuses an expired card and a reserve card still in stock', () => {
    const expired = db.select().from(cards).where(eq(cards.state, 'expired')).get()!;
    const inStock = cardBySerial(demoCards.reserveNoOrder);
    expect(revokeCard(db, { cardId: expired.id, reason: 'lost', actor })).toEqual({
      ok: false,
      error: 'not_revocable',
    });
    expect(revokeCard(db, { cardId: inStock.id, reason: 'lost', actor })).toEqual({
      ok: false,
      error: 'not_revocable',
    });
    expect(cardBySerial(demoCards.reserveNoOrder).state).toBe('in_stock');
  });

  it('refuses and audits an unknown card', () => {
    expect(revokeCard(db, { cardId: 'no-such-card', reason: 'lost', actor })).toEqual({
      ok: false,
      error: 'not_found',
    });
    expect(auditOf('card_revoke')).toMatchObject([{ outcome: 'refused', objectId: 'no-such-card' }]);
  });
});

describe('revokeEid', () => {
  it("revokes one eID and leaves the card's other eID and the card itself valid", () => {
    const card = cardBySerial(demoCards.activeOrdinary);
    const [authentication, signature] = eidsOfCard(card.id).sort((a, b) =>
      a.purpose.localeCompare(b.purpose),
    );

    const result = revokeEid(db, { eidId: authentication!.id, reason: 'compromised', actor });

    expect(result).toMatchObject({ ok: true, certificateSerials: [authentication!.certificateSerial] });
    const after = new Map(eidsOfCard(card.id).map((eid) => [eid.id, eid]));
    expect(after.get(authentication!.id)).toMatchObject({
      state: 'revoked',
      revocationReason: 'compromised',
    });
    expect(after.get(signature!.id)).toMatchObject({ state: 'active', revokedAt: null });
    expect(cardBySerial(demoCards.activeOrdinary).state).toBe('active');
    expect(auditOf('eid_revoke')[0]).toMatchObject({ objectType: 'eid', objectId: authentication!.id });
    expect(auditOf('eid_revoke')[0]!.detail).toMatchObject({
      cardSerial: demoCards.activeOrdinary,
      certificateSerial: authentication!.certificateSerial,
      personId: card.holderPersonId,
    });
  });

  it('refuses an eID that is already revoked, and audits the refusal', () => {
    const [eid] = eidsOfCard(cardBySerial(demoCards.activeOrdinary).id);
    revokeEid(db, { eidId: eid!.id, reason: 'lost', actor });
    expect(revokeEid(db, { eidId: eid!.id, reason: 'replaced', actor })).toEqual({
      ok: false,
      error: 'not_revocable',
    });
    expect(db.select().from(eids).where(eq(eids.id, eid!.id)).get()!.revocationReason).toBe('lost');
    expect(auditOf('eid_revoke').map((event) => event.outcome)).toEqual(['success', 'refused']);
  });

  it('revokes the Mobile SITHS device whose only eID it was', () => {
    const device = db.select().from(mobileDevices).where(eq(mobileDevices.state, 'active')).get()!;
    const eid = db
      .select()
      .from(eids)
      .where(and(eq(eids.mobileDeviceId, device.id), eq(eids.state, 'active')))
      .get()!;
    expect(revokeEid(db, { eidId: eid.id, reason: 'lost', actor }).ok).toBe(true);
    expect(db.select().from(mobileDevices).where(eq(mobileDevices.id, device.id)).get()!.state).toBe(
      'revoked',
    );
  });

  it('refuses an eID past its validity even if its state was never updated', () => {
    const [eid] = eidsOfCard(cardBySerial(demoCards.activeOrdinary).id);
    const later = new Date(eid!.validTo.getTime() + 1000);
    expect(revokeEid(db, { eidId: eid!.id, reason: 'lost', actor, now: later })).toEqual({
      ok: false,
      error: 'not_revocable',
    });
  });
});
