import { createHash } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../app/auth/password.server';
import { openTestDatabase } from '../test-support/test-database';
import type { AppDatabase } from './connection';
import { queryRows } from './engine';
import {
  demoAgentId,
  demoCards,
  demoLogins,
  demoLowStockUnitHsaId,
  demoPersons,
  demoProtectedIdentityViewer,
  demoRootUnitHsaId,
  type SeedDemoOptions,
  seedDemoData,
} from './seed';

const now = new Date('2026-03-02T09:00:00Z');
const agentToken = 'test-agent-token';
const fakeHash = async (password: string) => `fake$${password}`;

async function seeded(options: Partial<SeedDemoOptions> = {}): Promise<AppDatabase> {
  const db = await openTestDatabase();
  await seedDemoData(db, { hashPassword: fakeHash, now, demoAgentToken: agentToken, ...options });
  return db;
}

/** Seeds a database of its own, returns the summary and closes it. */
async function seedElsewhere(): Promise<Awaited<ReturnType<typeof seedDemoData>>> {
  const db = await openTestDatabase();
  try {
    return await seedDemoData(db, { hashPassword: fakeHash, now });
  } finally {
    await db.close();
  }
}

async function all<T>(db: AppDatabase, query: SQL): Promise<T[]> {
  return queryRows<T>(db, query);
}

async function one<T>(db: AppDatabase, query: SQL): Promise<T> {
  return (await queryRows<T>(db, query))[0] as T;
}

async function count(db: AppDatabase, table: string): Promise<number> {
  return (await one<{ n: number }>(db, sql.raw(`select count(*) as n from ${table}`))).n;
}

const tables = [
  'units',
  'persons',
  'person_units',
  'users',
  'staff_role_assignments',
  'cards',
  'mobile_devices',
  'eids',
  'orders',
  'order_events',
  'audit_events',
  'agents',
];

/** Independent of the seed's own helper: Luhn over the last ten digits. */
function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    let value = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) value = value * 2 > 9 ? value * 2 - 9 : value * 2;
    sum += value;
  }
  return sum % 10 === 0;
}

describe('seedDemoData', () => {
  let db: AppDatabase;
  beforeAll(async () => {
    db = await seeded();
  });
  afterAll(async () => {
    await db.close();
  });

  const counts = async (names: readonly string[]) => {
    const counted: Record<string, number> = {};
    for (const name of names) counted[name] = await count(db, name);
    return counted;
  };

  it('returns counts that match the rows written', async () => {
    const summary = await seedElsewhere();
    expect(summary).toEqual(await counts(['units', 'persons', 'cards', 'orders', 'users']));
    expect(summary.persons).toBeGreaterThanOrEqual(180);
    expect(summary.persons).toBeLessThanOrEqual(220);
    expect(summary.orders).toBeGreaterThanOrEqual(10);
    expect(summary.orders).toBeLessThanOrEqual(20);
    expect(summary.users).toBe(9);
  });

  it('changes nothing when run again, and hashes no password', async () => {
    const before = await counts(tables);
    const first = await seedElsewhere();
    let hashed = 0;
    const again = await seedDemoData(db, {
      hashPassword: async (password) => {
        hashed += 1;
        return fakeHash(password);
      },
      now: new Date('2027-01-01T00:00:00Z'),
    });
    expect(again).toEqual(first);
    expect(hashed).toBe(0);
    expect(await counts(tables)).toEqual(before);
    expect(await count(db, "audit_events where action = 'demo_data_seeded'")).toBe(1);
  });

  it('writes the same ids, serials and personnummer on every run', async () => {
    const other = await seeded({ now: new Date('2026-09-15T12:00:00Z') });
    const identity = async (database: AppDatabase) => ({
      persons: await all(
        database,
        sql`select id, hsa_id, personal_identity_number, email from persons order by id`,
      ),
      cards: await all(
        database,
        sql`select id, serial, kind, state, holder_person_id from cards order by id`,
      ),
      eids: await all(database, sql`select id, certificate_serial, state from eids order by id`),
      orders: await all(database, sql`select id, type, state, person_id, card_id from orders order by id`),
    });
    try {
      expect(await identity(other)).toEqual(await identity(db));
    } finally {
      await other.close();
    }
  });

  it('builds an HSA tree under Västra Götalandsregionen', async () => {
    const root = await one<{ id: string; parent_id: string | null; name: string }>(
      db,
      sql`select id, parent_id, name from units where hsa_id = ${demoRootUnitHsaId}`,
    );
    expect(root).toMatchObject({ parent_id: null, name: 'Västra Götalandsregionen' });
    const orphans = await all(db, sql`select id from units where parent_id is null and id <> ${root.id}`);
    expect(orphans).toEqual([]);
    const kardiologi = await one<{ parent: string }>(
      db,
      sql`select p.name as parent from units u join units p on p.id = u.parent_id where u.name = 'Kardiologi Sahlgrenska'`,
    );
    expect(kardiologi.parent).toBe('Sahlgrenska Universitetssjukhuset');
    for (const { hsa_id } of await all<{ hsa_id: string }>(db, sql`select hsa_id from units`)) {
      expect(hsa_id).toMatch(/^SE2321000131-[ES]\d{12}$/);
    }
  });

  it('gives every person a unique HSA-id, one unit and a valid personnummer', async () => {
    const rows = await all<{ hsa_id: string; pnr: string; units: number }>(
      db,
      sql`select hsa_id, personal_identity_number as pnr,
        (select count(*) from person_units pu where pu.person_id = p.id) as units from persons p`,
    );
    for (const row of rows) {
      expect(row.hsa_id).toMatch(/^TSTNMT2321000156-\d{4}$/);
      expect(row.units).toBe(1);
      expect(row.pnr).toMatch(/^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{4}$/);
      expect(luhnValid(row.pnr.slice(2)), row.pnr).toBe(true);
    }
    expect(new Set(rows.map((row) => row.pnr)).size).toBe(rows.length);
  });

  it('spreads birth years and includes someone under 18', async () => {
    const years = (
      await all<{ pnr: string }>(db, sql`select personal_identity_number as pnr from persons`)
    ).map((row) => Number(row.pnr.slice(0, 4)));
    expect(Math.min(...years)).toBeLessThan(1965);
    expect(Math.max(...years)).toBeGreaterThan(now.getUTCFullYear() - 18);
    expect(new Set(years).size).toBeGreaterThan(30);
  });

  it('gives most but not all persons a vgregion.se email', async () => {
    const emails = (await all<{ email: string | null }>(db, sql`select email from persons`)).map(
      (row) => row.email,
    );
    const missing = emails.filter((email) => email === null).length;
    expect(missing).toBeGreaterThan(0);
    expect(missing).toBeLessThan(emails.length * 0.2);
    for (const email of emails.filter((value) => value !== null)) {
      expect(email).toMatch(/^[a-z-]+(\.[a-z-]+)+\d*@vgregion\.se$/);
    }
    expect(new Set(emails.filter((value) => value !== null)).size).toBe(emails.length - missing);
  });

  it('writes 19-digit unique card serials starting with 9752', async () => {
    const serials = (await all<{ serial: string }>(db, sql`select serial from cards`)).map(
      (row) => row.serial,
    );
    for (const serial of serials) expect(serial).toMatch(/^9752\d{15}$/);
    expect(new Set(serials).size).toBe(serials.length);
  });

  it('gives every person a usable ordinary trust level 3 card with authentication and signature eids', async () => {
    const withoutCard = await all(
      db,
      sql`select id from persons p where not exists (select 1 from cards c where c.holder_person_id = p.id
        and c.kind = 'ordinary' and c.state in ('active', 'locked') and c.trust_level = 3)`,
    );
    expect(withoutCard).toEqual([]);
    const incomplete = await all(
      db,
      sql`select c.id from cards c where c.kind = 'ordinary' and (select count(distinct purpose) from eids e
        where e.card_id = c.id and e.purpose in ('authentication', 'signature')) <> 2`,
    );
    expect(incomplete).toEqual([]);
    const validity = await all<{ valid_from: number; valid_to: number }>(
      db,
      sql`select valid_from, valid_to from cards where kind = 'ordinary' and state = 'active'`,
    );
    for (const card of validity) {
      expect(new Date(card.valid_to).getUTCFullYear() - new Date(card.valid_from).getUTCFullYear()).toBe(5);
      expect(card.valid_to).toBeGreaterThan(now.getTime());
    }
  });

  it('keeps invalid eids for "Visa ogiltiga SITHS eID"', async () => {
    const states = await all<{ state: string; n: number }>(
      db,
      sql`select state, count(*) as n from eids group by state`,
    );
    expect(states.map((row) => row.state).sort()).toEqual(['active', 'expired', 'revoked']);
    const expiredStillValid = await all(
      db,
      sql`select id from eids where state = 'expired' and valid_to > ${now.getTime()}`,
    );
    expect(expiredStillValid).toEqual([]);
    expect(await count(db, "cards where state in ('revoked', 'expired')")).toBeGreaterThan(0);
  });

  it('gives some persons mobile devices, each with an eid and at most 3 active', async () => {
    const devices = await all<{ name: string; eids: number }>(
      db,
      sql`select name, (select count(*) from eids e where e.mobile_device_id = d.id) as eids from mobile_devices d`,
    );
    expect(devices.length).toBeGreaterThan(10);
    for (const device of devices) expect(device.eids).toBe(1);
    const crowded = await all(
      db,
      sql`select person_id from mobile_devices where state = 'active' group by person_id having count(*) > 3`,
    );
    expect(crowded).toEqual([]);
  });

  it('seeds the fixed demo cards in the states the flows need', async () => {
    const card = async (serial: string) =>
      await one<{ id: string; kind: string; state: string; holder: string | null; trust_level: number }>(
        db,
        sql`select c.id, c.kind, c.state, c.trust_level, p.given_name || ' ' || p.surname as holder
          from cards c left join persons p on p.id = c.holder_person_id where c.serial = ${serial}`,
      );
    expect(await card(demoCards.lockedOrdinary)).toMatchObject({
      kind: 'ordinary',
      state: 'locked',
      holder: 'Carina Svensson Andersson',
    });
    expect(await card(demoCards.activeOrdinary)).toMatchObject({ kind: 'ordinary', state: 'active' });
    expect(await card(demoCards.reserveNotActivated)).toMatchObject({
      kind: 'reserve',
      state: 'assigned',
      holder: `${demoPersons.olof.givenName} ${demoPersons.olof.surname}`,
      trust_level: 2,
    });
    expect(await card(demoCards.reserveNoOrder)).toMatchObject({
      kind: 'reserve',
      state: 'in_stock',
      holder: null,
    });
  });

  it('links the not-activated reserve card to a ready loa2 order and the other to none', async () => {
    const orderFor = async (serial: string) =>
      await all<{ type: string; state: string; person: string }>(
        db,
        sql`select o.type, o.state, p.hsa_id as person from orders o join cards c on c.id = o.card_id
          join persons p on p.id = o.person_id where c.serial = ${serial}`,
      );
    expect(await orderFor(demoCards.reserveNotActivated)).toEqual([
      { type: 'reserve_card_loa2', state: 'ready', person: demoPersons.olof.hsaId },
    ]);
    expect(await orderFor(demoCards.reserveNoOrder)).toEqual([]);
  });

  it('leaves exactly the low-stock unit below its threshold', async () => {
    const below = await all<{ hsa_id: string }>(
      db,
      sql`select u.hsa_id from units u where (select count(*) from cards c where c.unit_id = u.id
        and c.kind = 'reserve' and c.state = 'in_stock') < u.low_stock_threshold`,
    );
    expect(below).toEqual([{ hsa_id: demoLowStockUnitHsaId }]);
    const stocked = await all(db, sql`select distinct unit_id from cards where state = 'in_stock'`);
    expect(stocked.length).toBeGreaterThan(4);
  });

  it('seeds orders in every state, each with a consistent event history', async () => {
    const states = (await all<{ state: string }>(db, sql`select distinct state from orders`)).map(
      (row) => row.state,
    );
    expect(states.sort()).toEqual(
      ['awaiting_second_approval', 'cancelled', 'expired', 'fulfilled', 'placed', 'ready'].sort(),
    );
    expect(
      await one(db, sql`select type from orders where state = 'awaiting_second_approval' limit 1`),
    ).toEqual({
      type: 'reserve_card_loa3',
    });
    const orders = await all<{ id: string; state: string; placed_by_user_id: string }>(
      db,
      sql`select * from orders`,
    );
    const placers = (
      await all<{ username: string }>(
        db,
        sql`select distinct u.username from orders o join users u on u.id = o.placed_by_user_id`,
      )
    ).map((row) => row.username);
    expect(placers.every((name) => name.startsWith('chef') || name.startsWith('kontakt'))).toBe(true);
    for (const order of orders) {
      const events = await all<{ from_state: string | null; to_state: string; at: number }>(
        db,
        sql`select from_state, to_state, at from order_events where order_id = ${order.id} order by at, id`,
      );
      expect(events[0]).toMatchObject({ from_state: null, to_state: 'placed' });
      for (const [index, event] of events.entries()) {
        if (index > 0) expect(event.from_state).toBe(events[index - 1]?.to_state);
      }
      expect(events.at(-1)?.to_state).toBe(order.state);
      expect(events.at(-1)?.at).toBeLessThanOrEqual(now.getTime());
    }
  });

  it('creates the demo staff with scoped roles and end users without passwords', async () => {
    const roles = await all<{ username: string; role: string; unit: string | null; hash: string | null }>(
      db,
      sql`select u.username, r.role, un.hsa_id as unit, u.password_hash as hash from users u
        join staff_role_assignments r on r.user_id = u.id left join units un on un.id = r.unit_id`,
    );
    expect(roles).toHaveLength(demoLogins.length + 1);
    expect(roles).toContainEqual({
      username: demoProtectedIdentityViewer,
      role: 'protected_identity_viewer',
      unit: null,
      hash: expect.any(String),
    });
    for (const login of demoLogins) {
      expect(roles).toContainEqual({
        username: login.username,
        role: login.role,
        unit: login.unitHsaId,
        hash: `fake$${login.password}`,
      });
    }
    const endUsers = await all<{ username: string; hash: string | null; hsa_id: string }>(
      db,
      sql`select u.username, u.password_hash as hash, p.hsa_id from users u join persons p on p.id = u.person_id where u.username in ('carina', 'olof') order by u.username`,
    );
    expect(endUsers).toEqual([
      { username: 'carina', hash: null, hsa_id: demoPersons.carina.hsaId },
      { username: 'olof', hash: null, hsa_id: demoPersons.olof.hsaId },
    ]);
  });

  it('registers the demo agent by the SHA-256 of its token, for Carina', async () => {
    const agent = await one<{ id: string; name: string; device_token_hash: string; person: string }>(
      db,
      sql`select a.id, a.name, a.device_token_hash, p.hsa_id as person from agents a join persons p on p.id = a.person_id`,
    );
    expect(agent).toEqual({
      id: demoAgentId,
      name: 'Demo-dator (virtuell kortläsare)',
      device_token_hash: createHash('sha256').update(agentToken).digest('hex'),
      person: demoPersons.carina.hsaId,
    });
  });

  it('records one demo_data_seeded audit event by the system', async () => {
    expect(await all(db, sql`select actor_label, actor_user_id, outcome from audit_events`)).toEqual([
      { actor_label: 'system', actor_user_id: null, outcome: 'success' },
    ]);
  });
});

describe('seedDemoData with real password hashing', () => {
  it('stores hashes the demo passwords verify against', async () => {
    const db = await seeded({ hashPassword });
    try {
      const chef = demoLogins.find((login) => login.username === 'chef');
      const { hash } = await one<{ hash: string }>(
        db,
        sql`select password_hash as hash from users where username = 'chef'`,
      );
      expect(await verifyPassword(chef?.password ?? '', hash)).toBe(true);
      expect(await verifyPassword('wrong', hash)).toBe(false);
    } finally {
      await db.close();
    }
  });
});
