import { asc, desc, eq, inArray, or, type SQL } from 'drizzle-orm';
import type { Queryable } from './connection';
import {
  type CardKind,
  type CardState,
  cards,
  type EidPurpose,
  type EidState,
  eids,
  mobileDevices,
  units,
} from './schema';

/**
 * What a person holds, as every page shows it: the staff person page (db/persons.ts) and the person's own
 * "Mina SITHS eID" (db/eids.ts). Times are epoch milliseconds, as the page models send them.
 */
export interface PersonCard {
  id: string;
  serial: string;
  kind: CardKind;
  productCode: string;
  trustLevel: number;
  state: CardState;
  organisation: string;
  unitName: string;
  validFrom: number;
  validTo: number;
}

export interface PersonEid {
  id: string;
  purpose: EidPurpose;
  issuingCa: string;
  certificateSerial: string;
  trustLevel: number;
  state: EidState;
  validFrom: number;
  validTo: number;
  revokedAt: number | null;
  revocationReason: string | null;
  cardId: string | null;
  cardSerial: string | null;
  mobileDeviceId: string | null;
  mobileDeviceName: string | null;
}

export interface PersonMobileDevice {
  id: string;
  name: string;
  trustLevel: number;
  state: (typeof mobileDevices.$inferSelect)['state'];
  validTo: number;
  registeredAt: number;
}

/** The cards the person holds, newest first. */
export async function cardsOfPerson(q: Queryable, personId: string): Promise<PersonCard[]> {
  return (
    await q
      .select({
        id: cards.id,
        serial: cards.serial,
        kind: cards.kind,
        productCode: cards.productCode,
        trustLevel: cards.trustLevel,
        state: cards.state,
        organisation: units.organisation,
        unitName: units.name,
        validFrom: cards.validFrom,
        validTo: cards.validTo,
      })
      .from(cards)
      .innerJoin(units, eq(units.id, cards.unitId))
      .where(eq(cards.holderPersonId, personId))
      .orderBy(desc(cards.validFrom))
  ).map((card) => ({ ...card, validFrom: card.validFrom.getTime(), validTo: card.validTo.getTime() }));
}

/** The person's Mobile SITHS devices, newest first. */
export async function mobileDevicesOfPerson(q: Queryable, personId: string): Promise<PersonMobileDevice[]> {
  return (
    await q
      .select()
      .from(mobileDevices)
      .where(eq(mobileDevices.personId, personId))
      .orderBy(desc(mobileDevices.createdAt))
  ).map((device) => ({
    id: device.id,
    name: device.name,
    trustLevel: device.trustLevel,
    state: device.state,
    validTo: device.validTo.getTime(),
    registeredAt: device.createdAt.getTime(),
  }));
}

/**
 * eIDs, newest first, chosen either by the person they name or by the cards and devices they sit on (a
 * reserve card's transport eID names nobody but is on the card its holder has).
 */
export async function listPersonEids(
  q: Queryable,
  chosen: { personId: string } | { cardIds: readonly string[]; mobileDeviceIds: readonly string[] },
): Promise<PersonEid[]> {
  const condition = eidCondition(chosen);
  if (!condition) return [];
  return (
    await q
      .select({
        id: eids.id,
        purpose: eids.purpose,
        issuingCa: eids.issuingCa,
        certificateSerial: eids.certificateSerial,
        trustLevel: eids.trustLevel,
        state: eids.state,
        validFrom: eids.validFrom,
        validTo: eids.validTo,
        revokedAt: eids.revokedAt,
        revocationReason: eids.revocationReason,
        cardId: eids.cardId,
        cardSerial: cards.serial,
        mobileDeviceId: eids.mobileDeviceId,
        mobileDeviceName: mobileDevices.name,
      })
      .from(eids)
      .leftJoin(cards, eq(cards.id, eids.cardId))
      .leftJoin(mobileDevices, eq(mobileDevices.id, eids.mobileDeviceId))
      .where(condition)
      .orderBy(desc(eids.validFrom), asc(eids.purpose))
  ).map((eid) => ({
    ...eid,
    validFrom: eid.validFrom.getTime(),
    validTo: eid.validTo.getTime(),
    revokedAt: eid.revokedAt?.getTime() ?? null,
  }));
}

function eidCondition(
  chosen: { personId: string } | { cardIds: readonly string[]; mobileDeviceIds: readonly string[] },
): SQL | undefined {
  if ('personId' in chosen) return eq(eids.personId, chosen.personId);
  const holders = [
    chosen.cardIds.length ? inArray(eids.cardId, [...chosen.cardIds]) : undefined,
    chosen.mobileDeviceIds.length ? inArray(eids.mobileDeviceId, [...chosen.mobileDeviceIds]) : undefined,
  ].filter((holder) => holder !== undefined);
  return holders.length ? or(...holders) : undefined;
}
