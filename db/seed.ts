import { createECDH, createHash, createPublicKey } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { luhnCheckDigit } from '../protocol/identifiers';
import type { AppDatabase } from './connection';
import {
  type DemoOrderPlan,
  type DemoPersonKey,
  type DemoUnitKey,
  defaultDemoAgentToken,
  demoAgentName,
  demoCards,
  demoEndUsers,
  demoGivenNames,
  demoIssuingCa,
  demoLogins,
  demoMobileDeviceNames,
  demoOrderPlans,
  demoOrganisation,
  demoPersonHsaId,
  demoPersons,
  demoProductCodes,
  demoProtectedIdentityViewer,
  demoProtectedPerson,
  demoRevocationReasons,
  demoStaffCards,
  demoSurnames,
  demoUnits,
  personalIdentityNumber,
  vgregionEmail,
} from './demo-fixtures';
import { first } from './engine';
import {
  agents,
  auditEvents,
  type CardState,
  cards,
  type EidState,
  eids,
  mobileDevices,
  orderEvents,
  orders,
  type PasswordLoginKind,
  persons,
  personUnits,
  staffRoleAssignments,
  units,
  users,
} from './schema';

export {
  type DemoLogin,
  defaultDemoAgentToken,
  demoAgentName,
  demoCards,
  demoEndUsers,
  demoIssuingCa,
  demoLogins,
  demoLowStockUnitHsaId,
  demoPersons,
  demoProtectedIdentityViewer,
  demoProtectedPerson,
  demoRootUnitHsaId,
  demoStaffCards,
  demoUnits,
} from './demo-fixtures';

export interface DemoSeedSummary {
  units: number;
  persons: number;
  cards: number;
  orders: number;
  users: number;
}

export interface SeedDemoOptions {
  hashPassword: (password: string) => Promise<string>;
  /** Dates (validity, order history) are laid out relative to this moment. */
  now?: Date;
  /** The demo card-agent's device token; only its SHA-256 is stored. */
  demoAgentToken?: string;
  /**
   * The units and persons are there already, synced from the demo directory with the dataset's ids
   * (`demoDirectoryIds`): the seed adds only what siths-desk itself keeps (thresholds, cards, accounts, orders).
   */
  peopleFromDirectory?: boolean;
}

/** The demo agent's row id, fixed so the demo script and tests can find it. */
export const demoAgentId = seedId(9, 1);

/**
 * Writes the demo region in one transaction. Idempotent: when the demo root unit exists, nothing is written
 * and the same summary is returned. Deterministic: a seeded PRNG and counter-derived ids.
 */
export async function seedDemoData(db: AppDatabase, options: SeedDemoOptions): Promise<DemoSeedSummary> {
  const dataset = buildDemoDataset(options.now ?? new Date());
  const summary = summarise(dataset);
  if (await isSeeded(db)) return summary;

  const passwordHashes = new Map<string, string>();
  for (const login of demoLogins) {
    if (!passwordHashes.has(login.password)) {
      passwordHashes.set(login.password, await options.hashPassword(login.password));
    }
  }
  const deviceTokenHash = createHash('sha256')
    .update(options.demoAgentToken ?? defaultDemoAgentToken)
    .digest('hex');

  await db.transaction(async (tx) => {
    if (await isSeeded(tx)) return;
    await writeDataset(tx, dataset, passwordHashes, options.peopleFromDirectory ?? false);
    await tx
      .insert(agents)
      .values({ id: demoAgentId, name: demoAgentName, deviceTokenHash, personId: dataset.personIds.carina });
    await tx.insert(auditEvents).values({
      at: dataset.now,
      actorLabel: 'system',
      action: 'demo_data_seeded',
      objectType: 'database',
      outcome: 'success',
      detail: { ...summary },
    });
  });
  return summary;
}

type Writer = Pick<AppDatabase, 'insert' | 'select' | 'update'>;

/** The demo agent is the seed's last row: units and persons alone may have come from the directory. */
async function isSeeded(db: Writer): Promise<boolean> {
  return (
    first(await db.select({ id: agents.id }).from(agents).where(eq(agents.id, demoAgentId)).limit(1)) !==
    undefined
  );
}

/**
 * The ids the seed gives the demo region's units and persons, by HSA-id: the demo's first directory sync
 * creates them with these, so the rest of the seed refers to them.
 */
export function demoDirectoryIds(now: Date): (table: 'unit' | 'person', hsaId: string) => string | undefined {
  const dataset = buildDemoDataset(now);
  const unitIds = new Map(dataset.units.map((unit) => [unit.hsaId, unit.id]));
  const personIds = new Map(dataset.persons.map((person) => [person.hsaId, person.id]));
  return (table, hsaId) => (table === 'unit' ? unitIds : personIds).get(hsaId);
}

function summarise(dataset: DemoDataset): DemoSeedSummary {
  return {
    units: dataset.units.length,
    persons: dataset.persons.length,
    cards: dataset.cards.length,
    orders: dataset.orders.length,
    users: dataset.users.length,
  };
}

async function writeDataset(
  tx: Writer,
  dataset: DemoDataset,
  passwordHashes: Map<string, string>,
  peopleFromDirectory: boolean,
): Promise<void> {
  if (peopleFromDirectory) {
    await keepDirectoryPeople(tx, dataset);
  } else {
    // Parents come first in dataset.units, so the self reference holds row by row.
    await insertInChunks(dataset.units, (rows) => tx.insert(units).values(rows));
    await insertInChunks(dataset.persons, (rows) => tx.insert(persons).values(rows));
    await insertInChunks(dataset.personUnits, (rows) => tx.insert(personUnits).values(rows));
  }
  const userRows = dataset.users.map(({ password, ...user }) => ({
    ...user,
    passwordHash: password === null ? null : (passwordHashes.get(password) ?? null),
  }));
  await insertInChunks(userRows, (rows) => tx.insert(users).values(rows));
  await insertInChunks(dataset.roles, (rows) => tx.insert(staffRoleAssignments).values(rows));
  await insertInChunks(dataset.cards, (rows) => tx.insert(cards).values(rows));
  await insertInChunks(dataset.mobileDevices, (rows) => tx.insert(mobileDevices).values(rows));
  await insertInChunks(dataset.eids, (rows) => tx.insert(eids).values(rows));
  await insertInChunks(dataset.orders, (rows) => tx.insert(orders).values(rows));
  await insertInChunks(dataset.orderEvents, (rows) => tx.insert(orderEvents).values(rows));
}

/** The directory gave the units and persons; the stock thresholds are siths-desk's own. */
async function keepDirectoryPeople(tx: Writer, dataset: DemoDataset): Promise<void> {
  const synced = new Set((await tx.select({ id: persons.id }).from(persons)).map((row) => row.id));
  const missing = dataset.persons.filter((person) => !synced.has(person.id as string));
  if (missing.length > 0) {
    throw new Error(
      `${missing.length} persons of the demo region did not come from the directory (first: ${missing[0]?.hsaId}).`,
    );
  }
  for (const unit of dataset.units) {
    await tx
      .update(units)
      .set({ lowStockThreshold: unit.lowStockThreshold })
      .where(eq(units.id, unit.id as string));
  }
}

async function insertInChunks<T>(
  rows: readonly T[],
  insert: (chunk: T[]) => PromiseLike<unknown>,
): Promise<void> {
  // Stays well below either engine's limit on bound parameters per statement.
  for (let start = 0; start < rows.length; start += 100) await insert(rows.slice(start, start + 100));
}

type UnitRow = typeof units.$inferInsert;
type PersonRow = typeof persons.$inferInsert;
type UserRow = Omit<typeof users.$inferInsert, 'passwordHash'> & { password: string | null };
type CardRow = typeof cards.$inferInsert & { id: string };
type MobileDeviceRow = typeof mobileDevices.$inferInsert & { id: string };
type OrderRow = typeof orders.$inferInsert & { id: string };

interface DemoDataset {
  now: Date;
  units: UnitRow[];
  persons: PersonRow[];
  personUnits: (typeof personUnits.$inferInsert)[];
  users: UserRow[];
  roles: (typeof staffRoleAssignments.$inferInsert)[];
  cards: CardRow[];
  mobileDevices: MobileDeviceRow[];
  eids: (typeof eids.$inferInsert)[];
  orders: OrderRow[];
  orderEvents: (typeof orderEvents.$inferInsert)[];
  personIds: Record<DemoPersonKey, string>;
}

const tables = { unit: 1, person: 2, user: 3, role: 4, card: 5, mobileDevice: 6, eid: 7, order: 8 } as const;

/** UUID-shaped (version 4 layout) so code that validates ids as UUIDs accepts them: 5eed<table>-...-<counter>. */
function seedId(table: number, counter: number): string {
  return `5eed${table.toString(16).padStart(4, '0')}-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`;
}

const dayMs = 86_400_000;

function addYears(date: Date, years: number): Date {
  const result = new Date(date);
  result.setUTCFullYear(result.getUTCFullYear() + years);
  return result;
}

/** mulberry32: small, fast and the same on every platform. */
function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    chance: (probability: number): boolean => next() < probability,
    pick: <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T,
    digits: (count: number): string => Array.from({ length: count }, () => String(int(0, 9))).join(''),
    bytes: (count: number): Buffer => Buffer.from(Array.from({ length: count }, () => int(0, 255))),
  };
}

interface GeneratedPerson {
  id: string;
  unit: DemoUnitKey;
  named: boolean;
}

/** Builds every row in memory; the same `now` always gives the same rows. */
export function buildDemoDataset(now: Date): DemoDataset {
  const builder = new DemoDatasetBuilder(now);
  builder.addUnits();
  builder.addPersons();
  builder.addCardsAndDevices();
  builder.addReserveStock();
  builder.addUsers();
  builder.addOrders();
  builder.addProtectedPersonsCard();
  return builder.dataset;
}

class DemoDatasetBuilder {
  readonly dataset: DemoDataset;
  private readonly random = createRandom(0x5175_2026);
  private readonly counters = new Map<number, number>();
  private readonly unitIds = new Map<DemoUnitKey, string>();
  private readonly unitIdsByHsaId = new Map<string, string>();
  private readonly userIds = new Map<string, string>();
  private readonly people: GeneratedPerson[] = [];
  private protectedPersonId: string | undefined;
  private readonly usedCardSerials = new Set<string>([
    ...Object.values(demoCards),
    ...Object.values(demoStaffCards),
  ]);
  private readonly usedCertificateSerials = new Set<string>();
  private readonly usedEmails = new Set<string>();
  private readonly usedPersonalIdentityNumbers = new Set<string>();
  private readonly orderSubjects = new Set<string>();

  constructor(private readonly now: Date) {
    this.dataset = {
      now,
      units: [],
      persons: [],
      personUnits: [],
      users: [],
      roles: [],
      cards: [],
      mobileDevices: [],
      eids: [],
      orders: [],
      orderEvents: [],
      personIds: {} as Record<DemoPersonKey, string>,
    };
  }

  private nextId(table: number): string {
    const counter = (this.counters.get(table) ?? 0) + 1;
    this.counters.set(table, counter);
    return seedId(table, counter);
  }

  private daysAgo(days: number): Date {
    return new Date(this.now.getTime() - days * dayMs);
  }

  private unitId(key: DemoUnitKey): string {
    const id = this.unitIds.get(key);
    if (!id) throw new Error(`Demo unit ${key} is not defined`);
    return id;
  }

  addUnits(): void {
    for (const fixture of demoUnits) {
      const id = this.nextId(tables.unit);
      this.unitIds.set(fixture.key, id);
      this.unitIdsByHsaId.set(fixture.hsaId, id);
      this.dataset.units.push({
        id,
        hsaId: fixture.hsaId,
        name: fixture.name,
        parentId: fixture.parent === null ? null : this.unitId(fixture.parent),
        organisation: demoOrganisation,
        lowStockThreshold: fixture.lowStockThreshold,
      });
    }
  }

  addPersons(): void {
    for (const fixture of Object.values(demoPersons)) {
      this.usedPersonalIdentityNumbers.add(fixture.personalIdentityNumber);
      if (fixture.email) this.usedEmails.add(fixture.email);
    }
    for (const fixture of Object.values(demoPersons)) {
      const id = this.addPerson({ ...fixture }, fixture.unit, true);
      this.dataset.personIds[fixture.key] = id;
    }
    let index = Object.keys(demoPersons).length;
    for (const fixture of demoUnits) {
      for (let count = 0; count < fixture.generatedPersons; count++) {
        index += 1;
        this.addPerson(this.generatePerson(index), fixture.key, false);
      }
    }
    this.addProtectedPerson();
  }

  /** Added last and outside `people`, so the random draws of the rest of the region stay as they were. */
  private addProtectedPerson(): void {
    const { unit, ...fixture } = demoProtectedPerson;
    this.protectedPersonId = this.nextId(tables.person);
    this.dataset.persons.push({ id: this.protectedPersonId, ...fixture, protectedIdentity: true });
    this.dataset.personUnits.push({ personId: this.protectedPersonId, unitId: this.unitId(unit) });
  }

  /** After every other random draw, for the same reason. */
  addProtectedPersonsCard(): void {
    if (!this.protectedPersonId) throw new Error('The protected person is added with the persons.');
    this.addOrdinaryCard(
      this.protectedPersonId,
      this.unitId(demoProtectedPerson.unit),
      this.daysAgo(400),
      'active',
    );
  }

  private addPerson(row: Omit<PersonRow, 'id'>, unit: DemoUnitKey, named: boolean): string {
    const id = this.nextId(tables.person);
    this.dataset.persons.push({
      id,
      hsaId: row.hsaId,
      personalIdentityNumber: row.personalIdentityNumber,
      givenName: row.givenName,
      surname: row.surname,
      email: row.email,
    });
    this.dataset.personUnits.push({ personId: id, unitId: this.unitId(unit) });
    this.people.push({ id, unit, named });
    return id;
  }

  private generatePerson(index: number): Omit<PersonRow, 'id'> {
    const female = this.random.chance(0.55);
    const givenName = this.random.pick(female ? demoGivenNames.female : demoGivenNames.male);
    const surname = this.random.chance(0.06)
      ? `${this.random.pick(demoSurnames)} ${this.random.pick(demoSurnames)}`
      : this.random.pick(demoSurnames);
    return {
      hsaId: demoPersonHsaId(index),
      personalIdentityNumber: this.uniquePersonalIdentityNumber(female),
      givenName,
      surname,
      email: this.random.chance(0.88) ? this.uniqueEmail(givenName, surname) : null,
    };
  }

  /** Birth numbers stay in 980-999 (even for women, odd for men) so the demo numbers read as test data. */
  private uniquePersonalIdentityNumber(female: boolean): string {
    for (;;) {
      const birthDate = [
        this.random.int(1958, 2004),
        String(this.random.int(1, 12)).padStart(2, '0'),
        String(this.random.int(1, 28)).padStart(2, '0'),
      ].join('');
      const birthNumber = 980 + 2 * this.random.int(0, 9) + (female ? 0 : 1);
      const number = personalIdentityNumber(birthDate, birthNumber);
      if (!this.usedPersonalIdentityNumbers.has(number)) {
        this.usedPersonalIdentityNumbers.add(number);
        return number;
      }
    }
  }

  private uniqueEmail(givenName: string, surname: string): string {
    for (let suffix = 1; ; suffix++) {
      const email = vgregionEmail(givenName, surname, suffix === 1 ? '' : String(suffix));
      if (!this.usedEmails.has(email)) {
        this.usedEmails.add(email);
        return email;
      }
    }
  }

  addCardsAndDevices(): void {
    const { carina, olof, elsa } = this.dataset.personIds;
    const staffCards = new Map<string, string>(
      Object.entries(demoStaffCards).map(([key, serial]) => [
        this.dataset.personIds[key as DemoPersonKey],
        serial,
      ]),
    );
    for (const person of this.people) {
      const unitId = this.unitId(person.unit);
      if (person.id === carina) {
        this.addCarinasCards(unitId);
      } else {
        const issued = this.daysAgo(
          person.id === elsa ? this.random.int(20, 150) : this.random.int(20, 1700),
        );
        const staffCard = staffCards.get(person.id);
        // A serial is drawn either way, so the rest of the demo region stays as it was before staff had cards.
        const drawn = staffCard ? this.uniqueCardSerial() : undefined;
        this.addOrdinaryCard(person.id, unitId, issued, 'active', staffCard ?? drawn);
        if (!person.named || person.id === olof) this.maybeAddOldCard(person.id, unitId, issued);
      }
      if (person.id === carina) this.addMobileDevice(carina, 'iPhone 15', this.daysAgo(200));
      else if (person.id !== elsa) this.maybeAddMobileDevices(person.id);
    }
  }

  private addCarinasCards(unitId: string): void {
    const carina = this.dataset.personIds.carina;
    this.addOrdinaryCard(carina, unitId, this.daysAgo(1100), 'locked', demoCards.lockedOrdinary);
    this.addOrdinaryCard(carina, unitId, this.daysAgo(60), 'active', demoCards.activeOrdinary);
  }

  /** Some people carry history: an expired card, or one that was revoked when lost. */
  private maybeAddOldCard(personId: string, unitId: string, currentIssued: Date): void {
    const roll = this.random.next();
    if (roll < 0.07) {
      const issued = addYears(new Date(currentIssued.getTime() - this.random.int(1, 60) * dayMs), -5);
      this.addOrdinaryCard(personId, unitId, issued, 'expired');
    } else if (roll < 0.11) {
      const issued = new Date(currentIssued.getTime() - this.random.int(200, 1000) * dayMs);
      const revokedAt = new Date(currentIssued.getTime() - dayMs);
      this.addOrdinaryCard(personId, unitId, issued, 'revoked', undefined, revokedAt);
    }
  }

  private addOrdinaryCard(
    personId: string,
    unitId: string,
    issued: Date,
    state: CardState,
    serial?: string,
    revokedAt?: Date,
  ): string {
    const card = this.addCard({
      serial: serial ?? this.uniqueCardSerial(),
      kind: 'ordinary',
      productCode: demoProductCodes.ordinary,
      trustLevel: 3,
      state,
      holderPersonId: personId,
      unitId,
      validFrom: issued,
      validTo: addYears(issued, 5),
      updatedAt: revokedAt ?? issued,
    });
    const eidState: EidState = state === 'revoked' ? 'revoked' : state === 'expired' ? 'expired' : 'active';
    this.addCardEids(card, eidState, revokedAt);
    return card.id;
  }

  private addCard(row: Omit<CardRow, 'id' | 'createdAt'>): CardRow {
    const card: CardRow = { id: this.nextId(tables.card), createdAt: row.validFrom, ...row };
    this.dataset.cards.push(card);
    return card;
  }

  private addCardEids(card: CardRow, state: EidState, revokedAt?: Date): void {
    const reason = state === 'revoked' ? this.random.pick(demoRevocationReasons.card) : null;
    for (const purpose of ['authentication', 'signature'] as const) {
      this.dataset.eids.push({
        id: this.nextId(tables.eid),
        personId: card.holderPersonId as string,
        cardId: card.id,
        purpose,
        issuingCa: demoIssuingCa,
        certificateSerial: this.uniqueCertificateSerial(),
        trustLevel: card.trustLevel,
        state,
        validFrom: card.validFrom,
        validTo: card.validTo,
        revokedAt: state === 'revoked' ? (revokedAt ?? this.now) : null,
        revocationReason: reason,
        createdAt: card.validFrom,
      });
    }
  }

  private maybeAddMobileDevices(personId: string): void {
    if (!this.random.chance(0.15)) return;
    const registered = this.daysAgo(this.random.int(10, 600));
    if (this.random.chance(0.25)) {
      const older = new Date(registered.getTime() - this.random.int(100, 400) * dayMs);
      this.addMobileDevice(personId, this.random.pick(demoMobileDeviceNames), older, registered);
    }
    this.addMobileDevice(personId, this.random.pick(demoMobileDeviceNames), registered);
  }

  private addMobileDevice(personId: string, name: string, registered: Date, revokedAt?: Date): void {
    const id = this.nextId(tables.mobileDevice);
    const validTo = addYears(registered, 2);
    this.dataset.mobileDevices.push({
      id,
      personId,
      name,
      publicKeySpki: this.devicePublicKey(),
      trustLevel: 3,
      state: revokedAt ? 'revoked' : 'active',
      validTo,
      createdAt: registered,
    });
    this.dataset.eids.push({
      id: this.nextId(tables.eid),
      personId,
      mobileDeviceId: id,
      purpose: 'authentication',
      issuingCa: demoIssuingCa,
      certificateSerial: this.uniqueCertificateSerial(),
      trustLevel: 3,
      state: revokedAt ? 'revoked' : 'active',
      validFrom: registered,
      validTo,
      revokedAt: revokedAt ?? null,
      revocationReason: revokedAt ? this.random.pick(demoRevocationReasons.mobile) : null,
      createdAt: registered,
    });
  }

  /** A P-256 public key (SPKI PEM) from PRNG bytes, so seeded devices are stable across runs. */
  private devicePublicKey(): string {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(this.random.bytes(32));
    const point = ecdh.getPublicKey();
    const jwk = {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33).toString('base64url'),
    };
    return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  }

  private uniqueCardSerial(): string {
    for (;;) {
      const body = `9752${this.random.digits(14)}`;
      const serial = `${body}${luhnCheckDigit(body)}`;
      if (!this.usedCardSerials.has(serial)) {
        this.usedCardSerials.add(serial);
        return serial;
      }
    }
  }

  private uniqueCertificateSerial(): string {
    for (;;) {
      const bytes = this.random.bytes(16);
      bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x10;
      const serial = bytes.toString('hex').toUpperCase();
      if (!this.usedCertificateSerials.has(serial)) {
        this.usedCertificateSerials.add(serial);
        return serial;
      }
    }
  }

  addReserveStock(): void {
    for (const fixture of demoUnits) {
      const [loa2, loa3] = fixture.reserveStock;
      for (let index = 0; index < loa2 + loa3; index++) {
        const trustLevel = index < loa2 ? 2 : 3;
        const serial = fixture.key === 'suAkut' && index === 0 ? demoCards.reserveNoOrder : undefined;
        this.addReserveCard(fixture.key, trustLevel, 'in_stock', null, serial);
      }
    }
  }

  private addReserveCard(
    unit: DemoUnitKey,
    trustLevel: 2 | 3,
    state: CardState,
    holderPersonId: string | null,
    serial?: string,
  ): CardRow {
    const delivered = this.daysAgo(this.random.int(30, 400));
    return this.addCard({
      serial: serial ?? this.uniqueCardSerial(),
      kind: 'reserve',
      productCode: trustLevel === 2 ? demoProductCodes.reserveLoa2 : demoProductCodes.reserveLoa3,
      trustLevel,
      state,
      holderPersonId,
      unitId: this.unitId(unit),
      validFrom: delivered,
      validTo: addYears(delivered, 5),
      updatedAt: delivered,
    });
  }

  addUsers(): void {
    for (const login of demoLogins) {
      const person = login.person === null ? null : demoPersons[login.person];
      const userId = this.addUser(
        login.username,
        person ? `${person.givenName} ${person.surname}` : 'Systemadministratör',
        person ? this.dataset.personIds[person.key] : null,
        login.password,
        login.passwordLogin,
      );
      const unitId = login.unitHsaId === null ? null : (this.unitIdsByHsaId.get(login.unitHsaId) ?? null);
      this.dataset.roles.push({ id: this.nextId(tables.role), userId, role: login.role, unitId });
    }
    // Anna Bergström, manager at Sahlgrenska, may see protected identities; Johan Lindberg, contact there, not.
    this.dataset.roles.push({
      id: this.nextId(tables.role),
      userId: this.userIds.get(demoProtectedIdentityViewer) as string,
      role: 'protected_identity_viewer',
      unitId: null,
    });
    for (const endUser of demoEndUsers) {
      const person = demoPersons[endUser.person];
      this.addUser(
        endUser.username,
        `${person.givenName} ${person.surname}`,
        this.dataset.personIds[person.key],
        null,
        null,
      );
    }
  }

  private addUser(
    username: string,
    displayName: string,
    personId: string | null,
    password: string | null,
    passwordLogin: PasswordLoginKind | null,
  ) {
    const id = this.nextId(tables.user);
    this.userIds.set(username, id);
    this.dataset.users.push({ id, username, displayName, personId, password, passwordLogin });
    return id;
  }

  addOrders(): void {
    for (const plan of demoOrderPlans) this.addOrder(plan);
  }

  private addOrder(plan: DemoOrderPlan): void {
    const personId = this.orderSubject(plan);
    const createdAt = new Date(this.daysAgo(plan.daysAgo).getTime() + this.random.int(7, 15) * 3_600_000);
    const stepTimes = this.stepTimes(plan, createdAt);
    const order: OrderRow = {
      id: this.nextId(tables.order),
      type: plan.type,
      state: plan.steps[plan.steps.length - 1]?.to ?? 'placed',
      personId,
      unitId: this.unitId(plan.unit),
      placedByUserId: this.userId(plan.steps[0]?.by ?? null),
      cardId: this.orderCard(plan, personId, stepTimes[1] ?? createdAt),
      createdAt,
      updatedAt: stepTimes[stepTimes.length - 1] ?? createdAt,
    };
    this.dataset.orders.push(order);
    plan.steps.forEach((step, index) => {
      this.dataset.orderEvents.push({
        orderId: order.id,
        actorUserId: step.by === null ? null : this.userId(step.by),
        fromState: index === 0 ? null : (plan.steps[index - 1]?.to ?? null),
        toState: step.to,
        note: step.note ?? null,
        at: stepTimes[index] ?? createdAt,
      });
    });
    if (plan.type === 'mobile' && order.state === 'fulfilled') {
      this.addMobileDevice(personId, this.random.pick(demoMobileDeviceNames), order.updatedAt as Date);
    }
  }

  /** Expiry comes three months after placing; other steps spread over the first days. */
  private stepTimes(plan: DemoOrderPlan, createdAt: Date): Date[] {
    const spanMs = Math.min(plan.daysAgo, 3) * dayMs * 0.8;
    return plan.steps.map((step, index) =>
      step.to === 'expired'
        ? new Date(createdAt.getTime() + 91 * dayMs)
        : new Date(createdAt.getTime() + (index * spanMs) / plan.steps.length),
    );
  }

  private orderSubject(plan: DemoOrderPlan): string {
    if (plan.subject !== 'generated') return this.dataset.personIds[plan.subject];
    const candidates = this.people.filter(
      (person) => person.unit === plan.unit && !person.named && !this.orderSubjects.has(person.id),
    );
    const chosen = this.random.pick(candidates);
    this.orderSubjects.add(chosen.id);
    return chosen.id;
  }

  private orderCard(plan: DemoOrderPlan, personId: string, activatedAt: Date): string | null {
    if (!plan.reserveCard) return null;
    const trustLevel = plan.type === 'reserve_card_loa3' ? 3 : 2;
    if (plan.reserveCard === 'reserveNotActivated') {
      return this.addReserveCard(plan.unit, 2, 'assigned', personId, demoCards.reserveNotActivated).id;
    }
    const card = this.addReserveCard(plan.unit, trustLevel, plan.reserveCard, personId);
    if (plan.reserveCard === 'active') {
      card.validFrom = activatedAt;
      card.validTo = addYears(activatedAt, 5);
      this.addCardEids(card, 'active');
    }
    return card.id;
  }

  private userId(username: string | null): string {
    const id = username === null ? undefined : this.userIds.get(username);
    if (!id) throw new Error(`Demo user ${username} is not defined`);
    return id;
  }
}
