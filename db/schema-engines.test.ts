/**
 * The schema is described twice (db/schema.ts for SQLite, db/postgres/schema.ts for PostgreSQL) because
 * drizzle-kit generates migrations per dialect. These tests migrate a database of each engine and prove
 * the two agree: tables, columns, keys, indexes, checks and append-only triggers, and that the same
 * statements are refused for the same reasons.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import {
  generateDrizzleJson,
  generateMigration,
  generateSQLiteDrizzleJson,
  generateSQLiteMigration,
} from 'drizzle-kit/api';
import { is } from 'drizzle-orm';
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3';
import { migrate as migrateSqlite } from 'drizzle-orm/better-sqlite3/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migratePostgres } from 'drizzle-orm/node-postgres/migrator';
import { getTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgresServer } from '../test-support/postgres-server';
import * as postgresSchema from './postgres/schema';
import * as sqliteSchema from './schema';

const sqliteMigrations = fileURLToPath(new URL('./migrations', import.meta.url));
const postgresMigrations = fileURLToPath(new URL('./postgres/migrations', import.meta.url));

/** Storage classes both engines share; anything else is named as it is, so it shows up in the diff. */
type TypeClass = 'text' | 'integer' | 'real' | 'blob' | 'numeric' | string;

interface ColumnShape {
  type: TypeClass;
  notNull: boolean;
  /** null, 'generated' (an id the engine hands out), '<now ms>' or the literal. */
  default: string | null;
}

interface IndexShape {
  columns: string[];
  unique: boolean;
  partial: boolean;
}

interface ForeignKeyShape {
  columns: string[];
  target: string;
  targetColumns: string[];
  onDelete: string;
  onUpdate: string;
}

interface TableShape {
  columns: Record<string, ColumnShape>;
  primaryKey: string[];
  indexes: Record<string, IndexShape>;
  foreignKeys: ForeignKeyShape[];
  checks: string[];
  /** What the table's triggers refuse: 'update', 'delete' (every way of removing rows). */
  appendOnly: string[];
}

type SchemaShape = Record<string, TableShape>;

/** One line per fact, sorted, so a difference reads as a short line diff. */
function describeShape(shape: SchemaShape): string[] {
  const lines: string[] = [];
  for (const [table, t] of Object.entries(shape)) {
    lines.push(`${table}`);
    for (const [name, c] of Object.entries(t.columns)) {
      const def = c.default === null ? '' : ` default ${c.default}`;
      lines.push(`${table}.${name}: ${c.type}${c.notNull ? ' not null' : ''}${def}`);
    }
    lines.push(`${table} primary key (${t.primaryKey.join(', ')})`);
    for (const [name, i] of Object.entries(t.indexes)) {
      const kind = `${i.unique ? 'unique ' : ''}${i.partial ? 'partial ' : ''}index`;
      lines.push(`${table} ${kind} ${name} (${i.columns.join(', ')})`);
    }
    for (const f of t.foreignKeys) {
      lines.push(
        `${table} foreign key (${f.columns.join(', ')}) -> ${f.target} (${f.targetColumns.join(', ')}) ` +
          `on delete ${f.onDelete} on update ${f.onUpdate}`,
      );
    }
    for (const name of t.checks) lines.push(`${table} check ${name}`);
    for (const event of t.appendOnly) lines.push(`${table} refuses ${event}`);
  }
  return lines.sort();
}

/** Clock defaults are engine SQL; literals lose PostgreSQL's casts and outer parentheses. */
function normaliseDefault(expression: string | null): string | null {
  if (expression === null) return null;
  if (/unixepoch\('subsec'\)\s*\*\s*1000/i.test(expression)) return '<now ms>';
  if (
    /extract\(epoch from (statement_timestamp|clock_timestamp|now|transaction_timestamp)\(\)/i.test(
      expression,
    )
  )
    return '<now ms>';
  let value = expression.trim();
  value = value.replace(/(::[a-z ]+)+$/i, '');
  while (/^\(.*\)$/.test(value)) value = value.slice(1, -1).trim();
  return value;
}

function sqliteTypeClass(declared: string): TypeClass {
  // SQLite's own affinity rules (https://sqlite.org/datatype3.html, 3.1).
  const type = declared.toUpperCase();
  if (type.includes('INT')) return 'integer';
  if (/CHAR|CLOB|TEXT/.test(type)) return 'text';
  if (type.includes('BLOB') || type === '') return 'blob';
  if (/REAL|FLOA|DOUB/.test(type)) return 'real';
  return 'numeric';
}

function postgresTypeClass(type: string): TypeClass {
  if (/^(text|character varying|character|varchar|char)\b/.test(type)) return 'text';
  if (/^(smallint|integer|bigint)$/.test(type)) return 'integer';
  if (/^(real|double precision)$/.test(type)) return 'real';
  if (type === 'bytea') return 'blob';
  if (type.startsWith('numeric')) return 'numeric';
  return type;
}

function sqliteShape(db: Database.Database): SchemaShape {
  const shape: SchemaShape = {};
  const tables = db
    .prepare(
      `select name, sql from sqlite_master where type = 'table' and name not like 'sqlite_%' and name <> '__drizzle_migrations' order by name`,
    )
    .all() as { name: string; sql: string }[];
  for (const { name: table, sql } of tables) {
    const columns = db.prepare(`select * from pragma_table_xinfo(?)`).all(table) as {
      name: string;
      type: string;
      notnull: number;
      dflt_value: string | null;
      pk: number;
    }[];
    const primaryKey = columns
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    const rowid = primaryKey.length === 1 ? columns.find((c) => c.name === primaryKey[0]) : undefined;
    const shapeColumns: Record<string, ColumnShape> = {};
    for (const c of columns) {
      const isRowid = c === rowid && c.type.toUpperCase() === 'INTEGER';
      shapeColumns[c.name] = {
        type: sqliteTypeClass(c.type),
        notNull: c.notnull === 1 || isRowid,
        default: isRowid ? 'generated' : normaliseDefault(c.dflt_value),
      };
    }

    const indexes: Record<string, IndexShape> = {};
    const indexList = db.prepare(`select * from pragma_index_list(?)`).all(table) as {
      name: string;
      unique: number;
      origin: string;
      partial: number;
    }[];
    for (const index of indexList.filter((i) => i.origin !== 'pk')) {
      const keys = (
        db.prepare(`select * from pragma_index_xinfo(?)`).all(index.name) as {
          seqno: number;
          name: string | null;
          desc: number;
          key: number;
        }[]
      )
        .filter((k) => k.key === 1)
        .sort((a, b) => a.seqno - b.seqno);
      indexes[index.name] = {
        columns: keys.map((k) => `${k.name ?? '<expression>'}${k.desc ? ' desc' : ''}`),
        unique: index.unique === 1,
        partial: index.partial === 1,
      };
    }

    const foreignKeyRows = db.prepare(`select * from pragma_foreign_key_list(?)`).all(table) as {
      id: number;
      seq: number;
      table: string;
      from: string;
      to: string | null;
      on_update: string;
      on_delete: string;
    }[];
    const foreignKeys = new Map<number, ForeignKeyShape>();
    for (const row of foreignKeyRows.sort((a, b) => a.id - b.id || a.seq - b.seq)) {
      const key = foreignKeys.get(row.id) ?? {
        columns: [],
        target: row.table,
        targetColumns: [],
        onDelete: row.on_delete.toLowerCase(),
        onUpdate: row.on_update.toLowerCase(),
      };
      key.columns.push(row.from);
      // A reference without columns means the target's primary key.
      key.targetColumns.push(row.to ?? sqlitePrimaryKey(db, row.table)[row.seq] ?? '?');
      foreignKeys.set(row.id, key);
    }

    const checks = [...sql.matchAll(/constraint\s+["`[]?(\w+)["`\]]?\s+check\b/gi)].map((m) => m[1] ?? '');

    const triggers = db
      .prepare(`select sql from sqlite_master where type = 'trigger' and tbl_name = ?`)
      .all(table) as { sql: string }[];
    const refused = new Set<string>();
    for (const trigger of triggers) {
      const event = /\bbefore\s+(insert|update|delete)\b/i.exec(trigger.sql)?.[1]?.toLowerCase();
      if (event && /raise\s*\(\s*abort/i.test(trigger.sql)) refused.add(event);
    }

    shape[table] = {
      columns: shapeColumns,
      primaryKey,
      indexes,
      foreignKeys: sortForeignKeys([...foreignKeys.values()]),
      checks: checks.sort(),
      appendOnly: [...refused].sort(),
    };
  }
  return shape;
}

function sqlitePrimaryKey(db: Database.Database, table: string): string[] {
  return (
    db.prepare(`select name, pk from pragma_table_info(?)`).all(table) as { name: string; pk: number }[]
  )
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);
}

const postgresActions: Record<string, string> = {
  a: 'no action',
  r: 'restrict',
  c: 'cascade',
  n: 'set null',
  d: 'set default',
};

async function postgresShape(client: pg.Client): Promise<SchemaShape> {
  const shape: SchemaShape = {};
  const { rows: columns } = await client.query<{
    table: string;
    column: string;
    type: string;
    not_null: boolean;
    default: string | null;
    identity: string;
  }>(`
    select c.relname as table, a.attname as column, format_type(a.atttypid, a.atttypmod) as type,
           a.attnotnull as not_null, pg_get_expr(d.adbin, d.adrelid) as default, a.attidentity as identity
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where n.nspname = 'public' and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
    order by c.relname, a.attnum`);
  const table = (name: string): TableShape => {
    shape[name] ??= { columns: {}, primaryKey: [], indexes: {}, foreignKeys: [], checks: [], appendOnly: [] };
    return shape[name];
  };
  for (const c of columns) {
    const isSerial = c.identity !== '' || /^nextval\(/.test(c.default ?? '');
    table(c.table).columns[c.column] = {
      type: postgresTypeClass(c.type),
      notNull: c.not_null,
      default: isSerial ? 'generated' : normaliseDefault(c.default),
    };
  }

  const { rows: constraints } = await client.query<{
    table: string;
    name: string;
    type: string;
    columns: string[];
    target: string | null;
    target_columns: string[];
    on_delete: string;
    on_update: string;
  }>(`
    select c.relname as table, k.conname as name, k.contype as type,
           array(select a.attname from unnest(k.conkey) with ordinality u(attnum, i)
                 join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum order by u.i)::text[] as columns,
           f.relname as target,
           array(select a.attname from unnest(k.confkey) with ordinality u(attnum, i)
                 join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.attnum order by u.i)::text[]
             as target_columns,
           k.confdeltype as on_delete, k.confupdtype as on_update
    from pg_constraint k
    join pg_class c on c.oid = k.conrelid
    join pg_namespace n on n.oid = c.relnamespace
    left join pg_class f on f.oid = k.confrelid
    where n.nspname = 'public'`);
  for (const k of constraints) {
    const t = table(k.table);
    if (k.type === 'p') t.primaryKey = k.columns;
    else if (k.type === 'c') t.checks.push(k.name);
    else if (k.type === 'f') {
      t.foreignKeys.push({
        columns: k.columns,
        target: k.target ?? '?',
        targetColumns: k.target_columns,
        onDelete: postgresActions[k.on_delete] ?? k.on_delete,
        onUpdate: postgresActions[k.on_update] ?? k.on_update,
      });
    }
  }

  const { rows: indexes } = await client.query<{
    table: string;
    name: string;
    unique: boolean;
    partial: boolean;
    columns: string[];
  }>(`
    select t.relname as table, i.relname as name, x.indisunique as unique, x.indpred is not null as partial,
           array(select pg_get_indexdef(x.indexrelid, k + 1, true)
                        || case when k >= x.indnkeyatts then ' include'
                                when x.indoption[k] & 1 = 1 then ' desc' else '' end
                 from generate_series(0, x.indnatts - 1) k order by k)::text[] as columns
    from pg_index x
    join pg_class i on i.oid = x.indexrelid
    join pg_class t on t.oid = x.indrelid
    join pg_namespace n on n.oid = t.relnamespace
    where n.nspname = 'public' and not x.indisprimary`);
  for (const i of indexes) {
    table(i.table).indexes[i.name] = { columns: i.columns, unique: i.unique, partial: i.partial };
  }

  const { rows: triggers } = await client.query<{ table: string; type: number; source: string }>(`
    select c.relname as table, t.tgtype as type, p.prosrc as source
    from pg_trigger t
    join pg_class c on c.oid = t.tgrelid
    join pg_namespace n on n.oid = c.relnamespace
    join pg_proc p on p.oid = t.tgfoid
    where n.nspname = 'public' and not t.tgisinternal`);
  const refused = new Map<string, Set<string>>();
  for (const trigger of triggers) {
    const before = (trigger.type & 2) !== 0;
    if (!before || !/raise\s+exception/i.test(trigger.source)) continue;
    const events = refused.get(trigger.table) ?? new Set<string>();
    if (trigger.type & 4) events.add('insert');
    if (trigger.type & 8) events.add('delete row');
    if (trigger.type & 16) events.add('update');
    if (trigger.type & 32) events.add('truncate');
    refused.set(trigger.table, events);
  }
  for (const [name, events] of refused) {
    // Rows are only kept when both DELETE and TRUNCATE are refused (TRUNCATE skips row triggers).
    const appendOnly = [...events].filter((e) => e !== 'delete row' && e !== 'truncate');
    if (events.has('delete row') && events.has('truncate')) appendOnly.push('delete');
    table(name).appendOnly = appendOnly.sort();
  }

  for (const t of Object.values(shape)) {
    t.checks.sort();
    t.foreignKeys = sortForeignKeys(t.foreignKeys);
  }
  return Object.fromEntries(Object.entries(shape).sort(([a], [b]) => a.localeCompare(b)));
}

function sortForeignKeys(keys: ForeignKeyShape[]): ForeignKeyShape[] {
  const key = (f: ForeignKeyShape) => `${f.columns.join(',')}>${f.target}`;
  return keys.sort((a, b) => key(a).localeCompare(key(b)));
}

/** What PostgreSQL must store each column of db/schema.ts as, for the SQLite table objects to run on it. */
/**
 * SQLite's integers are 64-bit. Where 32 bits could run out, PostgreSQL stores bigint: the generated ids of the
 * append-only and queue tables, and lucia's session expiry in seconds (2038).
 */
const wideIntegers = new Set([
  'audit_events.id',
  'order_events.id',
  'job_steps.id',
  'mail_outbox.id',
  'sessions.expires_at',
  'signed_decisions.audit_event_id',
  'reminder_deliveries.mail_id',
]);

function expectedPostgresType(columnType: string, mode: string | undefined): string {
  switch (columnType) {
    case 'SQLiteText':
    case 'SQLiteTextJson':
      return 'text';
    case 'SQLiteInteger':
    case 'SQLiteBoolean':
      return 'integer';
    // Milliseconds since 1970 outgrow a 32-bit integer; seconds do in 2038.
    case 'SQLiteTimestamp':
      return mode === 'timestamp_ms' || mode === 'timestamp' ? 'bigint' : `? ${mode}`;
    case 'SQLiteReal':
      return 'double precision';
    case 'SQLiteBlobJson':
    case 'SQLiteBlobBuffer':
      return 'bytea';
    default:
      return `? no PostgreSQL mirror for ${columnType}`;
  }
}

type Outcome = string;

/** The same statement on both engines is accepted or refused for the same reason. */
function sqliteOutcome(db: Database.Database, statement: string): Outcome {
  try {
    db.prepare(statement).run();
    return 'ok';
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    if (code === 'SQLITE_CONSTRAINT_CHECK')
      return `check ${message.replace('CHECK constraint failed: ', '')}`;
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'unique';
    if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'foreign key';
    if (code === 'SQLITE_CONSTRAINT_NOTNULL') return 'not null';
    if (code === 'SQLITE_CONSTRAINT_TRIGGER') return `refused: ${message}`;
    throw error;
  }
}

async function postgresOutcome(client: pg.Client, statement: string): Promise<Outcome> {
  try {
    await client.query(statement);
    return 'ok';
  } catch (error) {
    if (!(error instanceof pg.DatabaseError)) throw error;
    if (error.code === '23514') return `check ${error.constraint}`;
    if (error.code === '23505') return 'unique';
    if (error.code === '23503') return 'foreign key';
    if (error.code === '23502') return 'not null';
    if (error.code === 'P0001') return `refused: ${error.message}`;
    throw error;
  }
}

const validFrom = Date.UTC(2025, 0, 1);
const validTo = Date.UTC(2030, 0, 1);

/** Run in order on both engines; each line is the statement and the outcome both must give. */
const probes: [statement: string, outcome: Outcome][] = [
  [`insert into units (id, hsa_id, name, organisation) values ('u1', 'SE-U1', 'Unit', 'Region')`, 'ok'],
  [
    `insert into persons (id, hsa_id, personal_identity_number, given_name, surname)
     values ('p1', 'SE-P1', '198403129821', 'Olof', 'Lindqvist')`,
    'ok',
  ],
  [
    `insert into persons (id, hsa_id, personal_identity_number, given_name, surname)
     values ('p2', 'SE-P2', '19840312982X', 'Anna', 'Berg')`,
    'check persons_personal_identity_number_format',
  ],
  [
    `insert into persons (id, hsa_id, personal_identity_number, given_name, surname)
     values ('p2', 'SE-P2', '1984031298', 'Anna', 'Berg')`,
    'check persons_personal_identity_number_format',
  ],
  [`insert into persons (id, hsa_id, given_name, surname) values ('p2', 'SE-P1', 'Anna', 'Berg')`, 'unique'],
  [`insert into person_units (person_id, unit_id) values ('p1', 'no-such-unit')`, 'foreign key'],
  [
    `insert into users (id, username, display_name) values ('user1', 'Olof', 'Olof')`,
    'check users_username_lowercase',
  ],
  [`insert into users (id, username, display_name) values ('user1', 'olof', 'Olof')`, 'ok'],
  [
    `insert into staff_role_assignments (id, user_id, role, unit_id) values ('r1', 'user1', 'support', null)`,
    'ok',
  ],
  [
    `insert into staff_role_assignments (id, user_id, role, unit_id) values ('r2', 'user1', 'support', null)`,
    'unique',
  ],
  [
    `insert into staff_role_assignments (id, user_id, role, unit_id) values ('r3', 'user1', 'manager', null)`,
    'check staff_role_assignments_unit_scope',
  ],
  [
    `insert into cards (id, serial, kind, product_code, trust_level, state, holder_person_id, unit_id, valid_from, valid_to)
     values ('c1', '975231649572730482X', 'ordinary', 'SITHS', 3, 'active', 'p1', 'u1', ${validFrom}, ${validTo})`,
    'check cards_serial_format',
  ],
  [
    `insert into cards (id, serial, kind, product_code, trust_level, state, holder_person_id, unit_id, valid_from, valid_to)
     values ('c1', '9752316495727304824', 'ordinary', 'SITHS', 3, 'active', 'p1', 'u1', ${validFrom}, ${validTo})`,
    'ok',
  ],
  [
    `insert into eids (id, person_id, purpose, issuing_ca, certificate_serial, trust_level, valid_from, valid_to)
     values ('e1', 'p1', 'authentication', 'CA', '01', 3, ${validFrom}, ${validTo})`,
    'check eids_one_holder',
  ],
  [`insert into jobs (id, kind, state) values ('j1', 'unlock', 'succeeded')`, 'check jobs_finished'],
  [
    `insert into orders (id, type, person_id, unit_id, placed_by_user_id) values ('o1', 'mobile', 'p1', 'u1', 'user1')`,
    'ok',
  ],
  [`insert into order_events (order_id, to_state) values ('o1', 'placed')`, 'ok'],
  [`update order_events set note = 'changed'`, 'refused: order_events is append-only'],
  [`delete from order_events`, 'refused: order_events is append-only'],
  [
    `insert into audit_events (actor_label, action, object_type, outcome) values ('system', 'probe', 'unit', 'success')`,
    'ok',
  ],
  [
    `insert into audit_events (actor_label, action, object_type, outcome) values ('system', 'probe', 'unit', 'maybe')`,
    'check audit_events_outcome',
  ],
  [`update audit_events set action = 'changed'`, 'refused: audit_events is append-only'],
  [`delete from audit_events`, 'refused: audit_events is append-only'],
  [`delete from persons where id = 'p1'`, 'foreign key'],
];

// Both engines in one file with its own cluster: the run of the PostgreSQL project would only repeat it.
describe.skipIf(process.env.TEST_DATABASE_ENGINE === 'postgres')('the SQLite and PostgreSQL schemas', () => {
  let server: PostgresServer;
  let client: pg.Client;
  let sqlite: Database.Database;

  beforeAll(async () => {
    server = await startPostgresServer();
    const url = await server.createDatabase('schema_engines');
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      await migratePostgres(drizzlePostgres(pool), { migrationsFolder: postgresMigrations });
    } finally {
      await pool.end();
    }
    client = new pg.Client({ connectionString: url });
    await client.connect();

    sqlite = new Database(':memory:');
    sqlite.pragma('foreign_keys = ON');
    migrateSqlite(drizzleSqlite(sqlite), { migrationsFolder: sqliteMigrations });
  });

  afterAll(async () => {
    await client?.end();
    sqlite?.close();
    await server?.stop();
  });

  it('have the same tables, columns, keys, indexes, checks and append-only triggers', async () => {
    const postgres = describeShape(await postgresShape(client));
    const embedded = describeShape(sqliteShape(sqlite));
    expect(embedded.length).toBeGreaterThan(100);
    expect(postgres).toEqual(embedded);
  });

  it('store every column of db/schema.ts in the type its SQLite table object reads back on PostgreSQL', async () => {
    const { rows } = await client.query<{ table: string; column: string; type: string }>(`
      select table_name as table, column_name as column, data_type as type
      from information_schema.columns where table_schema = 'public'`);
    const actual = Object.fromEntries(rows.map((r) => [`${r.table}.${r.column}`, r.type]));
    const expected: Record<string, string> = {};
    for (const value of Object.values(sqliteSchema)) {
      if (!is(value, SQLiteTable)) continue;
      const config = getTableConfig(value);
      for (const column of config.columns) {
        const mode = (column as { mode?: string }).mode;
        const name = `${config.name}.${column.name}`;
        expected[name] = wideIntegers.has(name) ? 'bigint' : expectedPostgresType(column.columnType, mode);
      }
    }
    expect(actual).toEqual(expected);
  });

  it('have migrations generated from their current schema files', async () => {
    const postgresSnapshot = latestSnapshot(postgresMigrations);
    const postgresNow = generateDrizzleJson(postgresSchema, postgresSnapshot.id);
    expect(await generateMigration(postgresSnapshot, postgresNow)).toEqual([]);

    const sqliteSnapshot = latestSnapshot(sqliteMigrations);
    const sqliteNow = await generateSQLiteDrizzleJson(sqliteSchema, sqliteSnapshot.id);
    expect(await generateSQLiteMigration(sqliteSnapshot, sqliteNow)).toEqual([]);
  });

  it('accept and refuse the same statements for the same reasons', async () => {
    const outcomes: { statement: string; expected: Outcome; sqlite: Outcome; postgres: Outcome }[] = [];
    for (const [statement, expected] of probes) {
      outcomes.push({
        statement: statement.replace(/\s+/g, ' '),
        expected,
        sqlite: sqliteOutcome(sqlite, statement),
        postgres: await postgresOutcome(client, statement),
      });
    }
    const asExpected = outcomes.map((o) => ({ ...o, sqlite: o.expected, postgres: o.expected }));
    expect(outcomes).toEqual(asExpected);
  });

  it('refuse emptying the append-only tables with TRUNCATE on PostgreSQL', async () => {
    // signed_decisions refers to audit_events: a TRUNCATE of one alone is refused by the key before any trigger.
    await expect(client.query('truncate audit_events, signed_decisions')).rejects.toThrow(
      'audit_events is append-only',
    );
    await expect(client.query('truncate signed_decisions')).rejects.toThrow(
      'signed_decisions is append-only',
    );
    await expect(client.query('truncate order_events')).rejects.toThrow('order_events is append-only');
  });

  it('report refusals with PostgreSQL error codes 23514, 23505 and P0001', async () => {
    const codeOf = (statement: string) =>
      client.query(statement).then(
        () => 'accepted',
        (error: pg.DatabaseError) => error.code,
      );
    expect(
      await codeOf(`insert into units (id, hsa_id, name, organisation, low_stock_threshold)
      values ('u-negative', 'SE-U2', 'Unit', 'Region', -1)`),
    ).toBe('23514');
    expect(
      await codeOf(
        `insert into units (id, hsa_id, name, organisation) values ('u2', 'SE-U1', 'Unit', 'Region')`,
      ),
    ).toBe('23505');
    expect(await codeOf(`update audit_events set action = 'changed'`)).toBe('P0001');
    expect(await codeOf(`delete from order_events`)).toBe('P0001');
  });

  it('fill ids and creation times in milliseconds on PostgreSQL as SQLite does', async () => {
    const before = Date.now();
    const { rows } = await client.query<{ id: number; at: string }>(
      `insert into audit_events (actor_label, action, object_type, outcome)
       values ('system', 'clock', 'unit', 'success') returning id, at`,
    );
    const after = Date.now();
    const at = Number(rows[0]?.at);
    expect(Number(rows[0]?.id)).toBeGreaterThan(0);
    expect(Number.isInteger(at)).toBe(true);
    expect(at).toBeGreaterThanOrEqual(before - 1_000);
    expect(at).toBeLessThanOrEqual(after + 1_000);
  });
});

function latestSnapshot(folder: string) {
  const journal = JSON.parse(readFileSync(`${folder}/meta/_journal.json`, 'utf8')) as {
    entries: { idx: number }[];
  };
  const last = journal.entries.at(-1)?.idx ?? 0;
  return JSON.parse(readFileSync(`${folder}/meta/${String(last).padStart(4, '0')}_snapshot.json`, 'utf8'));
}
