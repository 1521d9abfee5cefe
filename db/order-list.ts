import { type SQL, sql } from 'drizzle-orm';
import { csvLine } from '../protocol/csv';
import {
  hsaIdSchema,
  maskPersonalIdentityNumber,
  normalizePersonalIdentityNumber,
} from '../protocol/identifiers';
import type { AppDatabase, Queryable } from './connection';
import { forEngine, queryRows } from './engine';
import { findableBy, type IdentityViewer, type ShownIdentity, shownTo } from './protected-identity';
import type { OrderState, OrderType } from './schema';
import { isEmptyUnitScope, type UnitScope, unitScopeCondition } from './unit-scope';

export const orderSorts = ['created_desc', 'created_asc', 'person_asc'] as const;
export type OrderSort = (typeof orderSorts)[number];

export const orderPageSize = 50;

/** Counting stops past this many matches: the list then says "more than", and no page reads every match. */
export const orderCountLimit = 10_000;

export interface OrderListFilter {
  /** The units whose orders are listed: the caller's visible units, narrowed to a chosen unit's subtree. */
  scope: UnitScope;
  types?: readonly OrderType[];
  states?: readonly OrderState[];
  /** Placed at or after. */
  createdFrom?: Date;
  /** Placed before. */
  createdBefore?: Date;
  placedByUserId?: string;
  /** HSA-id, personnummer or name (surname, or given name and surname). */
  search?: string;
  /** Who reads: absent, a viewer without the right to see protected identities. */
  viewer?: IdentityViewer;
}

/** Whom an order is for, and where: the unit would tell a protected identity's placement, so it goes with them. */
export interface OrderListPerson {
  name: string;
  hsaId: string;
  /** Masked: lists never show the last four digits. */
  personalIdentityNumber: string | null;
  unitName: string;
}

export interface OrderListRow {
  id: string;
  type: OrderType;
  state: OrderState;
  createdAt: number;
  updatedAt: number;
  person: ShownIdentity<OrderListPerson>;
  placedByName: string;
}

interface RawRow extends Omit<OrderListRow, 'person'> {
  unitName: string;
  personHsaId: string;
  givenName: string;
  surname: string;
  personalIdentityNumber: string | null;
  protectedIdentity: number | boolean;
}

/** A row with the keys that place it in list order: where the next batch or page starts. */
interface KeyedRow extends RawRow {
  personId: string;
  rowKey: string | number;
}

/**
 * Where a page starts or ends: the list-order keys of one row, the ones a link can carry. A person's name,
 * which the sort by person also needs, is looked up rather than put in an address.
 */
export type OrderCursor = Pick<KeyedRow, 'createdAt' | 'rowKey' | 'personId'>;

/** A cursor with every list-order key. */
type ListKeys = Pick<KeyedRow, 'createdAt' | 'rowKey' | 'personId' | 'surname' | 'givenName'>;

/**
 * The one place where the engines need their own SQL. SQLite gets planner hints (left alone, its planner
 * drives a large list by the wrong index) and breaks date ties by its implicit rowid, which every index entry
 * carries, so a page's keys come from an index alone; PostgreSQL takes no hints and breaks ties by the
 * primary key.
 */
interface ListDialect {
  rowKey: SQL;
  /** Forces the walk of orders_list_idx in date order. */
  dateIndex: SQL;
  /**
   * Statements run one after another (SQLite's one connection): a page's SQL may then depend on the count
   * (the walk is forced only for many matches). Otherwise the page is read while the count runs, on a
   * connection of its own.
   */
  oneStatementAtATime: boolean;
  /**
   * How many of a search's matches its one pass reads (page and count together). SQLite stops past the
   * count limit, and a search with more matches then walks the date index for its page: sorting 20,000
   * matches cost it more than the walk. PostgreSQL reads and sorts every match, which is cheaper for it than
   * counting apart.
   */
  searchPassReads: number | undefined;
  /** The unit filter's column when a search drives the list from the few matching persons. */
  unitColumnWhenSearching: SQL;
  /** A join whose left side drives it (persons in name order, a page's few keys). */
  drivingJoin: SQL;
  /** Names starting with `prefix`, case-sensitive like the name index. */
  startsWith(column: SQL, prefix: string): SQL;
  /** `column` is one of `ids` (a search's matching persons). */
  isOneOf(column: SQL, ids: readonly string[]): SQL;
}

const sqliteDialect: ListDialect = {
  rowKey: sql`o.rowid`,
  dateIndex: sql`indexed by orders_list_idx`,
  oneStatementAtATime: true,
  searchPassReads: orderCountLimit + 1,
  // The unary + keeps SQLite from driving by unit: the few matching persons are cheaper.
  unitColumnWhenSearching: sql`+o.unit_id`,
  drivingJoin: sql`cross join`,
  // GLOB, not LIKE: case-sensitive, so the name index serves the prefix.
  startsWith: (column, prefix) => sql`${column} glob ${`${prefix}*`}`,
  isOneOf: (column, ids) => sql`${column} in (select value from json_each(${JSON.stringify(ids)}))`,
};

const postgresDialect: ListDialect = {
  rowKey: sql`o.id`,
  dateIndex: sql``,
  oneStatementAtATime: false,
  searchPassReads: undefined,
  unitColumnWhenSearching: sql`o.unit_id`,
  drivingJoin: sql`join`,
  // LIKE is case-sensitive here, as GLOB is in SQLite; its own wildcards in the prefix are escaped.
  startsWith: (column, prefix) => sql`${column} like ${`${prefix.replace(/[\\%_]/g, '\\$&')}%`}`,
  // A JSON set, which the planner guesses at 100 rows, so that it drives the list from the persons. Given
  // the real number (an array parameter) it walked the date index for a common name in one hospital, reading
  // 48,000 orders for 51 (450 ms on the benchmark's million).
  isOneOf: (column, ids) => sql`${column} in (select json_array_elements_text(${JSON.stringify(ids)}::json))`,
};

function listDialect(q: Queryable): ListDialect {
  return forEngine(q, { sqlite: sqliteDialect, postgres: postgresDialect });
}

const columns = sql`o.id, o.type, o.state, o.created_at as "createdAt", o.updated_at as "updatedAt",
  u.name as "unitName", p.hsa_id as "personHsaId", p.personal_identity_number as "personalIdentityNumber",
  p.given_name as "givenName", p.surname, p.protected_identity as "protectedIdentity",
  pb.display_name as "placedByName"`;

function list(values: readonly unknown[]): SQL {
  return sql.join(
    values.map((value) => sql`${value}`),
    sql`, `,
  );
}

/** Surname prefix, or given name and surname prefix. */
function nameCondition(dialect: ListDialect, search: string): SQL {
  const words = search
    .replace(/[*?[\]]/g, '')
    .split(/\s+/)
    .filter(Boolean);
  const capitalised = words.map((word) => word.charAt(0).toLocaleUpperCase('sv') + word.slice(1));
  const conditions = [...new Set([words.join(' '), capitalised.join(' ')])].map((surname) =>
    dialect.startsWith(sql`surname`, surname),
  );
  if (capitalised.length >= 2) {
    conditions.push(
      sql`(given_name = ${capitalised[0]} and ${dialect.startsWith(sql`surname`, capitalised.slice(1).join(' '))})`,
    );
  }
  return sql.join(conditions, sql` or `);
}

function searchCondition(dialect: ListDialect, search: string, today: Date): SQL {
  const personalIdentityNumber = normalizePersonalIdentityNumber(search, today);
  if (personalIdentityNumber) return sql`personal_identity_number = ${personalIdentityNumber}`;
  const hsaId = hsaIdSchema.safeParse(search);
  if (hsaId.success) return sql`hsa_id = ${hsaId.data}`;
  return nameCondition(dialect, search);
}

/** The persons a search finds: never a protected identity for a viewer without the right. */
async function matchingPersonIds(
  db: Queryable,
  search: string,
  viewer: IdentityViewer,
  today: Date,
): Promise<string[]> {
  const findable = findableBy(viewer, sql`protected_identity`);
  const rows = await queryRows<{ id: string }>(
    db,
    sql`select id from persons where (${searchCondition(listDialect(db), search, today)})
      ${findable ? sql`and ${findable}` : sql``}`,
  );
  return rows.map((row) => row.id);
}

/** The filter as conditions on `orders o`, joined with `and`. */
async function filterConditions(db: Queryable, filter: OrderListFilter, today: Date): Promise<SQL[]> {
  const dialect = listDialect(db);
  const conditions: SQL[] = [];
  const addIn = (column: SQL, values: readonly unknown[] | undefined) => {
    if (values && values.length > 0) conditions.push(sql`${column} in (${list(values)})`);
  };
  const search = filter.search?.trim();
  if (isEmptyUnitScope(filter.scope)) conditions.push(sql`1 = 0`);
  else {
    const inScope = unitScopeCondition(
      search ? dialect.unitColumnWhenSearching : sql`o.unit_id`,
      filter.scope,
    );
    if (inScope) conditions.push(inScope);
  }
  addIn(sql`o.type`, filter.types);
  addIn(sql`o.state`, filter.states);
  if (filter.createdFrom) conditions.push(sql`o.created_at >= ${filter.createdFrom.getTime()}`);
  if (filter.createdBefore) conditions.push(sql`o.created_at < ${filter.createdBefore.getTime()}`);
  if (filter.placedByUserId) conditions.push(sql`o.placed_by_user_id = ${filter.placedByUserId}`);
  if (search) {
    // The matching persons are looked up once, not once for the count and again for the page.
    const found = await matchingPersonIds(db, search, viewerOf(filter), today);
    conditions.push(dialect.isOneOf(sql`o.person_id`, found));
  }
  return conditions;
}

function where(conditions: readonly SQL[]): SQL {
  return conditions.length ? sql`where ${sql.join([...conditions], sql` and `)}` : sql``;
}

const joins = sql`join persons p on p.id = o.person_id join units u on u.id = o.unit_id join users pb on pb.id = o.placed_by_user_id`;

/** The columns that place a row in list order, as a query names them. */
interface ListColumns {
  surname: SQL;
  givenName: SQL;
  personId: SQL;
  createdAt: SQL;
  rowKey: SQL;
}

function tableColumns(dialect: ListDialect): ListColumns {
  return {
    surname: sql`p.surname`,
    givenName: sql`p.given_name`,
    personId: sql`p.id`,
    createdAt: sql`o.created_at`,
    rowKey: dialect.rowKey,
  };
}

/** The same columns in a search's matches (`m`). */
const matchColumns: ListColumns = {
  surname: sql`m.surname`,
  givenName: sql`m.given_name`,
  personId: sql`m.person_id`,
  createdAt: sql`m.created_at`,
  rowKey: sql`m.row_key`,
};

/** List order, or with `backwards` its exact reverse (a page before a cursor is read backwards). */
function listOrder(on: ListColumns, sort: OrderSort, backwards = false): SQL {
  const [up, down] = backwards ? [sql`desc`, sql`asc`] : [sql`asc`, sql`desc`];
  if (sort === 'person_asc') {
    return sql`order by ${on.surname} ${up}, ${on.givenName} ${up}, ${on.personId} ${up}, ${on.createdAt} ${down}, ${on.rowKey} ${down}`;
  }
  const direction = sort === 'created_asc' ? up : down;
  return sql`order by ${on.createdAt} ${direction}, ${on.rowKey} ${direction}`;
}

/**
 * The rows after `cursor` in list order (before it, `backwards`): only the index range that is left, then
 * the exact keys.
 */
function beyond(on: ListColumns, sort: OrderSort, cursor: ListKeys, backwards = false): SQL {
  if (sort === 'person_asc') {
    const [range, names, time] = backwards ? [sql`<=`, sql`<`, sql`>`] : [sql`>=`, sql`>`, sql`<`];
    return sql`${on.surname} ${range} ${cursor.surname} and (
      (${on.surname}, ${on.givenName}, ${on.personId}) ${names} (${cursor.surname}, ${cursor.givenName}, ${cursor.personId})
      or (${on.personId} = ${cursor.personId} and (${on.createdAt} ${time} ${cursor.createdAt}
        or (${on.createdAt} = ${cursor.createdAt} and ${on.rowKey} ${time} ${cursor.rowKey}))))`;
  }
  const ascending = (sort === 'created_asc') !== backwards;
  const [range, strictly] = ascending ? [sql`>=`, sql`>`] : [sql`<=`, sql`<`];
  return sql`${on.createdAt} ${range} ${cursor.createdAt} and (${on.createdAt} ${strictly} ${cursor.createdAt}
    or ${on.rowKey} ${strictly} ${cursor.rowKey})`;
}

/** Above this many matches a page walks the date index; below it, fetching the matches and sorting is cheaper. */
const walkThreshold = 2000;

interface PageQuery {
  conditions: readonly SQL[];
  sort: OrderSort;
  backwards: boolean;
  /** Force the walk of the date index: many match, and no search drives the list from persons. */
  walkDateIndex: boolean;
  limit: number;
}

const pageKeys = (dialect: ListDialect) => sql`p.id as "personId", ${dialect.rowKey} as "rowKey"`;

/**
 * One page in two steps: the page's row keys from an index alone, then only those rows with their joins.
 * A large result walks orders_list_idx in date order (a page then reads about `page size / share` index
 * entries); a small one, or a search (driven from the matching persons), lets the engine fetch the matches
 * through a covering filter index and sort them. By person, persons in name order drive the join, so a page
 * needs only the first persons, not a sort of every order.
 */
function pageSql(dialect: ListDialect, query: PageQuery): SQL {
  const order = listOrder(tableColumns(dialect), query.sort, query.backwards);
  const keys = pageKeys(dialect);
  if (query.sort === 'person_asc') {
    return sql`select ${columns}, ${keys} from persons p ${dialect.drivingJoin} orders o on o.person_id = p.id
      join units u on u.id = o.unit_id join users pb on pb.id = o.placed_by_user_id ${where(query.conditions)}
      ${order} limit ${query.limit}`;
  }
  const hint = query.walkDateIndex ? dialect.dateIndex : sql``;
  return sql`select ${columns}, ${keys} from orders o ${joins}
    where ${dialect.rowKey} in (select ${dialect.rowKey} from orders o ${hint} ${where(query.conditions)}
      ${order} limit ${query.limit}) ${order}`;
}

/**
 * A search's page from its matches (the orders of the few matching persons; on SQLite only the first
 * `searchPassReads`), counted in the same pass and cut at the cursor after counting. A page from fewer
 * matches than there are is not complete: it is read again from every match.
 */
function searchPageSql(
  dialect: ListDialect,
  query: Omit<PageQuery, 'walkDateIndex'> & { cursor: ListKeys | undefined },
): SQL {
  const byPerson = query.sort === 'person_asc';
  const names = byPerson ? sql`, p.surname, p.given_name` : sql``;
  const personJoin = byPerson ? sql`join persons p on p.id = o.person_id` : sql``;
  const reads = dialect.searchPassReads === undefined ? sql`` : sql`limit ${dialect.searchPassReads}`;
  const matches = sql`select o.person_id, o.created_at, ${dialect.rowKey} as row_key ${names}
    from orders o ${personJoin} ${where(query.conditions)} ${reads}`;
  const bounded = query.cursor
    ? sql`where ${beyond(matchColumns, query.sort, query.cursor, query.backwards)}`
    : sql``;
  const page = sql`select m.row_key, m.matches from (select c.*, count(*) over () as matches from (${matches}) c) m
    ${bounded} ${listOrder(matchColumns, query.sort, query.backwards)} limit ${query.limit}`;
  return sql`select ${columns}, ${pageKeys(dialect)}, page.matches from (${page}) page
    ${dialect.drivingJoin} orders o on ${dialect.rowKey} = page.row_key ${joins}
    ${listOrder(tableColumns(dialect), query.sort, query.backwards)}`;
}

const viewerOf = (filter: OrderListFilter): IdentityViewer =>
  filter.viewer ?? { seesProtectedIdentities: false };

/** A row as the viewer may see it. */
const toListRow =
  (viewer: IdentityViewer) =>
  ({
    id,
    type,
    state,
    createdAt,
    updatedAt,
    placedByName,
    ...person
  }: RawRow & Partial<Pick<KeyedRow, 'personId' | 'rowKey'>>): OrderListRow => ({
    id,
    type,
    state,
    createdAt,
    updatedAt,
    placedByName,
    person: shownTo(viewer, person.protectedIdentity, {
      name: `${person.givenName} ${person.surname}`,
      hsaId: person.personHsaId,
      personalIdentityNumber: person.personalIdentityNumber
        ? maskPersonalIdentityNumber(person.personalIdentityNumber)
        : null,
      unitName: person.unitName,
    }),
  });

interface OrderCount {
  /** How many orders match, at most orderCountLimit. */
  total: number;
  /** More than orderCountLimit match. */
  totalIsLowerBound: boolean;
}

async function countOrders(db: Queryable, conditions: readonly SQL[]): Promise<OrderCount> {
  const [counted] = await queryRows<{ total: number }>(
    db,
    sql`select count(*) as total from (select 1 from orders o ${where(conditions)}
      limit ${orderCountLimit + 1}) matches`,
  );
  return capped(Number(counted?.total ?? 0));
}

function capped(total: number): OrderCount {
  return { total: Math.min(total, orderCountLimit), totalIsLowerBound: total > orderCountLimit };
}

/** Where a page starts: after a row (the next page), before one (the previous page), or at the top. */
export interface OrderPagePosition {
  after?: OrderCursor;
  /** Ignored when `after` is given. */
  before?: OrderCursor;
}

export interface OrderListPage extends OrderCount {
  rows: OrderListRow[];
  /** The page before this one ends before this row; absent on the first page. */
  previous?: OrderCursor;
  /** The page after this one starts after this row; absent on the last page. */
  next?: OrderCursor;
}

function cursorOf({ createdAt, rowKey, personId }: KeyedRow): OrderCursor {
  return { createdAt, rowKey, personId };
}

/** The cursor with the person's name for the sort by person; undefined when its person no longer exists. */
async function listKeys(db: Queryable, sort: OrderSort, cursor: OrderCursor): Promise<ListKeys | undefined> {
  if (sort !== 'person_asc') return { ...cursor, surname: '', givenName: '' };
  const [person] = await queryRows<{ surname: string; givenName: string }>(
    db,
    sql`select surname, given_name as "givenName" from persons where id = ${cursor.personId}`,
  );
  return person && { ...cursor, ...person };
}

/**
 * One page of orders under a filter, with the count. A page starts at its keys in the indexes rather than
 * skipping the rows before it, so a deep page costs what the first one costs. A page before a cursor that
 * would not be full is the first page.
 */
export async function listOrderPage(
  db: AppDatabase,
  filter: OrderListFilter,
  sort: OrderSort,
  position: OrderPagePosition = {},
  today = new Date(),
): Promise<OrderListPage> {
  const dialect = listDialect(db);
  const conditions = await filterConditions(db, filter, today);
  const searching = Boolean(filter.search?.trim());
  const before = position.before && !position.after ? await listKeys(db, sort, position.before) : undefined;
  const after = position.after && (await listKeys(db, sort, position.after));
  const readPage = (cursor: ListKeys | undefined, backwards: boolean, count: OrderCount | undefined) =>
    queryRows<KeyedRow>(
      db,
      pageSql(dialect, {
        conditions: cursor
          ? [...conditions, beyond(tableColumns(dialect), sort, cursor, backwards)]
          : conditions,
        sort,
        backwards,
        walkDateIndex: (count?.total ?? 0) >= walkThreshold,
        limit: orderPageSize + 1,
      }),
    );
  const countThenRead = async (
    cursor: ListKeys | undefined,
    backwards: boolean,
  ): Promise<readonly [OrderCount, KeyedRow[]]> => {
    if (searching) {
      const read = await queryRows<KeyedRow & { matches: number }>(
        db,
        searchPageSql(dialect, { conditions, sort, backwards, cursor, limit: orderPageSize + 1 }),
      );
      const counted = read[0] && Number(read[0].matches);
      const complete = counted !== undefined && (dialect.searchPassReads ?? Infinity) > counted;
      if (complete) return [capped(counted), read];
      // More matches than the pass read (the count stands, and the page walks the date index), or none past
      // the cursor (the count is needed).
      const count = counted === undefined ? await countOrders(db, conditions) : capped(counted);
      return [count, await readPage(cursor, backwards, count)];
    }
    if (!dialect.oneStatementAtATime) {
      return Promise.all([countOrders(db, conditions), readPage(cursor, backwards, undefined)]);
    }
    const count = await countOrders(db, conditions);
    return [count, await readPage(cursor, backwards, count)] as const;
  };
  const page = (count: OrderCount, rows: KeyedRow[], links: Pick<OrderListPage, 'previous' | 'next'>) => ({
    ...count,
    rows: rows.map(toListRow(viewerOf(filter))),
    ...links,
  });

  if (before) {
    const [count, read] = await countThenRead(before, true);
    if (read.length > orderPageSize) {
      const rows = read.slice(0, orderPageSize).reverse();
      return page(count, rows, { previous: cursorOf(rows[0]!), next: cursorOf(rows.at(-1)!) });
    }
  }
  const [count, read] = await countThenRead(after, false);
  const rows = read.slice(0, orderPageSize);
  return page(count, rows, {
    ...(after && rows[0] && { previous: cursorOf(rows[0]) }),
    ...(read.length > orderPageSize && { next: cursorOf(rows.at(-1)!) }),
  });
}

/** How many rows the export reads per query: the memory it holds, and the statements it sends. */
const exportBatchRows = 1000;

/**
 * One export batch. Without a search the date sorts walk the date index, so a batch reads only its own
 * rows and the engine never sorts the whole export.
 */
function exportBatchSql(
  dialect: ListDialect,
  conditions: readonly SQL[],
  sort: OrderSort,
  searching: boolean,
  last: KeyedRow | undefined,
): SQL {
  const bounded = last ? [...conditions, beyond(tableColumns(dialect), sort, last)] : conditions;
  const keys = pageKeys(dialect);
  const order = listOrder(tableColumns(dialect), sort);
  if (sort === 'person_asc') {
    return sql`select ${columns}, ${keys} from persons p ${dialect.drivingJoin} orders o on o.person_id = p.id
      join units u on u.id = o.unit_id join users pb on pb.id = o.placed_by_user_id ${where(bounded)}
      ${order} limit ${exportBatchRows}`;
  }
  const hint = searching ? sql`` : dialect.dateIndex;
  return sql`select ${columns}, ${keys} from orders o ${hint} ${joins} ${where(bounded)}
    ${order} limit ${exportBatchRows}`;
}

/**
 * Every order under a filter, in list order. Read in batches by key through the given database, each batch
 * a query of its own: memory stays bounded however many there are, and no connection or transaction is
 * held while a slow client downloads.
 */
export async function* iterateOrders(
  db: AppDatabase,
  filter: OrderListFilter,
  sort: OrderSort,
  today = new Date(),
): AsyncGenerator<OrderListRow> {
  const dialect = listDialect(db);
  const conditions = await filterConditions(db, filter, today);
  const searching = Boolean(filter.search?.trim());
  let last: KeyedRow | undefined;
  for (;;) {
    const batch = await queryRows<KeyedRow>(db, exportBatchSql(dialect, conditions, sort, searching, last));
    for (const row of batch) yield toListRow(viewerOf(filter))(row);
    if (batch.length < exportBatchRows) return;
    last = batch.at(-1);
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
export async function* streamOrdersCsv(
  db: AppDatabase,
  filter: OrderListFilter,
  sort: OrderSort,
  csvColumns: readonly CsvColumn[],
  rowsPerChunk = 500,
): AsyncGenerator<string> {
  let chunk = csvLine(csvColumns.map((column) => column.header));
  let lines = 0;
  for await (const row of iterateOrders(db, filter, sort)) {
    chunk += csvLine(csvColumns.map((column) => column.value(row)));
    if (++lines % rowsPerChunk === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** Staff who place orders (managers and contact persons) in the given units: the list's "placed by" filter. */
export async function listOrderPlacers(
  db: AppDatabase,
  scope: UnitScope,
): Promise<Array<{ id: string; displayName: string }>> {
  if (isEmptyUnitScope(scope)) return [];
  const condition = unitScopeCondition(sql`s.unit_id`, scope);
  const inScope = condition ? sql`and ${condition}` : sql``;
  return queryRows(
    db,
    sql`select distinct u.id, u.display_name as "displayName" from users u
      join staff_role_assignments s on s.user_id = u.id
      where s.role in ('manager', 'contact_person') ${inScope} order by "displayName"`,
  );
}
