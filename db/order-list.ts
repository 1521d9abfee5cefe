import Database from 'better-sqlite3';
import { csvLine } from '../protocol/csv';
import {
  hsaIdSchema,
  maskPersonalIdentityNumber,
  normalizePersonalIdentityNumber,
} from '../protocol/identifiers';
import type { AppDatabase } from './connection';
import type { OrderState, OrderType } from './schema';

export const orderSorts = ['created_desc', 'created_asc', 'person_asc'] as const;
export type OrderSort = (typeof orderSorts)[number];

export const orderPageSize = 50;

export interface OrderListFilter {
  /** The units whose orders are listed: the caller's visible units, narrowed to a chosen unit's subtree. */
  scope: 'all' | readonly string[];
  types?: readonly OrderType[];
  states?: readonly OrderState[];
  /** Placed at or after. */
  createdFrom?: Date;
  /** Placed before. */
  createdBefore?: Date;
  placedByUserId?: string;
  /** HSA-id, personnummer or name (surname, or given name and surname). */
  search?: string;
}

export interface OrderListRow {
  id: string;
  type: OrderType;
  state: OrderState;
  createdAt: number;
  updatedAt: number;
  unitName: string;
  personName: string;
  personHsaId: string;
  /** Masked: lists never show the last four digits. */
  personalIdentityNumber: string | null;
  placedByName: string;
}

interface RawRow extends Omit<OrderListRow, 'personName' | 'personalIdentityNumber'> {
  givenName: string;
  surname: string;
  personalIdentityNumber: string | null;
}

interface BuiltQuery {
  where: string;
  params: unknown[];
}

const columns = `o.id, o.type, o.state, o.created_at as createdAt, o.updated_at as updatedAt,
  u.name as unitName, p.hsa_id as personHsaId, p.personal_identity_number as personalIdentityNumber,
  p.given_name as givenName, p.surname, pb.display_name as placedByName`;

function placeholders(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

/** Surname prefix, or given name and surname prefix; GLOB so the name index serves the prefix. */
function nameCondition(search: string, params: unknown[]): string {
  const words = search
    .replace(/[*?[\]]/g, '')
    .split(/\s+/)
    .filter(Boolean);
  const capitalised = words.map((word) => word.charAt(0).toLocaleUpperCase('sv') + word.slice(1));
  const conditions = [...new Set([words.join(' '), capitalised.join(' ')])].map((surname) => {
    params.push(`${surname}*`);
    return 'surname glob ?';
  });
  if (capitalised.length >= 2) {
    params.push(capitalised[0], `${capitalised.slice(1).join(' ')}*`);
    conditions.push('(given_name = ? and surname glob ?)');
  }
  return conditions.join(' or ');
}

function searchCondition(search: string, params: unknown[], today: Date): string {
  const personalIdentityNumber = normalizePersonalIdentityNumber(search, today);
  if (personalIdentityNumber) {
    params.push(personalIdentityNumber);
    return 'personal_identity_number = ?';
  }
  const hsaId = hsaIdSchema.safeParse(search);
  if (hsaId.success) {
    params.push(hsaId.data);
    return 'hsa_id = ?';
  }
  return nameCondition(search, params);
}

function matchingPersonIds(db: AppDatabase, search: string, today: Date): string[] {
  const params: unknown[] = [];
  const sql = `select id from persons where ${searchCondition(search, params, today)}`;
  return (prepared(db.$client, sql).all(...params) as Array<{ id: string }>).map((row) => row.id);
}

function buildWhere(db: AppDatabase, filter: OrderListFilter, today: Date): BuiltQuery {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const addIn = (column: string, values: readonly unknown[] | undefined) => {
    if (!values || values.length === 0) return;
    conditions.push(`${column} in (${placeholders(values)})`);
    params.push(...values);
  };
  const search = filter.search?.trim();
  if (filter.scope !== 'all') {
    if (filter.scope.length === 0) conditions.push('0');
    // With a search, the unary + keeps SQLite from driving by unit: the few matching persons are cheaper.
    addIn(search ? '+o.unit_id' : 'o.unit_id', filter.scope);
  }
  addIn('o.type', filter.types);
  addIn('o.state', filter.states);
  if (filter.createdFrom) {
    conditions.push('o.created_at >= ?');
    params.push(filter.createdFrom.getTime());
  }
  if (filter.createdBefore) {
    conditions.push('o.created_at < ?');
    params.push(filter.createdBefore.getTime());
  }
  if (filter.placedByUserId) {
    conditions.push('o.placed_by_user_id = ?');
    params.push(filter.placedByUserId);
  }
  if (search) {
    // The matching persons are looked up once, not once for the count and again for the page.
    conditions.push('o.person_id in (select value from json_each(?))');
    params.push(JSON.stringify(matchingPersonIds(db, search, today)));
  }
  return { where: conditions.length ? `where ${conditions.join(' and ')}` : '', params };
}

const joins =
  'join persons p on p.id = o.person_id join units u on u.id = o.unit_id join users pb on pb.id = o.placed_by_user_id';

/**
 * Every matching order in list order: for the CSV export's cursor. Without a search it walks the date index,
 * so rows stream out in order and SQLite never holds a sort of the whole export in memory.
 */
function selectSql(where: string, sort: OrderSort, searching: boolean): string {
  if (sort === 'person_asc') {
    // Persons in name order drive the join, so a page needs only the first persons, not a sort of every order.
    return `select ${columns} from persons p cross join orders o on o.person_id = p.id
      join units u on u.id = o.unit_id join users pb on pb.id = o.placed_by_user_id ${where}
      order by p.surname, p.given_name, p.id, o.created_at desc`;
  }
  const direction = sort === 'created_asc' ? 'asc' : 'desc';
  const hint = searching ? '' : 'indexed by orders_list_idx';
  return `select ${columns} from orders o ${hint} ${joins} ${where}
    order by o.created_at ${direction}, o.rowid ${direction}`;
}

/** Above this many matches a page walks the date index; below it, fetching the matches and sorting is cheaper. */
const walkThreshold = 2000;

/**
 * One page in two steps: the page's row ids from an index alone, then only those rows with their joins.
 * A large result walks orders_list_idx in date order (a page then reads about `offset / share` index
 * entries); a small one, or a search (driven from the matching persons), lets SQLite fetch the matches
 * through a covering filter index and sort them.
 */
function pageSql(where: string, sort: OrderSort, total: number, searching: boolean): string {
  if (sort === 'person_asc') return `${selectSql(where, sort, searching)} limit ? offset ?`;
  const direction = sort === 'created_asc' ? 'asc' : 'desc';
  const order = `order by o.created_at ${direction}, o.rowid ${direction}`;
  const hint = total >= walkThreshold && !searching ? 'indexed by orders_list_idx' : '';
  return `select ${columns} from orders o ${joins}
    where o.rowid in (select o.rowid from orders o ${hint} ${where} ${order} limit ? offset ?) ${order}`;
}

const statementCache = new WeakMap<Database.Database, Map<string, Database.Statement>>();

function prepared(client: Database.Database, sql: string): Database.Statement {
  let cache = statementCache.get(client);
  if (!cache) {
    cache = new Map();
    statementCache.set(client, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    statement = client.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}

function toListRow({ givenName, surname, personalIdentityNumber, ...row }: RawRow): OrderListRow {
  return {
    ...row,
    personName: `${givenName} ${surname}`,
    personalIdentityNumber: personalIdentityNumber
      ? maskPersonalIdentityNumber(personalIdentityNumber)
      : null,
  };
}

export interface OrderPage {
  rows: OrderListRow[];
  total: number;
  page: number;
  pageCount: number;
}

/** One page of orders under a filter, with the total count. Pages count from 1. */
export function listOrders(
  db: AppDatabase,
  filter: OrderListFilter,
  sort: OrderSort,
  page: number,
  today = new Date(),
): OrderPage {
  const { where, params } = buildWhere(db, filter, today);
  const total = (
    prepared(db.$client, `select count(*) as total from orders o ${where}`).get(...params) as {
      total: number;
    }
  ).total;
  const pageCount = Math.max(1, Math.ceil(total / orderPageSize));
  const current = Math.min(Math.max(1, page), pageCount);
  const rows = prepared(db.$client, pageSql(where, sort, total, Boolean(filter.search?.trim()))).all(
    ...params,
    orderPageSize,
    (current - 1) * orderPageSize,
  ) as RawRow[];
  return { rows: rows.map(toListRow), total, page: current, pageCount };
}

/**
 * Every order under a filter, row by row from a cursor (`.iterate()`): memory stays bounded however many
 * there are. A file database is read through a connection of its own, so the open cursor never blocks the
 * server's connection while a slow client downloads; an in-memory one (tests) has only the one connection.
 */
export function* iterateOrders(
  db: AppDatabase,
  filter: OrderListFilter,
  sort: OrderSort,
  today = new Date(),
): Generator<OrderListRow> {
  const { where, params } = buildWhere(db, filter, today);
  const reader = db.$client.memory ? db.$client : new Database(db.$client.name, { readonly: true });
  try {
    const statement = reader.prepare(selectSql(where, sort, Boolean(filter.search?.trim())));
    for (const row of statement.iterate(...params)) {
      yield toListRow(row as RawRow);
    }
  } finally {
    if (reader !== db.$client) reader.close();
  }
}

export interface CsvColumn {
  header: string;
  value: (row: OrderListRow) => string;
}

/**
 * The orders under a filter as CSV for Excel: `;` between fields, CRLF lines, the header line first; in
 * chunks of up to `rowsPerChunk` lines, pulled one at a time.
 */
export function* streamOrdersCsv(
  db: AppDatabase,
  filter: OrderListFilter,
  sort: OrderSort,
  csvColumns: readonly CsvColumn[],
  rowsPerChunk = 500,
): Generator<string> {
  let chunk = csvLine(csvColumns.map((column) => column.header));
  let lines = 0;
  for (const row of iterateOrders(db, filter, sort)) {
    chunk += csvLine(csvColumns.map((column) => column.value(row)));
    if (++lines % rowsPerChunk === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** Staff who place orders (managers and contact persons) in the given units: the list's "placed by" filter. */
export function listOrderPlacers(db: AppDatabase, scope: 'all' | readonly string[]) {
  if (scope !== 'all' && scope.length === 0) return [];
  const where = scope === 'all' ? '' : `and s.unit_id in (${placeholders(scope)})`;
  return db.$client
    .prepare(
      `select distinct u.id, u.display_name as displayName from users u
       join staff_role_assignments s on s.user_id = u.id
       where s.role in ('manager', 'contact_person') ${where} order by u.display_name`,
    )
    .all(...(scope === 'all' ? [] : scope)) as Array<{ id: string; displayName: string }>;
}
