import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../test-support/test-database';
import type { AppDatabase } from './connection';
import {
  type EidCertificate,
  findCardForCertificates,
  findEidByCertificate,
  findEidHolder,
  listEidsOfPerson,
  listRevokedEidsOfCa,
  registerCardEids,
  registerMobileEid,
  registerTransportEid,
  retireEid,
} from './eids';
import { newId } from './ids';
import { cards, eids, mobileDevices, persons, personUnits, units } from './schema';

let db: AppDatabase;
let unitId: string;
let personId: string;
let cardId: string;
let reserveCardId: string;
let serialCounter = 0;

const validFrom = new Date('2026-01-10T00:00:00Z');
const validTo = new Date('2031-01-10T00:00:00Z');

function certificate(issuingCa = 'person-hsa-id-3'): EidCertificate {
  serialCounter += 1;
  return {
    serialNumber: `4A${serialCounter.toString(16).padStart(30, '0')}`,
    pem: `-----BEGIN CERTIFICATE-----\n${serialCounter}\n-----END CERTIFICATE-----\n`,
    issuingCa,
    validFrom,
    validTo,
  };
}

const cardCertificates = () => ({
  authentication: certificate(),
  signature: certificate(),
  cardAuthentication: certificate(),
});

async function addCard(serial: string, values: Partial<typeof cards.$inferInsert> = {}): Promise<string> {
  const id = newId();
  await db.insert(cards).values({
    id,
    serial,
    kind: 'ordinary',
    productCode: 'SITHS-ORD-3',
    trustLevel: 3,
    state: 'active',
    holderPersonId: personId,
    unitId,
    validFrom,
    validTo,
    ...values,
  });
  return id;
}

beforeEach(async () => {
  db = await openTestDatabase();
  unitId = newId();
  personId = newId();
  await db.insert(units).values({
    id: unitId,
    hsaId: 'SE2321000131-E1',
    name: 'Akuten',
    organisation: 'Västra Götalandsregionen',
  });
  await db.insert(persons).values({
    id: personId,
    hsaId: 'SE2321000131-P1',
    givenName: 'Carina',
    surname: 'Andersson',
    email: null,
  });
  await db.insert(personUnits).values({ personId, unitId });
  cardId = await addCard('9752000000000000001');
  reserveCardId = await addCard('9752000000000000002', {
    kind: 'reserve',
    trustLevel: 2,
    state: 'in_stock',
    holderPersonId: null,
  });
});

afterEach(async () => {
  await db.close();
});

const eidsOfCard = async (id: string) =>
  await db.select().from(eids).where(eq(eids.cardId, id)).orderBy(eids.id);

describe('registerCardEids', () => {
  it('records the three certificates as active eIDs of the person, serials in lower case', async () => {
    const certificates = cardCertificates();
    const ids = await registerCardEids(db, { personId, cardId, trustLevel: 3, certificates });
    const rows = await eidsOfCard(cardId);
    expect(rows.map((row) => row.purpose).sort()).toEqual([
      'authentication',
      'card_authentication',
      'signature',
    ]);
    expect(rows.find((row) => row.id === ids.signature)).toMatchObject({
      personId,
      issuingCa: 'person-hsa-id-3',
      certificateSerial: certificates.signature.serialNumber.toLowerCase(),
      certificatePem: certificates.signature.pem,
      trustLevel: 3,
      state: 'active',
      validFrom,
      validTo,
    });
  });

  it("retires the card's earlier eIDs of the same purposes and its transport eID, and nothing else", async () => {
    const transport = await registerTransportEid(db, { cardId, certificate: certificate('card-transport') });
    const first = await registerCardEids(db, {
      personId,
      cardId,
      trustLevel: 3,
      certificates: cardCertificates(),
    });
    const otherCard = await registerTransportEid(db, {
      cardId: reserveCardId,
      certificate: certificate('card-transport'),
    });
    const at = new Date('2026-04-01T12:00:00Z');
    const second = await registerCardEids(db, {
      personId,
      cardId,
      trustLevel: 3,
      certificates: cardCertificates(),
      at,
    });

    const byId = new Map((await eidsOfCard(cardId)).map((row) => [row.id, row]));
    for (const id of [transport, ...Object.values(first)]) {
      expect(byId.get(id)).toMatchObject({ state: 'revoked', revocationReason: 'replaced' });
    }
    expect(byId.get(first.authentication)?.revokedAt).toEqual(at);
    for (const id of Object.values(second)) expect(byId.get(id)?.state).toBe('active');
    expect((await eidsOfCard(reserveCardId)).find((row) => row.id === otherCard)?.state).toBe('active');
  });

  it('writes nothing when one certificate cannot be recorded', async () => {
    const certificates = cardCertificates();
    await registerCardEids(db, { personId, cardId, trustLevel: 3, certificates });
    const before = await eidsOfCard(cardId);
    const reused = { ...cardCertificates(), signature: certificates.signature };
    await expect(
      registerCardEids(db, { personId, cardId, trustLevel: 3, certificates: reused }),
    ).rejects.toThrow();
    expect(await eidsOfCard(cardId)).toEqual(before);
  });
});

describe('registerTransportEid and registerMobileEid', () => {
  it('records a transport eID without a person, at the trust level of the card', async () => {
    const first = await registerTransportEid(db, {
      cardId: reserveCardId,
      certificate: certificate('card-transport'),
    });
    const second = await registerTransportEid(db, {
      cardId: reserveCardId,
      certificate: certificate('card-transport'),
    });
    const rows = await eidsOfCard(reserveCardId);
    expect(rows.find((row) => row.id === second)).toMatchObject({
      personId: null,
      purpose: 'transport',
      trustLevel: 2,
      state: 'active',
    });
    expect(rows.find((row) => row.id === first)?.state).toBe('revoked');
  });

  it("records a device's eID and retires the device's earlier one", async () => {
    const deviceId = newId();
    await db
      .insert(mobileDevices)
      .values({ id: deviceId, personId, name: 'iPhone 15', publicKeySpki: 'spki', trustLevel: 3, validTo });
    const first = await registerMobileEid(db, {
      personId,
      mobileDeviceId: deviceId,
      trustLevel: 3,
      certificate: certificate('person-id-mobile'),
    });
    const second = await registerMobileEid(db, {
      personId,
      mobileDeviceId: deviceId,
      trustLevel: 3,
      certificate: certificate('person-id-mobile'),
    });
    const rows = await db.select().from(eids).where(eq(eids.mobileDeviceId, deviceId));
    expect(rows.find((row) => row.id === first)?.state).toBe('revoked');
    expect(rows.find((row) => row.id === second)).toMatchObject({
      purpose: 'authentication',
      state: 'active',
    });
  });
});

describe('finding, retiring and listing eIDs', () => {
  it('finds an eID by issuer and serial in any case and with leading zeros', async () => {
    const certificates = cardCertificates();
    const ids = await registerCardEids(db, { personId, cardId, trustLevel: 3, certificates });
    const serial = certificates.authentication.serialNumber;
    expect((await findEidByCertificate(db, 'person-hsa-id-3', `00${serial.toUpperCase()}`))?.id).toBe(
      ids.authentication,
    );
    expect(await findEidByCertificate(db, 'person-hsa-id-2', serial)).toBeUndefined();
  });

  it('retires an active eID once, and lists it on its CA with date and reason', async () => {
    const ids = await registerCardEids(db, {
      personId,
      cardId,
      trustLevel: 3,
      certificates: cardCertificates(),
    });
    await registerTransportEid(db, { cardId: reserveCardId, certificate: certificate('card-transport') });
    const at = new Date('2026-05-01T00:00:00Z');
    expect(await retireEid(db, ids.signature, 'lost', at)).toBe(true);
    expect(await retireEid(db, ids.signature, 'stolen', at)).toBe(false);
    const serial = (await eidsOfCard(cardId)).find((row) => row.id === ids.signature)!.certificateSerial;
    expect(await listRevokedEidsOfCa(db, 'person-hsa-id-3')).toEqual([
      { certificateSerial: serial, revokedAt: at, revocationReason: 'lost' },
    ]);
    expect(await listRevokedEidsOfCa(db, 'card-transport')).toEqual([]);
  });

  it("lists the person's cards and devices with their eIDs, and no one else's", async () => {
    const ids = await registerCardEids(db, {
      personId,
      cardId,
      trustLevel: 3,
      certificates: cardCertificates(),
    });
    const deviceId = newId();
    await db
      .insert(mobileDevices)
      .values({ id: deviceId, personId, name: 'Pixel 8', publicKeySpki: 'spki', trustLevel: 3, validTo });
    await registerMobileEid(db, {
      personId,
      mobileDeviceId: deviceId,
      trustLevel: 3,
      certificate: certificate(),
    });
    await registerTransportEid(db, { cardId: reserveCardId, certificate: certificate('card-transport') });

    const listed = await listEidsOfPerson(db, personId);

    expect(listed.cards).toHaveLength(1);
    expect(listed.cards[0]).toMatchObject({
      id: cardId,
      serial: '9752000000000000001',
      kind: 'ordinary',
      state: 'active',
      trustLevel: 3,
      organisation: 'Västra Götalandsregionen',
      unitName: 'Akuten',
      validFrom: validFrom.getTime(),
      validTo: validTo.getTime(),
    });
    expect(listed.cards[0]!.eids.map((eid) => eid.id).sort()).toEqual(Object.values(ids).sort());
    expect(listed.cards[0]!.eids[0]).toMatchObject({
      state: 'active',
      trustLevel: 3,
      validTo: validTo.getTime(),
    });
    expect(listed.mobileDevices).toEqual([
      expect.objectContaining({ id: deviceId, name: 'Pixel 8', trustLevel: 3, validTo: validTo.getTime() }),
    ]);
    expect(listed.mobileDevices[0]!.eids).toHaveLength(1);
    expect(await listEidsOfPerson(db, newId())).toEqual({ cards: [], mobileDevices: [] });
  });
});

describe('certificate subjects', () => {
  it('finds a card with its holder as certificates name them, organisation from the card unit', async () => {
    expect(await findCardForCertificates(db, '9752000000000000001')).toMatchObject({
      id: cardId,
      kind: 'ordinary',
      trustLevel: 3,
      holder: {
        hsaId: 'SE2321000131-P1',
        givenName: 'Carina',
        surname: 'Andersson',
        email: null,
        organisation: 'Västra Götalandsregionen',
      },
    });
    expect(await findCardForCertificates(db, '9752000000000000002')).toMatchObject({
      state: 'in_stock',
      holder: null,
    });
    expect(await findCardForCertificates(db, '9752000000000000009')).toBeUndefined();
    expect((await findEidHolder(db, personId))?.organisation).toBe('Västra Götalandsregionen');
  });
});
