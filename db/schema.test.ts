import { getTableName, is, type SQL, sql } from 'drizzle-orm';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../test-support/test-database';
import type { AppDatabase } from './connection';
import { causeChain, forEngine, isCheckViolation, isTriggerRefusal, queryRows, runStatement } from './engine';
import * as schema from './schema';

type Row = Record<string, string | number | null>;

async function insert(db: AppDatabase, table: string, row: Row): Promise<void> {
  const values = Object.values(row).map((value) => sql`${value}`);
  await runStatement(
    db,
    sql`insert into ${sql.raw(table)} (${sql.raw(Object.keys(row).join(', '))}) values (${sql.join(values, sql`, `)})`,
  );
}

interface Refusal {
  error: unknown;
  /** What the driver said, on either engine. */
  message: string;
  code: unknown;
}

/** The error a statement was refused with; fails the test when it was not refused. */
async function refusalOf(statement: Promise<void>): Promise<Refusal> {
  try {
    await statement;
  } catch (error) {
    const chain = causeChain(error) as Array<{ message?: string; code?: unknown }>;
    return {
      error,
      message: chain.map((link) => link.message ?? '').join('\n'),
      code: chain.map((link) => link.code).find((code) => code !== undefined),
    };
  }
  throw new Error('The statement was not refused.');
}

const foreignKeyCodes = ['SQLITE_CONSTRAINT_FOREIGNKEY', '23503'];

const validFrom = Date.UTC(2025, 0, 1);
const validTo = Date.UTC(2030, 0, 1);

const validRows = {
  persons: {
    id: 'person-2',
    hsa_id: 'TSTNMT2321000156-2002',
    personal_identity_number: '198403129821',
    given_name: 'Olof',
    surname: 'Lindqvist',
  },
  users: { id: 'user-2', username: 'olof', display_name: 'Olof Lindqvist' },
  staff_role_assignments: { id: 'role-1', user_id: 'user-1', role: 'manager', unit_id: 'unit-1' },
  cards: {
    id: 'card-2',
    serial: '9752316495727304824',
    kind: 'ordinary',
    product_code: 'SITHS-ORD-3',
    trust_level: 3,
    state: 'active',
    holder_person_id: 'person-1',
    unit_id: 'unit-1',
    valid_from: validFrom,
    valid_to: validTo,
  },
  eids: {
    id: 'eid-1',
    person_id: 'person-1',
    card_id: 'card-1',
    mobile_device_id: null,
    purpose: 'authentication',
    issuing_ca: 'SITHS e-id Person HSA-id 3 CA v1',
    certificate_serial: '1A2B3C',
    trust_level: 3,
    state: 'active',
    valid_from: validFrom,
    valid_to: validTo,
    revoked_at: null,
    revocation_reason: null,
  },
  orders: {
    id: 'order-1',
    type: 'reserve_card_loa3',
    state: 'awaiting_second_approval',
    person_id: 'person-1',
    unit_id: 'unit-1',
    placed_by_user_id: 'user-1',
  },
} satisfies Record<string, Row>;

type CheckedTable = keyof typeof validRows;

/** One unit, person, user, card and mobile device that the rows above refer to. */
async function openWithBaseRows(): Promise<AppDatabase> {
  const db = await openTestDatabase();
  await insert(db, 'units', {
    id: 'unit-1',
    hsa_id: 'SE2321000131-E000000000001',
    name: 'Västra Götalandsregionen',
    organisation: 'Västra Götalandsregionen',
  });
  await insert(db, 'persons', {
    id: 'person-1',
    hsa_id: 'TSTNMT2321000156-2001',
    personal_identity_number: '197109059936',
    given_name: 'Carina',
    surname: 'Svensson Andersson',
  });
  await insert(db, 'users', { id: 'user-1', username: 'chef', display_name: 'Anna Bergström' });
  await insert(db, 'cards', { ...validRows.cards, id: 'card-1', serial: '9752269885719985027' });
  await insert(db, 'mobile_devices', {
    id: 'device-1',
    person_id: 'person-1',
    name: 'iPhone 15',
    public_key_spki: 'spki',
    trust_level: 3,
    valid_to: validTo,
  });
  return db;
}

describe('migrations', () => {
  let db: AppDatabase;
  beforeEach(async () => {
    db = await openTestDatabase();
  });
  afterEach(async () => {
    await db.close();
  });

  it('create every table of the schema in an empty database', async () => {
    const tableNames: SQL = forEngine(db, {
      sqlite: sql`select name from sqlite_master where type = 'table'`,
      postgres: sql`select table_name as name from information_schema.tables where table_schema = current_schema()`,
    });
    const created = (await queryRows<{ name: string }>(db, tableNames)).map((row) => row.name);
    const declared = Object.values(schema)
      .filter((value) => is(value, SQLiteTable))
      .map((table) => getTableName(table as SQLiteTable));
    expect(declared.length).toBeGreaterThan(15);
    expect(created).toEqual(expect.arrayContaining(declared));
  });

  it('turn foreign keys on', async () => {
    const refusal = await refusalOf(
      insert(db, 'units', {
        id: 'unit-1',
        hsa_id: 'SE2321000131-E000000000001',
        name: 'Västra Götalandsregionen',
        organisation: 'Västra Götalandsregionen',
        parent_id: 'no-such-unit',
      }),
    );
    expect(foreignKeyCodes).toContain(refusal.code);
  });
});

describe('check constraints', () => {
  let db: AppDatabase;
  beforeEach(async () => {
    db = await openWithBaseRows();
  });
  afterEach(async () => {
    await db.close();
  });

  it.each(Object.keys(validRows) as CheckedTable[])(
    'accept the valid %s row the refusals start from',
    async (table) => {
      await expect(insert(db, table, validRows[table])).resolves.toBeUndefined();
    },
  );

  const refusals: [string, CheckedTable, Row, string][] = [
    ['a card state outside the enum', 'cards', { state: 'lost' }, 'cards_state'],
    ['a card kind outside the enum', 'cards', { kind: 'temporary' }, 'cards_kind'],
    ['an 18-digit card serial', 'cards', { serial: '975231649572730482' }, 'cards_serial_format'],
    ['a 20-digit card serial', 'cards', { serial: '97523164957273048245' }, 'cards_serial_format'],
    ['a card serial with a letter', 'cards', { serial: '975231649572730482X' }, 'cards_serial_format'],
    ['trust level 4 on a card', 'cards', { trust_level: 4 }, 'cards_trust_level'],
    ['a card valid to before valid from', 'cards', { valid_to: validFrom - 1 }, 'cards_validity'],
    [
      'an ordinary card in stock',
      'cards',
      { state: 'in_stock', holder_person_id: null },
      'cards_stock_only_reserve',
    ],
    ['an active card without holder', 'cards', { holder_person_id: null }, 'cards_holder_when_issued'],
    [
      'an assigned reserve card without holder',
      'cards',
      { kind: 'reserve', state: 'assigned', holder_person_id: null },
      'cards_holder_when_issued',
    ],
    [
      'an eid on both a card and a mobile device',
      'eids',
      { mobile_device_id: 'device-1' },
      'eids_one_holder',
    ],
    ['an eid on neither card nor mobile device', 'eids', { card_id: null }, 'eids_one_holder'],
    [
      'a revoked eid without reason',
      'eids',
      { state: 'revoked', revoked_at: validFrom },
      'eids_revocation_recorded',
    ],
    [
      'a revoked eid without revocation time',
      'eids',
      { state: 'revoked', revocation_reason: 'Kortet har tappats bort' },
      'eids_revocation_recorded',
    ],
    [
      'an active eid with a revocation recorded',
      'eids',
      { revoked_at: validFrom, revocation_reason: 'Kortet har tappats bort' },
      'eids_revocation_recorded',
    ],
    ['trust level 1 on an eid', 'eids', { trust_level: 1 }, 'eids_trust_level'],
    ['an order state outside the enum', 'orders', { state: 'approved' }, 'orders_state'],
    [
      'awaiting_second_approval on a loa2 reserve card order',
      'orders',
      { type: 'reserve_card_loa2' },
      'orders_second_approval_only_loa3',
    ],
    [
      'awaiting_second_approval on a mobile order',
      'orders',
      { type: 'mobile' },
      'orders_second_approval_only_loa3',
    ],
    [
      'a manager role without unit',
      'staff_role_assignments',
      { unit_id: null },
      'staff_role_assignments_unit_scope',
    ],
    [
      'a contact person role without unit',
      'staff_role_assignments',
      { role: 'contact_person', unit_id: null },
      'staff_role_assignments_unit_scope',
    ],
    ['an unknown staff role', 'staff_role_assignments', { role: 'superuser' }, 'staff_role_assignments_role'],
    [
      'a 10-digit personnummer',
      'persons',
      { personal_identity_number: '8403129821' },
      'persons_personal_identity_number_format',
    ],
    [
      'a personnummer with a hyphen',
      'persons',
      { personal_identity_number: '19840312-9821' },
      'persons_personal_identity_number_format',
    ],
    [
      'a personnummer with a letter',
      'persons',
      { personal_identity_number: '19840312982A' },
      'persons_personal_identity_number_format',
    ],
    ['an uppercase username', 'users', { username: 'Olof' }, 'users_username_lowercase'],
  ];

  it.each(refusals)('refuse %s', async (_behaviour, table, override, constraint) => {
    const refusal = await refusalOf(insert(db, table, { ...validRows[table], ...override }));
    expect(isCheckViolation(refusal.error)).toBe(true);
    expect(refusal.message).toMatch(new RegExp(`\\b${constraint}\\b`));
  });

  it('accept a global role without unit', async () => {
    await expect(
      insert(db, 'staff_role_assignments', {
        ...validRows.staff_role_assignments,
        role: 'id_admin',
        unit_id: null,
      }),
    ).resolves.toBeUndefined();
  });

  it('accept a person without personnummer', async () => {
    await expect(
      insert(db, 'persons', { ...validRows.persons, personal_identity_number: null }),
    ).resolves.toBeUndefined();
  });
});

describe('foreign keys', () => {
  let db: AppDatabase;
  beforeEach(async () => {
    db = await openWithBaseRows();
  });
  afterEach(async () => {
    await db.close();
  });

  it.each([
    ['a card in an unknown unit', 'cards', { unit_id: 'no-such-unit' }],
    ['a card held by an unknown person', 'cards', { holder_person_id: 'no-such-person' }],
    ['an eid on an unknown card', 'eids', { card_id: 'no-such-card' }],
    ['an order placed by an unknown user', 'orders', { placed_by_user_id: 'no-such-user' }],
    ['a role of an unknown user', 'staff_role_assignments', { user_id: 'no-such-user' }],
  ] as [string, CheckedTable, Row][])('refuse %s', async (_behaviour, table, override) => {
    const refusal = await refusalOf(insert(db, table, { ...validRows[table], ...override }));
    expect(foreignKeyCodes).toContain(refusal.code);
  });

  it('refuse deleting a unit that cards belong to', async () => {
    const refusal = await refusalOf(runStatement(db, sql`delete from units where id = 'unit-1'`));
    expect(foreignKeyCodes).toContain(refusal.code);
  });
});

describe('append-only history', () => {
  let db: AppDatabase;
  beforeEach(async () => {
    db = await openWithBaseRows();
    await insert(db, 'audit_events', {
      actor_user_id: 'user-1',
      actor_label: 'chef',
      action: 'order_placed',
      object_type: 'order',
      outcome: 'success',
    });
    await insert(db, 'orders', validRows.orders);
    await insert(db, 'order_events', { order_id: 'order-1', actor_user_id: 'user-1', to_state: 'placed' });
  });
  afterEach(async () => {
    await db.close();
  });

  const expectAppendOnly = async (statement: SQL, table: string) => {
    const refusal = await refusalOf(runStatement(db, statement));
    expect(isTriggerRefusal(refusal.error)).toBe(true);
    expect(refusal.message).toContain(`${table} is append-only`);
  };

  it('refuses updating an audit event', async () => {
    await expectAppendOnly(sql`update audit_events set outcome = 'failed'`, 'audit_events');
  });

  it('refuses deleting an audit event', async () => {
    await expectAppendOnly(sql`delete from audit_events`, 'audit_events');
  });

  it('refuses updating an order event', async () => {
    await expectAppendOnly(sql`update order_events set note = 'changed'`, 'order_events');
  });

  it('keeps appending audit events', async () => {
    await insert(db, 'audit_events', {
      actor_label: 'system',
      action: 'x',
      object_type: 'y',
      outcome: 'success',
    });
    expect(await queryRows(db, sql`select count(*) as n from audit_events`)).toEqual([{ n: 2 }]);
  });
});
