/**
 * The PostgreSQL mirror of `db/schema.ts`, for drizzle-kit only: it generates db/postgres/migrations. The
 * domain modules query through the SQLite table objects of `db/schema.ts` on both engines, so every storage
 * type here is chosen to hand back the same JS values: text -> text, integer -> integer, integer
 * timestamp_ms -> bigint (a JS number of milliseconds), JSON text -> text. db/schema-engines.test.ts proves
 * the migrated databases of both engines have the same tables, columns, keys, indexes, checks and triggers.
 */
import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { jobStates } from '../../protocol/jobs';
import {
  assistedUnlockStates,
  auditOutcomes,
  authOrderMethods,
  authOrderPurposes,
  authOrderStates,
  cardKinds,
  cardStates,
  directorySyncKinds,
  directorySyncModes,
  directorySyncStates,
  eidPurposes,
  eidStates,
  identityCheckMethods,
  loginMethods,
  mobileDeviceStates,
  orderStates,
  orderTypes,
  reminderKinds,
  signedDecisionKinds,
  staffRoles,
} from '../schema';

const inList = (column: string, values: readonly string[]) =>
  sql.raw(`${column} in (${values.map((value) => `'${value}'`).join(', ')})`);

/** Digits only: SQLite's `not glob '*[^0-9]*'`. */
const digitsOnly = (column: AnyPgColumn) => sql`${column} !~ '[^0-9]'`;

/**
 * SQLite's `unixepoch('subsec') * 1000`: milliseconds, one value per statement (SQLite fixes 'now' for a
 * whole statement, so does statement_timestamp()).
 */
const nowMs = sql`(floor(extract(epoch from statement_timestamp()) * 1000))::bigint`;

const timestampMs = (name: string) => bigint(name, { mode: 'number' });

const createdAt = () => timestampMs('created_at').notNull().default(nowMs);

/** SQLite's `integer primary key autoincrement`: ids are never reused, and a copy may keep its own. */
const serialId = () => bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity();

export const units = pgTable(
  'units',
  {
    id: text('id').primaryKey(),
    hsaId: text('hsa_id').notNull().unique(),
    name: text('name').notNull(),
    parentId: text('parent_id').references((): AnyPgColumn => units.id),
    organisation: text('organisation').notNull(),
    lowStockThreshold: integer('low_stock_threshold').notNull().default(5),
    lowStockRemindedAt: timestampMs('low_stock_reminded_at'),
    lastSeenSyncRunId: text('last_seen_sync_run_id'),
    goneFromDirectoryAt: timestampMs('gone_from_directory_at'),
    createdAt: createdAt(),
  },
  (table) => [
    index('units_parent_idx').on(table.parentId),
    check('units_low_stock_threshold_non_negative', sql`${table.lowStockThreshold} >= 0`),
  ],
);

export const persons = pgTable(
  'persons',
  {
    id: text('id').primaryKey(),
    hsaId: text('hsa_id').notNull().unique(),
    personalIdentityNumber: text('personal_identity_number').unique(),
    givenName: text('given_name').notNull(),
    surname: text('surname').notNull(),
    email: text('email'),
    /** 0 or 1, as SQLite's boolean mode reads and writes it. */
    protectedIdentity: integer('protected_identity').notNull().default(0),
    leftAt: timestampMs('left_at'),
    lastSeenSyncRunId: text('last_seen_sync_run_id'),
    createdAt: createdAt(),
  },
  (table) => [
    index('persons_left_idx').on(table.leftAt),
    // With the id, a name search reads the index alone.
    index('persons_name_idx').on(table.surname, table.givenName, table.id),
    check(
      'persons_personal_identity_number_format',
      sql`${table.personalIdentityNumber} is null or (length(${table.personalIdentityNumber}) = 12 and ${digitsOnly(table.personalIdentityNumber)})`,
    ),
  ],
);

export const personUnits = pgTable(
  'person_units',
  {
    personId: text('person_id')
      .notNull()
      .references(() => persons.id, { onDelete: 'cascade' }),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
  },
  (table) => [
    primaryKey({ columns: [table.personId, table.unitId] }),
    index('person_units_unit_idx').on(table.unitId),
  ],
);

export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    personId: text('person_id')
      .unique()
      .references(() => persons.id),
    username: text('username').notNull().unique(),
    displayName: text('display_name').notNull(),
    passwordHash: text('password_hash'),
    passwordLogin: text('password_login'),
    disabledAt: timestampMs('disabled_at'),
    createdAt: createdAt(),
  },
  // No check on password_login: adding one means rebuilding users on SQLite, whose drop cascades to sessions.
  (table) => [check('users_username_lowercase', sql`${table.username} = lower(${table.username})`)],
);

export const staffRoleAssignments = pgTable(
  'staff_role_assignments',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role').notNull(),
    unitId: text('unit_id').references(() => units.id),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('staff_role_assignments_unique').on(table.userId, table.role, table.unitId),
    uniqueIndex('staff_role_assignments_global_unique')
      .on(table.userId, table.role)
      .where(sql`${table.unitId} is null`),
    check('staff_role_assignments_role', inList('role', staffRoles)),
    check(
      'staff_role_assignments_unit_scope',
      sql`(${table.role} in ('manager', 'contact_person') and ${table.unitId} is not null) or ${table.role} not in ('manager', 'contact_person')`,
    ),
  ],
);

export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: bigint('expires_at', { mode: 'number' }).notNull(),
    loginMethod: text('login_method').notNull().default('password'),
    loginCredential: text('login_credential'),
  },
  (table) => [
    index('sessions_user_idx').on(table.userId),
    index('sessions_login_credential_idx').on(table.loginCredential),
    check('sessions_login_method', inList('login_method', loginMethods)),
  ],
);

export const cards = pgTable(
  'cards',
  {
    id: text('id').primaryKey(),
    serial: text('serial').notNull().unique(),
    kind: text('kind').notNull(),
    productCode: text('product_code').notNull(),
    trustLevel: integer('trust_level').notNull(),
    state: text('state').notNull(),
    holderPersonId: text('holder_person_id').references(() => persons.id),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    validFrom: timestampMs('valid_from').notNull(),
    validTo: timestampMs('valid_to').notNull(),
    createdAt: createdAt(),
    updatedAt: timestampMs('updated_at').notNull().default(nowMs),
  },
  (table) => [
    index('cards_unit_state_idx').on(table.unitId, table.state),
    index('cards_holder_idx').on(table.holderPersonId),
    check('cards_serial_format', sql`length(${table.serial}) = 19 and ${digitsOnly(table.serial)}`),
    check('cards_kind', inList('kind', cardKinds)),
    check('cards_state', inList('state', cardStates)),
    check('cards_trust_level', sql`${table.trustLevel} in (2, 3)`),
    check('cards_validity', sql`${table.validTo} > ${table.validFrom}`),
    check(
      'cards_holder_when_issued',
      sql`${table.state} not in ('assigned', 'active', 'locked') or ${table.holderPersonId} is not null`,
    ),
    check('cards_no_holder_in_stock', sql`${table.state} <> 'in_stock' or ${table.holderPersonId} is null`),
    check('cards_stock_only_reserve', sql`${table.state} <> 'in_stock' or ${table.kind} = 'reserve'`),
  ],
);

export const mobileDevices = pgTable(
  'mobile_devices',
  {
    id: text('id').primaryKey(),
    personId: text('person_id')
      .notNull()
      .references(() => persons.id),
    name: text('name').notNull(),
    publicKeySpki: text('public_key_spki').notNull(),
    trustLevel: integer('trust_level').notNull(),
    state: text('state').notNull().default('active'),
    validTo: timestampMs('valid_to').notNull(),
    codeHash: text('code_hash'),
    failedCodeAttempts: integer('failed_code_attempts').notNull().default(0),
    createdAt: createdAt(),
  },
  (table) => [
    index('mobile_devices_person_idx').on(table.personId, table.state),
    check('mobile_devices_state', inList('state', mobileDeviceStates)),
    check('mobile_devices_trust_level', sql`${table.trustLevel} in (2, 3)`),
  ],
);

export const eids = pgTable(
  'eids',
  {
    id: text('id').primaryKey(),
    personId: text('person_id').references(() => persons.id),
    cardId: text('card_id').references(() => cards.id),
    mobileDeviceId: text('mobile_device_id').references(() => mobileDevices.id),
    purpose: text('purpose').notNull(),
    issuingCa: text('issuing_ca').notNull(),
    certificateSerial: text('certificate_serial').notNull(),
    certificatePem: text('certificate_pem'),
    trustLevel: integer('trust_level').notNull(),
    state: text('state').notNull().default('active'),
    validFrom: timestampMs('valid_from').notNull(),
    validTo: timestampMs('valid_to').notNull(),
    revokedAt: timestampMs('revoked_at'),
    revocationReason: text('revocation_reason'),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('eids_issuer_serial_unique').on(table.issuingCa, table.certificateSerial),
    index('eids_person_idx').on(table.personId),
    index('eids_card_idx').on(table.cardId),
    check('eids_purpose', inList('purpose', eidPurposes)),
    check('eids_state', inList('state', eidStates)),
    check('eids_trust_level', sql`${table.trustLevel} in (2, 3)`),
    check(
      'eids_person_unless_transport',
      sql`${table.personId} is not null or ${table.purpose} = 'transport'`,
    ),
    check('eids_one_holder', sql`(${table.cardId} is null) <> (${table.mobileDeviceId} is null)`),
    check(
      'eids_revocation_recorded',
      sql`(${table.state} = 'revoked') = (${table.revokedAt} is not null and ${table.revocationReason} is not null)`,
    ),
  ],
);

export const orders = pgTable(
  'orders',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    state: text('state').notNull().default('placed'),
    personId: text('person_id')
      .notNull()
      .references(() => persons.id),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    placedByUserId: text('placed_by_user_id')
      .notNull()
      .references(() => users.id),
    cardId: text('card_id').references(() => cards.id),
    createdAt: createdAt(),
    updatedAt: timestampMs('updated_at').notNull().default(nowMs),
  },
  // Filter indexes that a page reads alone on PostgreSQL end with its tie-breaker, the id (SQLite's rowid
  // is in every index).
  (table) => [
    index('orders_unit_created_idx').on(table.unitId, table.createdAt),
    index('orders_state_created_idx').on(table.state, table.createdAt, table.id),
    index('orders_person_idx').on(
      table.personId,
      table.type,
      table.state,
      table.unitId,
      table.createdAt,
      table.id,
    ),
    index('orders_placed_by_idx').on(table.placedByUserId, table.unitId, table.createdAt, table.id),
    index('orders_list_idx').on(table.createdAt, table.unitId, table.state, table.type),
    index('orders_scope_idx').on(table.unitId, table.state, table.type, table.createdAt),
    uniqueIndex('orders_card_unique').on(table.cardId),
    check('orders_type', inList('type', orderTypes)),
    check('orders_state', inList('state', orderStates)),
    check(
      'orders_second_approval_only_loa3',
      sql`${table.state} <> 'awaiting_second_approval' or ${table.type} = 'reserve_card_loa3'`,
    ),
  ],
);

/** Append-only: triggers in db/postgres/migrations refuse UPDATE, DELETE and TRUNCATE. */
export const orderEvents = pgTable(
  'order_events',
  {
    id: serialId(),
    orderId: text('order_id')
      .notNull()
      .references(() => orders.id),
    actorUserId: text('actor_user_id').references(() => users.id),
    fromState: text('from_state'),
    toState: text('to_state').notNull(),
    note: text('note'),
    at: timestampMs('at').notNull().default(nowMs),
  },
  (table) => [index('order_events_order_idx').on(table.orderId, table.at)],
);

/** Append-only: triggers in db/postgres/migrations refuse UPDATE, DELETE and TRUNCATE. */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: serialId(),
    at: timestampMs('at').notNull().default(nowMs),
    actorUserId: text('actor_user_id').references(() => users.id),
    actorLabel: text('actor_label').notNull(),
    action: text('action').notNull(),
    objectType: text('object_type').notNull(),
    objectId: text('object_id'),
    unitId: text('unit_id').references(() => units.id),
    outcome: text('outcome').notNull(),
    detail: text('detail'),
  },
  (table) => [
    index('audit_events_at_idx').on(table.at),
    index('audit_events_object_idx').on(table.objectType, table.objectId),
    index('audit_events_actor_idx').on(table.actorUserId, table.at),
    check('audit_events_outcome', inList('outcome', auditOutcomes)),
  ],
);

export const agents = pgTable('agents', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** SHA-256 of its device token; for an enrolled computer `key:` and the SHA-256 of its public key. */
  deviceTokenHash: text('device_token_hash').notNull().unique(),
  publicKey: text('public_key').unique(),
  personId: text('person_id').references(() => persons.id),
  lastSeenAt: timestampMs('last_seen_at'),
  createdAt: createdAt(),
  enrolledAt: timestampMs('enrolled_at'),
  enrolmentCodeId: text('enrolment_code_id').references(() => agentEnrolmentCodes.id),
  enrolledByUserId: text('enrolled_by_user_id').references(() => users.id),
  revokedAt: timestampMs('revoked_at'),
  revokedByUserId: text('revoked_by_user_id').references(() => users.id),
});

export const agentEnrolmentCodes = pgTable(
  'agent_enrolment_codes',
  {
    id: text('id').primaryKey(),
    codeHash: text('code_hash').notNull(),
    computerName: text('computer_name'),
    usesAllowed: integer('uses_allowed').notNull(),
    uses: integer('uses').notNull().default(0),
    createdByUserId: text('created_by_user_id')
      .notNull()
      .references(() => users.id),
    createdAt: timestampMs('created_at').notNull(),
    expiresAt: timestampMs('expires_at').notNull(),
    withdrawnAt: timestampMs('withdrawn_at'),
  },
  (table) => [
    uniqueIndex('agent_enrolment_codes_code_hash_idx').on(table.codeHash),
    index('agent_enrolment_codes_created_idx').on(table.createdAt),
    check('agent_enrolment_codes_uses', sql`uses_allowed >= 1 and uses >= 0 and uses <= uses_allowed`),
  ],
);

export const agentChallenges = pgTable(
  'agent_challenges',
  {
    id: text('id').primaryKey(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id),
    challenge: text('challenge').notNull(),
    expiresAt: timestampMs('expires_at').notNull(),
  },
  (table) => [
    uniqueIndex('agent_challenges_challenge_idx').on(table.challenge),
    index('agent_challenges_expires_idx').on(table.expiresAt),
  ],
);

export const agentSessions = pgTable(
  'agent_sessions',
  {
    id: text('id').primaryKey(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id),
    connectedAt: timestampMs('connected_at').notNull(),
    disconnectedAt: timestampMs('disconnected_at'),
    remoteAddress: text('remote_address'),
    agentVersion: text('agent_version'),
    hostname: text('hostname'),
    os: text('os'),
  },
  (table) => [index('agent_sessions_agent_idx').on(table.agentId, table.connectedAt)],
);

export const jobs = pgTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    state: text('state').notNull().default('queued'),
    agentId: text('agent_id').references(() => agents.id),
    agentSessionId: text('agent_session_id').references(() => agentSessions.id),
    readerName: text('reader_name'),
    cardSerial: text('card_serial'),
    provenCardSerial: text('proven_card_serial'),
    reportedCardSerial: text('reported_card_serial'),
    personId: text('person_id').references(() => persons.id),
    createdByUserId: text('created_by_user_id').references(() => users.id),
    createdBySessionId: text('created_by_session_id'),
    retryOfJobId: text('retry_of_job_id'),
    authOrderId: text('auth_order_id'),
    assistedUnlockId: text('assisted_unlock_id'),
    eidOrderId: text('eid_order_id').references(() => orders.id),
    challenge: text('challenge'),
    issuedCertificates: text('issued_certificates'),
    /** What the card has proved in this job's exchanges so far, so any process can answer its next request. */
    exchangeProgress: text('exchange_progress'),
    currentStep: text('current_step'),
    progress: integer('progress').notNull().default(0),
    lastSequence: integer('last_sequence').notNull().default(0),
    /**
     * When the job fails unless something happens first (a step, its agent back, an offer answered): kept in
     * the row so that any server process can end a job whose own process died.
     */
    deadlineAt: timestampMs('deadline_at'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    createdAt: createdAt(),
    updatedAt: timestampMs('updated_at').notNull().default(nowMs),
    finishedAt: timestampMs('finished_at'),
  },
  (table) => [
    index('jobs_state_created_idx').on(table.state, table.createdAt),
    index('jobs_agent_idx').on(table.agentId),
    index('jobs_card_serial_idx').on(table.cardSerial),
    index('jobs_state_deadline_idx').on(table.state, table.deadlineAt),
    check('jobs_state', inList('state', jobStates)),
    check('jobs_progress', sql`${table.progress} between 0 and 100`),
    check(
      'jobs_finished',
      sql`(${table.state} in ('succeeded', 'failed', 'cancelled')) = (${table.finishedAt} is not null)`,
    ),
  ],
);

export const jobSteps = pgTable(
  'job_steps',
  {
    id: serialId(),
    jobId: text('job_id')
      .notNull()
      .references(() => jobs.id),
    sequence: integer('sequence').notNull(),
    step: text('step').notNull(),
    outcome: text('outcome').notNull(),
    detail: text('detail'),
    at: timestampMs('at').notNull(),
    durationMs: integer('duration_ms'),
    progress: integer('progress').notNull().default(0),
  },
  (table) => [
    uniqueIndex('job_steps_job_sequence_unique').on(table.jobId, table.sequence),
    check('job_steps_outcome', sql`${table.outcome} in ('started', 'succeeded', 'failed')`),
  ],
);

export const authOrders = pgTable(
  'auth_orders',
  {
    id: text('id').primaryKey(),
    purpose: text('purpose').notNull(),
    method: text('method').notNull(),
    state: text('state').notNull().default('pending'),
    collectSecretHash: text('collect_secret_hash').notNull(),
    qrStartToken: text('qr_start_token').unique(),
    qrStartSecret: text('qr_start_secret'),
    autoStartTokenHash: text('auto_start_token_hash').unique(),
    challenge: text('challenge').notNull(),
    expectedPersonId: text('expected_person_id').references(() => persons.id),
    cardId: text('card_id').references(() => cards.id),
    sessionId: text('session_id'),
    personId: text('person_id').references(() => persons.id),
    mobileDeviceId: text('mobile_device_id').references(() => mobileDevices.id),
    cardSerial: text('card_serial'),
    agentId: text('agent_id').references(() => agents.id),
    jobId: text('job_id'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    remoteAddress: text('remote_address'),
    createdAt: createdAt(),
    expiresAt: timestampMs('expires_at').notNull(),
    completedAt: timestampMs('completed_at'),
    statement: text('statement'),
    /** Base64: the signature over the statement's UTF-8 bytes, and the DER certificate whose key made it. */
    signature: text('signature'),
    signerCertificate: text('signer_certificate'),
  },
  (table) => [
    index('auth_orders_state_expires_idx').on(table.state, table.expiresAt),
    check('auth_orders_purpose', inList('purpose', authOrderPurposes)),
    check('auth_orders_method', inList('method', authOrderMethods)),
    check('auth_orders_state', inList('state', authOrderStates)),
  ],
);

export const mobileEnrolments = pgTable(
  'mobile_enrolments',
  {
    id: text('id').primaryKey(),
    personId: text('person_id')
      .notNull()
      .references(() => persons.id),
    tokenHash: text('token_hash').notNull().unique(),
    sessionId: text('session_id').notNull(),
    createdAt: createdAt(),
    expiresAt: timestampMs('expires_at').notNull(),
    usedAt: timestampMs('used_at'),
    mobileDeviceId: text('mobile_device_id').references(() => mobileDevices.id),
  },
  (table) => [index('mobile_enrolments_person_idx').on(table.personId, table.createdAt)],
);

export const certificateAuthorities = pgTable('certificate_authorities', {
  id: text('id').primaryKey(),
  parentId: text('parent_id'),
  name: text('name').notNull(),
  certificatePem: text('certificate_pem').notNull(),
  encryptedPrivateKey: text('encrypted_private_key').notNull(),
  nextCrlNumber: integer('next_crl_number').notNull().default(1),
  createdAt: createdAt(),
});

export const mailOutbox = pgTable(
  'mail_outbox',
  {
    id: serialId(),
    recipient: text('recipient').notNull(),
    subject: text('subject').notNull(),
    textBody: text('text_body').notNull(),
    htmlBody: text('html_body'),
    createdAt: createdAt(),
    sentAt: timestampMs('sent_at'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    nextAttemptAt: timestampMs('next_attempt_at'),
  },
  (table) => [index('mail_outbox_unsent_idx').on(table.sentAt, table.createdAt)],
);

export const signedDecisions = pgTable(
  'signed_decisions',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    objectType: text('object_type').notNull(),
    objectId: text('object_id').notNull(),
    statement: text('statement').notNull(),
    signature: text('signature').notNull(),
    certificateDer: text('certificate_der').notNull(),
    signerUserId: text('signer_user_id')
      .notNull()
      .references(() => users.id),
    signerPersonId: text('signer_person_id')
      .notNull()
      .references(() => persons.id),
    method: text('method').notNull(),
    credential: text('credential').notNull(),
    authOrderId: text('auth_order_id')
      .notNull()
      .unique()
      .references(() => authOrders.id),
    auditEventId: bigint('audit_event_id', { mode: 'number' }).references(() => auditEvents.id),
    signedAt: timestampMs('signed_at').notNull(),
  },
  (table) => [
    index('signed_decisions_object_idx').on(table.objectType, table.objectId),
    check('signed_decisions_kind', inList('kind', signedDecisionKinds)),
    check('signed_decisions_method', inList('method', authOrderMethods)),
  ],
);

export const directorySyncRuns = pgTable(
  'directory_sync_runs',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    mode: text('mode').notNull(),
    state: text('state').notNull(),
    startedByUserId: text('started_by_user_id').references(() => users.id),
    personsModifiedSince: text('persons_modified_since'),
    newestModifyTimestamp: text('newest_modify_timestamp'),
    resumeAfterHsaId: text('resume_after_hsa_id'),
    counts: text('counts').notNull().default('{}'),
    report: text('report').notNull().default('{}'),
    faultCode: text('fault_code'),
    faultMessage: text('fault_message'),
    startedAt: timestampMs('started_at').notNull(),
    heartbeatAt: timestampMs('heartbeat_at').notNull(),
    finishedAt: timestampMs('finished_at'),
  },
  (table) => [
    index('directory_sync_runs_started_idx').on(table.startedAt),
    uniqueIndex('directory_sync_runs_one_running').on(table.state).where(sql`${table.state} = 'running'`),
    check('directory_sync_runs_kind', inList('kind', directorySyncKinds)),
    check('directory_sync_runs_mode', inList('mode', directorySyncModes)),
    check('directory_sync_runs_state', inList('state', directorySyncStates)),
  ],
);

export const reminderDeliveries = pgTable(
  'reminder_deliveries',
  {
    kind: text('kind').notNull(),
    subjectId: text('subject_id').notNull(),
    period: text('period').notNull(),
    mailId: bigint('mail_id', { mode: 'number' }).references(() => mailOutbox.id),
    sentAt: timestampMs('sent_at').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.kind, table.subjectId, table.period] }),
    check('reminder_deliveries_kind', inList('kind', reminderKinds)),
  ],
);

/**
 * One-time codes the SITHS eID-app shows on "Få hjälp av support". Only an HMAC of the code is kept; a code
 * names the agent connection it was asked on and is spent when a staff member pairs with it.
 */
export const supportCodes = pgTable(
  'support_codes',
  {
    id: text('id').primaryKey(),
    codeHash: text('code_hash').notNull(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id),
    agentSessionId: text('agent_session_id')
      .notNull()
      .references(() => agentSessions.id),
    createdAt: timestampMs('created_at').notNull(),
    expiresAt: timestampMs('expires_at').notNull(),
    usedAt: timestampMs('used_at'),
  },
  (table) => [
    uniqueIndex('support_codes_code_hash_idx').on(table.codeHash),
    index('support_codes_agent_session_idx').on(table.agentSessionId),
  ],
);

/** A staff member paired with a user's agent by its support code, the identity check and the unlock job. */
export const assistedUnlocks = pgTable(
  'assisted_unlocks',
  {
    id: text('id').primaryKey(),
    supportCodeId: text('support_code_id')
      .notNull()
      .references(() => supportCodes.id),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id),
    agentSessionId: text('agent_session_id')
      .notNull()
      .references(() => agentSessions.id),
    personId: text('person_id')
      .notNull()
      .references(() => persons.id),
    staffUserId: text('staff_user_id')
      .notNull()
      .references(() => users.id),
    state: text('state').notNull(),
    pairedAt: timestampMs('paired_at').notNull(),
    identityCheckMethod: text('identity_check_method'),
    documentType: text('document_type'),
    /** The last four characters of the document's number: enough to say which document, no more. */
    documentNumberEnd: text('document_number_end'),
    identityCheckedAt: timestampMs('identity_checked_at'),
    cardId: text('card_id').references(() => cards.id),
    endedAt: timestampMs('ended_at'),
  },
  (table) => [
    index('assisted_unlocks_person_idx').on(table.personId, table.pairedAt),
    check('assisted_unlocks_state', inList('state', assistedUnlockStates)),
    check(
      'assisted_unlocks_method',
      sql`identity_check_method is null or ${inList('identity_check_method', identityCheckMethods)}`,
    ),
  ],
);
