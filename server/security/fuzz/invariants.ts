import { sql } from 'drizzle-orm';
import { cardSerialProblem, productCodePattern } from '../../../db/card-serial';
import type { AppDatabase } from '../../../db/connection';
import { forEngine, queryRows } from '../../../db/engine';
import {
  auditOutcomes,
  authOrderMethods,
  authOrderPurposes,
  authOrderStates,
  cardKinds,
  cardStates,
  eidPurposes,
  eidStates,
  loginMethods,
  mobileDeviceStates,
  orderStates,
  orderTypes,
  staffRoles,
} from '../../../db/schema';
import { hsaIdSchema, normalizePersonalIdentityNumber } from '../../../protocol/identifiers';
import { jobKinds, jobStates, jobStepNames, stepStatuses } from '../../../protocol/jobs';
import { isSafeText, nameProblem } from '../../../protocol/safe-text';

export interface InvalidRow {
  table: string;
  id: string;
  column: string;
  rule: string;
  value: string;
}

type Row = Record<string, unknown>;
type Rule = [column: string, rule: string, valid: (value: unknown, row: Row) => boolean];

const oneOf = (values: readonly (string | number)[]) => (value: unknown) =>
  values.includes(value as string | number);
const optional = (check: (value: unknown, row: Row) => boolean) => (value: unknown, row: Row) =>
  value === null || check(value, row);
const text = (max: number) => (value: unknown) =>
  typeof value === 'string' && value.trim() === value && value.length >= 1 && value.length <= max;
/** A name people are shown: the rule of protocol/safe-text.ts (no control or bidi characters, no formula start). */
const safeName = (max: number) => (value: unknown) =>
  text(max)(value) && nameProblem(value as string) === null;
const hsaId = (value: unknown) =>
  typeof value === 'string' && hsaIdSchema.safeParse(value).success && hsaIdSchema.parse(value) === value;
const personalIdentityNumber = (value: unknown) =>
  typeof value === 'string' && normalizePersonalIdentityNumber(value) === value;
const serial = (value: unknown) => typeof value === 'string' && cardSerialProblem(value) === null;
const nineteenDigits = (value: unknown) => typeof value === 'string' && /^\d{19}$/.test(value);
const json = (value: unknown) => {
  if (value === null) return true;
  try {
    JSON.parse(String(value));
    return true;
  } catch {
    return false;
  }
};
const between = (min: number, max: number) => (value: unknown) =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

/**
 * The project's own rules for every row, beyond what the CHECK constraints already guarantee: the
 * identifiers, names and states the forms and the protocol accept. A row that breaks one got past a guard.
 */
const tableRules: Record<string, Rule[]> = {
  units: [
    ['hsa_id', 'HSA-id', hsaId],
    ['name', 'name: 1-200 characters, trimmed, a safe name', safeName(200)],
    ['organisation', 'organisation', safeName(200)],
    ['low_stock_threshold', 'threshold 0-999', between(0, 999)],
  ],
  persons: [
    ['hsa_id', 'HSA-id', hsaId],
    ['personal_identity_number', 'personnummer', optional(personalIdentityNumber)],
    ['given_name', 'name', safeName(200)],
    ['surname', 'name', safeName(200)],
  ],
  users: [
    [
      'username',
      'username: lower case, 1-100 characters',
      (value) => text(100)(value) && value === String(value).toLowerCase(),
    ],
    ['display_name', 'display name', safeName(200)],
  ],
  staff_role_assignments: [
    ['role', 'role', oneOf(staffRoles)],
    [
      'unit_id',
      'unit exactly for unit-scoped roles',
      (value, row) => (value !== null) === ['manager', 'contact_person'].includes(String(row.role)),
    ],
  ],
  sessions: [['login_method', 'login method', oneOf(loginMethods)]],
  cards: [
    ['serial', 'card serial: 19 digits, Luhn', serial],
    ['kind', 'kind', oneOf(cardKinds)],
    ['state', 'state', oneOf(cardStates)],
    ['product_code', 'product code', (value) => typeof value === 'string' && productCodePattern.test(value)],
    ['trust_level', 'trust level', oneOf([2, 3])],
  ],
  mobile_devices: [
    ['name', 'device name: 1-60 characters, a safe name', safeName(60)],
    ['state', 'state', oneOf(mobileDeviceStates)],
    ['failed_code_attempts', 'failed attempts', between(0, 1_000)],
  ],
  eids: [
    ['purpose', 'purpose', oneOf(eidPurposes)],
    ['state', 'state', oneOf(eidStates)],
    ['trust_level', 'trust level', oneOf([2, 3])],
  ],
  orders: [
    ['type', 'type', oneOf(orderTypes)],
    ['state', 'state', oneOf(orderStates)],
  ],
  order_events: [
    ['from_state', 'state', optional(oneOf(orderStates))],
    ['to_state', 'state', oneOf(orderStates)],
    [
      'note',
      'note: at most 500 characters, trimmed, no control or bidi characters',
      optional((value) => text(500)(value) && isSafeText(value as string)),
    ],
  ],
  audit_events: [
    ['outcome', 'outcome', oneOf(auditOutcomes)],
    ['action', 'action', (value) => typeof value === 'string' && /^[A-Za-z0-9_:.-]{1,100}$/.test(value)],
    ['actor_label', 'actor label', (value) => typeof value === 'string' && value.length <= 300],
    ['detail', 'detail is JSON', json],
  ],
  agent_sessions: [
    ['agent_version', 'agent version', optional((value) => typeof value === 'string' && value.length <= 40)],
  ],
  jobs: [
    ['kind', 'kind', oneOf(jobKinds)],
    ['state', 'state', oneOf(jobStates)],
    ['progress', 'progress 0-100', between(0, 100)],
    ['last_sequence', 'sequence', between(0, 10_000)],
    ['card_serial', 'card serial: 19 digits', optional(nineteenDigits)],
    ['reader_name', 'reader name', optional((value) => typeof value === 'string' && value.length <= 200)],
    ['error_message', 'error message', optional((value) => typeof value === 'string' && value.length <= 500)],
  ],
  job_steps: [
    ['step', 'step name', oneOf(jobStepNames)],
    ['outcome', 'status', oneOf(stepStatuses)],
    ['sequence', 'sequence', between(1, 10_000)],
    ['progress', 'progress 0-100', between(0, 100)],
    ['detail', 'detail is JSON', json],
  ],
  auth_orders: [
    ['purpose', 'purpose', oneOf(authOrderPurposes)],
    ['method', 'method', oneOf(authOrderMethods)],
    ['state', 'state', oneOf(authOrderStates)],
    ['card_serial', 'card serial: 19 digits', optional(nineteenDigits)],
  ],
};

export interface DatabaseReport {
  integrity: string[];
  foreignKeyViolations: unknown[];
  invalidRows: InvalidRow[];
  rowsChecked: number;
}

/**
 * SQLite checks its file and its foreign keys when asked; PostgreSQL checks every foreign key on every write
 * and has no file check to ask for, so there both are clean by construction.
 */
async function engineChecks(
  db: AppDatabase,
): Promise<Pick<DatabaseReport, 'integrity' | 'foreignKeyViolations'>> {
  return forEngine(db, {
    sqlite: async () => ({
      integrity: (await queryRows<{ integrity_check: string }>(db, sql`pragma integrity_check`)).map(
        (row) => row.integrity_check,
      ),
      foreignKeyViolations: await queryRows<unknown>(db, sql`pragma foreign_key_check`),
    }),
    postgres: async () => ({ integrity: ['ok'], foreignKeyViolations: [] }),
  })();
}

export async function checkDatabase(db: AppDatabase): Promise<DatabaseReport> {
  const { integrity, foreignKeyViolations } = await engineChecks(db);
  const invalidRows: InvalidRow[] = [];
  let rowsChecked = 0;
  for (const [table, rules] of Object.entries(tableRules)) {
    for (const row of await queryRows<Row>(db, sql`select * from ${sql.identifier(table)}`)) {
      rowsChecked++;
      for (const [column, rule, valid] of rules) {
        if (!valid(row[column], row)) {
          invalidRows.push({
            table,
            id: String(row.id),
            column,
            rule,
            value: JSON.stringify(row[column])?.slice(0, 120) ?? 'undefined',
          });
        }
      }
    }
  }
  return { integrity, foreignKeyViolations, invalidRows, rowsChecked };
}
