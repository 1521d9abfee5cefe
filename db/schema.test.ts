import { getTableName, is } from 'drizzle-orm';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { type AppDatabase, openMigratedDatabase } from './connection';
import * as schema from './schema';

type Row = Record<string, string | number | null>;

function insert(db: AppDatabase, table: string, row: Row): void {
  const columns = Object.keys(row);
  db.$client
    .prepare(
      `insert into ${table} (${columns.join(', ')}) values (${columns.map((c) => `@${c}`).join(', ')})`,
    )
    .run(row);
}

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
function openWithBaseRows(): AppDatabase {
  const db = openMigratedDatabase(':memory:');
  insert(db, 'units', {
    id: 'unit-1',
    hsa_id: 'SE2321000131-E000000000001',
    name: 'Västra Götalandsregionen',
    organisation: 'Västra Götalandsregionen',
  });
  insert(db, 'persons', {
    id: 'person-1',
    hsa_id: 'TSTNMT2321000156-2001',
    personal_identity_number: '197109059936',
    given_name: 'Carina',
    surname: 'Svensson Andersson',
  });
  insert(db, 'users', { id: 'user-1', username: 'chef', display_name: 'Anna Bergström' });
  insert(db, 'cards', { ...validRows.cards, id: 'card-1', serial: '9752269885719985027' });
  insert(db, 'mobile_devices', {
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
  it('create every table of the schema in an empty database', () => {
    const db = openMigratedDatabase(':memory:');
    const created = db.$client
      .prepare("select name from sqlite_master where type = 'table'")
      .all()
      .map((row) => (row as { name: string }).name);
    const declared = Object.values(schema)
      .filter((value) => is(value, SQLiteTable))
      .map((table) => getTableName(table as SQLiteTable));
    expect(declared.length).toBeGreaterThan(15);
    expect(created).toEqual(expect.arrayContaining(declared));
  });

  it('turn foreign keys on', () => {
    const db = openMigratedDatabase(':memory:');
    expect(db.$client.pragma('foreign_keys', { simple: true })).toBe(1);
  });
});

describe('check constraints', () => {
  let db: AppDatabase;
  beforeEach(() => {
    db = openWithBaseRows();
  });

  it.each(Object.keys(validRows) as CheckedTable[])(
    'accept the valid %s row the refusals start from',
    (table) => {
      expect(() => insert(db, table, validRows[table])).not.toThrow();
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

  it.each(refusals)('refuse %s', (_behaviour, table, override, constraint) => {
    expect(() => insert(db, table, { ...validRows[table], ...override })).toThrow(
      `CHECK constraint failed: ${constraint}`,
    );
  });

  it('accept a global role without unit', () => {
    expect(() =>
      insert(db, 'staff_role_assignments', {
        ...validRows.staff_role_assignments,
        role: 'id_admin',
        unit_id: null,
      }),
    ).not.toThrow();
  });

  it('accept a person without personnummer', () => {
    expect(() =>
      insert(db, 'persons', { ...validRows.persons, personal_identity_number: null }),
    ).not.toThrow();
  });
});

describe('foreign keys', () => {
  let db: AppDatabase;
  beforeEach(() => {
    db = openWithBaseRows();
  });

  it.each([
    ['a card in an unknown unit', 'cards', { unit_id: 'no-such-unit' }],
    ['a card held by an unknown person', 'cards', { holder_person_id: 'no-such-person' }],
    ['an eid on an unknown card', 'eids', { card_id: 'no-such-card' }],
    ['an order placed by an unknown user', 'orders', { placed_by_user_id: 'no-such-user' }],
    ['a role of an unknown user', 'staff_role_assignments', { user_id: 'no-such-user' }],
  ] as [string, CheckedTable, Row][])('refuse %s', (_behaviour, table, override) => {
    expect(() => insert(db, table, { ...validRows[table], ...override })).toThrow(
      'FOREIGN KEY constraint failed',
    );
  });

  it('refuse deleting a unit that cards belong to', () => {
    expect(() => db.$client.prepare("delete from units where id = 'unit-1'").run()).toThrow(
      'FOREIGN KEY constraint failed',
    );
  });
});

describe('append-only history', () => {
  let db: AppDatabase;
  beforeEach(() => {
    db = openWithBaseRows();
    insert(db, 'audit_events', {
      actor_user_id: 'user-1',
      actor_label: 'chef',
      action: 'order_placed',
      object_type: 'order',
      outcome: 'success',
    });
    insert(db, 'orders', validRows.orders);
    insert(db, 'order_events', { order_id: 'order-1', actor_user_id: 'user-1', to_state: 'placed' });
  });

  it('refuses updating an audit event', () => {
    expect(() => db.$client.prepare("update audit_events set outcome = 'failed'").run()).toThrow(
      'audit_events is append-only',
    );
  });

  it('refuses deleting an audit event', () => {
    expect(() => db.$client.prepare('delete from audit_events').run()).toThrow('audit_events is append-only');
  });

  it('refuses updating an order event', () => {
    expect(() => db.$client.prepare("update order_events set note = 'changed'").run()).toThrow(
      'order_events is append-only',
    );
  });

  it('keeps appending audit events', () => {
    insert(db, 'audit_events', { actor_label: 'system', action: 'x', object_type: 'y', outcome: 'success' });
    expect(db.$client.prepare('select count(*) as n from audit_events').get()).toEqual({ n: 2 });
  });
});
