import { and, asc, eq, inArray } from 'drizzle-orm';
import type { AppDatabase, Queryable } from './connection';
import { first } from './engine';
import { newId } from './ids';
import {
  cardsOfPerson,
  listPersonEids,
  mobileDevicesOfPerson,
  type PersonCard,
  type PersonEid,
  type PersonMobileDevice,
} from './person-read-model';
import {
  type CardKind,
  type CardState,
  cards,
  type EidPurpose,
  eids,
  persons,
  personUnits,
  units,
} from './schema';

export type EidRow = typeof eids.$inferSelect;
export type TrustLevel = 2 | 3;

/** A certificate as the PKI issued it (server/pki's IssuedCertificate has these fields and more). */
export interface EidCertificate {
  serialNumber: string;
  pem: string;
  issuingCa: string;
  validFrom: Date;
  validTo: Date;
}

export interface CardEidCertificates {
  authentication: EidCertificate;
  signature: EidCertificate;
  cardAuthentication: EidCertificate;
}

export interface CardEidIds {
  authentication: string;
  signature: string;
  cardAuthentication: string;
}

/** Who a certificate names, as the PKI's CertificateHolder has it. */
export interface EidHolder {
  hsaId: string;
  givenName: string;
  surname: string;
  personalIdentityNumber: string | null;
  email: string | null;
  organisation: string;
}

/** Why registering a new eID took the old one out of use; one of db/revocation-reasons.ts. */
const replacedReason = 'replaced';

const cardPurposes = {
  authentication: 'authentication',
  signature: 'signature',
  cardAuthentication: 'card_authentication',
} as const satisfies Record<keyof CardEidCertificates, EidPurpose>;

/** `eids.certificate_serial` form: lower-case hex without leading zeros. */
export function normaliseCertificateSerial(serial: string): string {
  return serial.toLowerCase().replace(/^0+(?=.)/, '');
}

function eidValues(certificate: EidCertificate) {
  return {
    id: newId(),
    issuingCa: certificate.issuingCa,
    certificateSerial: normaliseCertificateSerial(certificate.serialNumber),
    certificatePem: certificate.pem,
    validFrom: certificate.validFrom,
    validTo: certificate.validTo,
  };
}

async function retireActiveEids(
  tx: Queryable,
  where: { cardId: string } | { mobileDeviceId: string },
  purposes: readonly EidPurpose[],
  at: Date,
): Promise<void> {
  const holder =
    'cardId' in where ? eq(eids.cardId, where.cardId) : eq(eids.mobileDeviceId, where.mobileDeviceId);
  await tx
    .update(eids)
    .set({ state: 'revoked', revokedAt: at, revocationReason: replacedReason })
    .where(and(holder, eq(eids.state, 'active'), inArray(eids.purpose, [...purposes])));
}

/**
 * Records the three certificates now on a card. The card's earlier active eIDs of the same purposes and its
 * transport eID are retired in the same transaction, so a card never has two active eIDs of one purpose.
 * Given a transaction, the writes are a savepoint of it (here and in the other register functions).
 */
export async function registerCardEids(
  db: Queryable,
  input: {
    personId: string;
    cardId: string;
    trustLevel: TrustLevel;
    certificates: CardEidCertificates;
    at?: Date;
  },
): Promise<CardEidIds> {
  return db.transaction(async (tx) => {
    await retireActiveEids(
      tx,
      { cardId: input.cardId },
      [...Object.values(cardPurposes), 'transport'],
      input.at ?? new Date(),
    );
    const ids = {} as CardEidIds;
    for (const key of Object.keys(cardPurposes) as Array<keyof CardEidCertificates>) {
      const values = eidValues(input.certificates[key]);
      await tx.insert(eids).values({
        ...values,
        personId: input.personId,
        cardId: input.cardId,
        purpose: cardPurposes[key],
        trustLevel: input.trustLevel,
      });
      ids[key] = values.id;
    }
    return ids;
  });
}

/** The transport certificate a reserve card leaves the factory with; nobody holds the card yet. */
export async function registerTransportEid(
  db: Queryable,
  input: { cardId: string; certificate: EidCertificate; at?: Date },
): Promise<string> {
  return db.transaction(async (tx) => {
    const card = first(
      await tx
        .select({ trustLevel: cards.trustLevel })
        .from(cards)
        .where(eq(cards.id, input.cardId))
        .limit(1),
    );
    if (!card) throw new Error(`no card ${input.cardId}`);
    await retireActiveEids(tx, { cardId: input.cardId }, ['transport'], input.at ?? new Date());
    const values = eidValues(input.certificate);
    await tx.insert(eids).values({
      ...values,
      personId: null,
      cardId: input.cardId,
      purpose: 'transport',
      trustLevel: card.trustLevel,
    });
    return values.id;
  });
}

/** A Mobile SITHS device's certificate; a device has one active eID, so an earlier one is retired. */
export async function registerMobileEid(
  db: Queryable,
  input: {
    personId: string;
    mobileDeviceId: string;
    trustLevel: TrustLevel;
    certificate: EidCertificate;
    at?: Date;
  },
): Promise<string> {
  return db.transaction(async (tx) => {
    await retireActiveEids(
      tx,
      { mobileDeviceId: input.mobileDeviceId },
      ['authentication'],
      input.at ?? new Date(),
    );
    const values = eidValues(input.certificate);
    await tx.insert(eids).values({
      ...values,
      personId: input.personId,
      mobileDeviceId: input.mobileDeviceId,
      purpose: 'authentication',
      trustLevel: input.trustLevel,
    });
    return values.id;
  });
}

export async function findEidByCertificate(
  db: AppDatabase,
  issuingCa: string,
  serial: string,
): Promise<EidRow | undefined> {
  return first(
    await db
      .select()
      .from(eids)
      .where(
        and(eq(eids.issuingCa, issuingCa), eq(eids.certificateSerial, normaliseCertificateSerial(serial))),
      )
      .limit(1),
  );
}

/** Takes an active eID out of use; false when it was not active (already revoked or expired, or unknown). */
export async function retireEid(db: Queryable, eidId: string, reason: string, at: Date): Promise<boolean> {
  const retired = await db
    .update(eids)
    .set({ state: 'revoked', revokedAt: at, revocationReason: reason })
    .where(and(eq(eids.id, eidId), eq(eids.state, 'active')))
    .returning({ id: eids.id });
  return retired.length === 1;
}

export interface RevokedEid {
  certificateSerial: string;
  revokedAt: Date;
  revocationReason: string;
}

/** What the CA's CRL lists, oldest revocation first. */
export async function listRevokedEidsOfCa(db: AppDatabase, caId: string): Promise<RevokedEid[]> {
  return (
    await db
      .select({
        certificateSerial: eids.certificateSerial,
        revokedAt: eids.revokedAt,
        revocationReason: eids.revocationReason,
      })
      .from(eids)
      .where(and(eq(eids.issuingCa, caId), eq(eids.state, 'revoked')))
      .orderBy(asc(eids.revokedAt))
  ).map((row) => ({
    certificateSerial: row.certificateSerial,
    revokedAt: row.revokedAt!,
    revocationReason: row.revocationReason!,
  }));
}

export interface PersonCardEids extends PersonCard {
  eids: PersonEid[];
}

export interface PersonMobileDeviceEids extends PersonMobileDevice {
  eids: PersonEid[];
}

export interface PersonEids {
  cards: PersonCardEids[];
  mobileDevices: PersonMobileDeviceEids[];
}

/** The person's cards and Mobile SITHS devices with every eID on them, newest first ("Mina SITHS eID"). */
export async function listEidsOfPerson(db: AppDatabase, personId: string): Promise<PersonEids> {
  const personCards = await cardsOfPerson(db, personId);
  const devices = await mobileDevicesOfPerson(db, personId);
  const onHolders = await listPersonEids(db, {
    cardIds: personCards.map((card) => card.id),
    mobileDeviceIds: devices.map((device) => device.id),
  });
  const eidsOn = (holderId: string) =>
    onHolders.filter((eid) => eid.cardId === holderId || eid.mobileDeviceId === holderId);
  return {
    cards: personCards.map((card) => ({ ...card, eids: eidsOn(card.id) })),
    mobileDevices: devices.map((device) => ({ ...device, eids: eidsOn(device.id) })),
  };
}

export interface CardForCertificates {
  id: string;
  serial: string;
  kind: CardKind;
  state: CardState;
  trustLevel: TrustLevel;
  validFrom: Date;
  validTo: Date;
  holderPersonId: string | null;
  /** The holder as the card's certificates name them: organisation from the card's unit. */
  holder: EidHolder | null;
}

/** A card and, when it has a holder, who its certificates are for. */
export async function findCardForCertificates(
  db: AppDatabase,
  serial: string,
): Promise<CardForCertificates | undefined> {
  const row = first(
    await db
      .select({ card: cards, organisation: units.organisation, person: persons })
      .from(cards)
      .innerJoin(units, eq(units.id, cards.unitId))
      .leftJoin(persons, eq(persons.id, cards.holderPersonId))
      .where(eq(cards.serial, serial))
      .limit(1),
  );
  if (!row) return undefined;
  const { card, person, organisation } = row;
  return {
    id: card.id,
    serial: card.serial,
    kind: card.kind,
    state: card.state,
    trustLevel: card.trustLevel as TrustLevel,
    validFrom: card.validFrom,
    validTo: card.validTo,
    holderPersonId: card.holderPersonId,
    holder: person ? holderOf(person, organisation) : null,
  };
}

/**
 * The person as a certificate names them, for a certificate not tied to a card (Mobile SITHS): the
 * organisation of the given unit, or of the person's first unit by name.
 */
export async function findEidHolder(
  db: AppDatabase,
  personId: string,
  unitId?: string,
): Promise<EidHolder | undefined> {
  const person = first(await db.select().from(persons).where(eq(persons.id, personId)).limit(1));
  if (!person) return undefined;
  const unit = first(
    await db
      .select({ organisation: units.organisation })
      .from(units)
      .innerJoin(personUnits, eq(personUnits.unitId, units.id))
      .where(
        unitId
          ? and(eq(personUnits.personId, personId), eq(units.id, unitId))
          : eq(personUnits.personId, personId),
      )
      .orderBy(asc(units.name))
      .limit(1),
  );
  return unit ? holderOf(person, unit.organisation) : undefined;
}

function holderOf(person: typeof persons.$inferSelect, organisation: string): EidHolder {
  return {
    hsaId: person.hsaId,
    givenName: person.givenName,
    surname: person.surname,
    personalIdentityNumber: person.personalIdentityNumber,
    email: person.email,
    organisation,
  };
}
