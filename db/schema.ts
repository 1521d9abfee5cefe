import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
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
  identityDocumentTypes,
  loginMethods,
  mobileDeviceStates,
  orderStates,
  orderTypes,
  passwordLoginKinds,
  reminderKinds,
  signedDecisionKinds,
  staffRoles,
} from '../protocol/domain-values';
import { jobStates } from '../protocol/jobs';

// The value sets live in protocol/domain-values.ts (UI code imports them from there); re-exported for db/.
export * from '../protocol/domain-values';

const inList = (column: string, values: readonly string[]) =>
  sql.raw(`${column} in (${values.map((value) => `'${value}'`).join(', ')})`);

const createdAt = () =>
  integer('created_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`);

/** A node of the HSA tree: an organisation at the root, care units below it. */
export const units = sqliteTable(
  'units',
  {
    id: text('id').primaryKey(),
    hsaId: text('hsa_id').notNull().unique(),
    name: text('name').notNull(),
    parentId: text('parent_id').references((): ReturnType<typeof text> => units.id as never),
    organisation: text('organisation').notNull(),
    lowStockThreshold: integer('low_stock_threshold').notNull().default(5),
    /** Set when a low-stock reminder went out; cleared when the stock is back at the threshold (once per crossing). */
    lowStockRemindedAt: integer('low_stock_reminded_at', { mode: 'timestamp_ms' }),
    /** The directory sync run that last wrote the unit; null for units that never came from the directory. */
    lastSeenSyncRunId: text('last_seen_sync_run_id'),
    /** A full sync no longer found the unit in the directory; the unit is kept with its history. */
    goneFromDirectoryAt: integer('gone_from_directory_at', { mode: 'timestamp_ms' }),
    createdAt: createdAt(),
  },
  (table) => [
    index('units_parent_idx').on(table.parentId),
    check('units_low_stock_threshold_non_negative', sql`${table.lowStockThreshold} >= 0`),
  ],
);

export const persons = sqliteTable(
  'persons',
  {
    id: text('id').primaryKey(),
    hsaId: text('hsa_id').notNull().unique(),
    personalIdentityNumber: text('personal_identity_number').unique(),
    givenName: text('given_name').notNull(),
    surname: text('surname').notNull(),
    email: text('email'),
    /** Skyddade personuppgifter: personnummer, e-mail and units only for holders of protected_identity_viewer. */
    protectedIdentity: integer('protected_identity', { mode: 'boolean' }).notNull().default(sql`0`),
    /** The directory no longer holds the person (they left the region); nothing of theirs is deleted. */
    leftAt: integer('left_at', { mode: 'timestamp_ms' }),
    /** The directory sync run that last wrote the person; null for persons who never came from the directory. */
    lastSeenSyncRunId: text('last_seen_sync_run_id'),
    createdAt: createdAt(),
  },
  // No check on protected_identity: a new check means rebuilding persons on SQLite, which half the tables reference.
  (table) => [
    index('persons_left_idx').on(table.leftAt),
    // With the id, a name search reads the index alone.
    index('persons_name_idx').on(table.surname, table.givenName, table.id),
    check(
      'persons_personal_identity_number_format',
      sql`${table.personalIdentityNumber} is null or (length(${table.personalIdentityNumber}) = 12 and ${table.personalIdentityNumber} not glob '*[^0-9]*')`,
    ),
  ],
);

export const personUnits = sqliteTable(
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

/** A dashboard or Mina sidor account. Staff usually log in with their SITHS eID; a password exists only for some. */
export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    personId: text('person_id')
      .unique()
      .references(() => persons.id),
    username: text('username').notNull().unique(),
    displayName: text('display_name').notNull(),
    passwordHash: text('password_hash'),
    /** Null: this account has no password login, whatever its hash (staff log in with their SITHS eID). */
    passwordLogin: text('password_login', { enum: passwordLoginKinds }),
    disabledAt: integer('disabled_at', { mode: 'timestamp_ms' }),
    createdAt: createdAt(),
  },
  // No check on password_login: adding one means rebuilding users on SQLite, whose drop cascades to sessions.
  (table) => [check('users_username_lowercase', sql`${table.username} = lower(${table.username})`)],
);

export const staffRoleAssignments = sqliteTable(
  'staff_role_assignments',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: staffRoles }).notNull(),
    /** Null for roles that are not tied to one unit (support, system admin, ID-administrator of the whole region). */
    unitId: text('unit_id').references(() => units.id),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('staff_role_assignments_unique').on(table.userId, table.role, table.unitId),
    // SQLite treats NULLs as distinct, so global roles need their own unique index.
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

export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: integer('expires_at').notNull(),
    loginMethod: text('login_method', { enum: loginMethods }).notNull().default('password'),
    /** The card serial or mobile device the session was opened with, when it was a SITHS eID login. */
    loginCredential: text('login_credential'),
  },
  (table) => [
    index('sessions_user_idx').on(table.userId),
    index('sessions_login_credential_idx').on(table.loginCredential),
    check('sessions_login_method', inList('login_method', loginMethods)),
  ],
);

export const cards = sqliteTable(
  'cards',
  {
    id: text('id').primaryKey(),
    serial: text('serial').notNull().unique(),
    kind: text('kind', { enum: cardKinds }).notNull(),
    productCode: text('product_code').notNull(),
    trustLevel: integer('trust_level').notNull(),
    state: text('state', { enum: cardStates }).notNull(),
    holderPersonId: text('holder_person_id').references(() => persons.id),
    /** The unit whose stock a reserve card belongs to; for ordinary cards, the unit that ordered it. */
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    validFrom: integer('valid_from', { mode: 'timestamp_ms' }).notNull(),
    validTo: integer('valid_to', { mode: 'timestamp_ms' }).notNull(),
    createdAt: createdAt(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' })
      .notNull()
      .default(sql`(unixepoch('subsec') * 1000)`),
  },
  (table) => [
    index('cards_unit_state_idx').on(table.unitId, table.state),
    index('cards_holder_idx').on(table.holderPersonId),
    check('cards_serial_format', sql`length(${table.serial}) = 19 and ${table.serial} not glob '*[^0-9]*'`),
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

/** A Mobile SITHS eID: a phone with its device key. */
export const mobileDevices = sqliteTable(
  'mobile_devices',
  {
    id: text('id').primaryKey(),
    personId: text('person_id')
      .notNull()
      .references(() => persons.id),
    name: text('name').notNull(),
    publicKeySpki: text('public_key_spki').notNull(),
    trustLevel: integer('trust_level').notNull(),
    state: text('state', { enum: mobileDeviceStates }).notNull().default('active'),
    validTo: integer('valid_to', { mode: 'timestamp_ms' }).notNull(),
    /** scrypt hash of the user's Mobile SITHS code ("legitimeringskod"); null until the device is enrolled here. */
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

/** A certificate (SITHS eID) on a card or on a Mobile SITHS device. */
export const eids = sqliteTable(
  'eids',
  {
    id: text('id').primaryKey(),
    /** Null only for a transport certificate on a reserve card that nobody holds yet. */
    personId: text('person_id').references(() => persons.id),
    cardId: text('card_id').references(() => cards.id),
    mobileDeviceId: text('mobile_device_id').references(() => mobileDevices.id),
    purpose: text('purpose', { enum: eidPurposes }).notNull(),
    issuingCa: text('issuing_ca').notNull(),
    certificateSerial: text('certificate_serial').notNull(),
    certificatePem: text('certificate_pem'),
    trustLevel: integer('trust_level').notNull(),
    state: text('state', { enum: eidStates }).notNull().default('active'),
    validFrom: integer('valid_from', { mode: 'timestamp_ms' }).notNull(),
    validTo: integer('valid_to', { mode: 'timestamp_ms' }).notNull(),
    revokedAt: integer('revoked_at', { mode: 'timestamp_ms' }),
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

export const orders = sqliteTable(
  'orders',
  {
    id: text('id').primaryKey(),
    type: text('type', { enum: orderTypes }).notNull(),
    state: text('state', { enum: orderStates }).notNull().default('placed'),
    personId: text('person_id')
      .notNull()
      .references(() => persons.id),
    unitId: text('unit_id')
      .notNull()
      .references(() => units.id),
    placedByUserId: text('placed_by_user_id')
      .notNull()
      .references(() => users.id),
    /** The reserve card a contact person activated for this order in the portal. */
    cardId: text('card_id').references(() => cards.id),
    createdAt: createdAt(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' })
      .notNull()
      .default(sql`(unixepoch('subsec') * 1000)`),
  },
  // Filter indexes that a page reads alone on PostgreSQL end with its tie-breaker, the id (SQLite's rowid
  // is in every index).
  (table) => [
    index('orders_unit_created_idx').on(table.unitId, table.createdAt),
    index('orders_state_created_idx').on(table.state, table.createdAt, table.id),
    // Also covers a search's count and date order (unit, date): a search drives the list from persons.
    index('orders_person_idx').on(
      table.personId,
      table.type,
      table.state,
      table.unitId,
      table.createdAt,
      table.id,
    ),
    index('orders_placed_by_idx').on(table.placedByUserId, table.unitId, table.createdAt, table.id),
    // The order list: walked in date order with its filter columns at hand (large result sets), and the
    // counts and small result sets of a unit subtree by state and type. See db/order-list.ts.
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

export const orderEvents = sqliteTable(
  'order_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orderId: text('order_id')
      .notNull()
      .references(() => orders.id),
    actorUserId: text('actor_user_id').references(() => users.id),
    fromState: text('from_state', { enum: orderStates }),
    toState: text('to_state', { enum: orderStates }).notNull(),
    note: text('note'),
    at: integer('at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
  },
  (table) => [index('order_events_order_idx').on(table.orderId, table.at)],
);

/** Append-only: triggers in the migrations refuse UPDATE and DELETE. */
export const auditEvents = sqliteTable(
  'audit_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
    actorUserId: text('actor_user_id').references(() => users.id),
    actorLabel: text('actor_label').notNull(),
    action: text('action').notNull(),
    objectType: text('object_type').notNull(),
    objectId: text('object_id'),
    unitId: text('unit_id').references(() => units.id),
    outcome: text('outcome', { enum: auditOutcomes }).notNull(),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>(),
  },
  (table) => [
    index('audit_events_at_idx').on(table.at),
    index('audit_events_object_idx').on(table.objectType, table.objectId),
    index('audit_events_actor_idx').on(table.actorUserId, table.at),
    check('audit_events_outcome', inList('outcome', auditOutcomes)),
  ],
);

/**
 * A computer with the SITHS eID-app. It proves itself with a device key pair registered at enrolment (the
 * public key, SPKI DER in base64), or, for the demo and tests, a device token.
 */
export const agents = sqliteTable('agents', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** SHA-256 of its device token; for an enrolled computer `key:` and the SHA-256 of its public key. */
  deviceTokenHash: text('device_token_hash').notNull().unique(),
  publicKey: text('public_key').unique(),
  personId: text('person_id').references(() => persons.id),
  lastSeenAt: integer('last_seen_at', { mode: 'timestamp_ms' }),
  createdAt: createdAt(),
  enrolledAt: integer('enrolled_at', { mode: 'timestamp_ms' }),
  enrolmentCodeId: text('enrolment_code_id').references(() => agentEnrolmentCodes.id),
  enrolledByUserId: text('enrolled_by_user_id').references(() => users.id),
  revokedAt: integer('revoked_at', { mode: 'timestamp_ms' }),
  revokedByUserId: text('revoked_by_user_id').references(() => users.id),
});

/**
 * A code that lets one computer (or, for a software-distribution rollout, up to `usesAllowed` computers)
 * enrol: stored only as an HMAC, valid until `expiresAt`, used up or withdrawn.
 */
export const agentEnrolmentCodes = sqliteTable(
  'agent_enrolment_codes',
  {
    id: text('id').primaryKey(),
    codeHash: text('code_hash').notNull(),
    /** The computer's name for a single code; null for a batch, whose computers are named by their host name. */
    computerName: text('computer_name'),
    usesAllowed: integer('uses_allowed').notNull(),
    uses: integer('uses').notNull().default(0),
    createdByUserId: text('created_by_user_id')
      .notNull()
      .references(() => users.id),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    withdrawnAt: integer('withdrawn_at', { mode: 'timestamp_ms' }),
  },
  (table) => [
    uniqueIndex('agent_enrolment_codes_code_hash_idx').on(table.codeHash),
    index('agent_enrolment_codes_created_idx').on(table.createdAt),
    check('agent_enrolment_codes_uses', sql`uses_allowed >= 1 and uses >= 0 and uses <= uses_allowed`),
  ],
);

/** A one-time challenge an enrolled computer signs with its device key to connect; spent on use. */
export const agentChallenges = sqliteTable(
  'agent_challenges',
  {
    id: text('id').primaryKey(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id),
    challenge: text('challenge').notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [
    uniqueIndex('agent_challenges_challenge_idx').on(table.challenge),
    index('agent_challenges_expires_idx').on(table.expiresAt),
  ],
);

export const agentSessions = sqliteTable(
  'agent_sessions',
  {
    id: text('id').primaryKey(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id),
    connectedAt: integer('connected_at', { mode: 'timestamp_ms' }).notNull(),
    disconnectedAt: integer('disconnected_at', { mode: 'timestamp_ms' }),
    remoteAddress: text('remote_address'),
    agentVersion: text('agent_version'),
    hostname: text('hostname'),
    os: text('os'),
  },
  (table) => [index('agent_sessions_agent_idx').on(table.agentId, table.connectedAt)],
);

export const jobs = sqliteTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    state: text('state', { enum: jobStates }).notNull().default('queued'),
    agentId: text('agent_id').references(() => agents.id),
    /** The connection the job was dispatched on; a job only accepts reports from that agent. */
    agentSessionId: text('agent_session_id').references(() => agentSessions.id),
    readerName: text('reader_name'),
    /** The card the server assigned to the job (unlock, activation); never taken from the agent's word. */
    cardSerial: text('card_serial'),
    /** The card that signed this job's challenge with its own key: the only other serial the job may act on. */
    provenCardSerial: text('proven_card_serial'),
    /** The serial the agent says it read: shown to support as reported, never used to change a card. */
    reportedCardSerial: text('reported_card_serial'),
    personId: text('person_id').references(() => persons.id),
    createdByUserId: text('created_by_user_id').references(() => users.id),
    /** The login session that created the job: the job runs only with that authorisation. */
    createdBySessionId: text('created_by_session_id'),
    retryOfJobId: text('retry_of_job_id'),
    /** The Mina sidor order (login, unlock, activation) that started this job through its start token. */
    authOrderId: text('auth_order_id'),
    /** The assisted unlock (a staff member with the user on the phone) this unlock job belongs to. */
    assistedUnlockId: text('assisted_unlock_id'),
    /** The SITHS eID order an activation fulfils. */
    eidOrderId: text('eid_order_id').references(() => orders.id),
    /** Random bytes (base64url) the card signs to prove itself in this job. */
    challenge: text('challenge'),
    /** Certificates issued during an activation, registered only when the card has them all (JSON). */
    issuedCertificates: text('issued_certificates', { mode: 'json' }).$type<IssuedCardCertificates>(),
    /** What the card has proved in this job's exchanges so far, so any process can answer its next request. */
    exchangeProgress: text('exchange_progress', { mode: 'json' }).$type<JobExchangeProgress>(),
    currentStep: text('current_step'),
    progress: integer('progress').notNull().default(0),
    lastSequence: integer('last_sequence').notNull().default(0),
    /**
     * When the job fails unless something happens first (a step, its agent back, an offer answered): kept in
     * the row so that any server process can end a job whose own process died.
     */
    deadlineAt: integer('deadline_at', { mode: 'timestamp_ms' }),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' })
      .notNull()
      .default(sql`(unixepoch('subsec') * 1000)`),
    finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
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

export const jobSteps = sqliteTable(
  'job_steps',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    jobId: text('job_id')
      .notNull()
      .references(() => jobs.id),
    sequence: integer('sequence').notNull(),
    step: text('step').notNull(),
    /** started, succeeded or failed. */
    outcome: text('outcome').notNull(),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
    durationMs: integer('duration_ms'),
    progress: integer('progress').notNull().default(0),
  },
  (table) => [
    uniqueIndex('job_steps_job_sequence_unique').on(table.jobId, table.sequence),
    check('job_steps_outcome', sql`${table.outcome} in ('started', 'succeeded', 'failed')`),
  ],
);

/** A job's exchanges so far: kept in its row, not in the memory of the process that answered them. */
export interface JobExchangeProgress {
  /** The reserve card proved itself with its transport key for this activation. */
  activationProven?: boolean;
  /** The reserve card (its id) that registered in this registration login. */
  registeredCardId?: string;
}

/** The certificates an activation has issued and not yet registered: DER, base64. */
export interface IssuedCardCertificates {
  authentication: string;
  signature: string;
  cardAuthentication: string;
}

/**
 * A Mina sidor authentication in progress. The browser that started it holds `collectSecret` in a cookie
 * (only its hash is here); Mobile SITHS reads `qrStartToken` from the animated QR code, whose HMAC key is
 * `qrStartSecret`; the card-agent on the user's computer claims it with `autoStartToken`.
 */
export const authOrders = sqliteTable(
  'auth_orders',
  {
    id: text('id').primaryKey(),
    purpose: text('purpose', { enum: authOrderPurposes }).notNull(),
    method: text('method', { enum: authOrderMethods }).notNull(),
    state: text('state', { enum: authOrderStates }).notNull().default('pending'),
    collectSecretHash: text('collect_secret_hash').notNull(),
    qrStartToken: text('qr_start_token').unique(),
    qrStartSecret: text('qr_start_secret'),
    autoStartTokenHash: text('auto_start_token_hash').unique(),
    /** Base64url random bytes the Mobile SITHS device or the card signs. */
    challenge: text('challenge').notNull(),
    /** For a re-authentication or a card job: the person who must be the one proving. */
    expectedPersonId: text('expected_person_id').references(() => persons.id),
    /** For unlock and activation: the card the job is for. */
    cardId: text('card_id').references(() => cards.id),
    /** The login session that asked (unlock, activation, re-authentication). */
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
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    completedAt: integer('completed_at', { mode: 'timestamp_ms' }),
    /** For sign_decision: the statement shown to and signed by the decider. */
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

/** "Hämta Mobilt SITHS": a single-use enrolment QR, valid 15 minutes, for the person logged in with a card. */
export const mobileEnrolments = sqliteTable(
  'mobile_enrolments',
  {
    id: text('id').primaryKey(),
    personId: text('person_id')
      .notNull()
      .references(() => persons.id),
    tokenHash: text('token_hash').notNull().unique(),
    sessionId: text('session_id').notNull(),
    createdAt: createdAt(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    usedAt: integer('used_at', { mode: 'timestamp_ms' }),
    mobileDeviceId: text('mobile_device_id').references(() => mobileDevices.id),
  },
  (table) => [index('mobile_enrolments_person_idx').on(table.personId, table.createdAt)],
);

/**
 * The test root and issuing CAs (SITHS-like). The private key is PKCS#8, encrypted with AES-256-GCM under
 * a key derived from the server master key: base64 of iv | tag | ciphertext.
 */
export const certificateAuthorities = sqliteTable('certificate_authorities', {
  id: text('id').primaryKey(),
  parentId: text('parent_id'),
  name: text('name').notNull(),
  certificatePem: text('certificate_pem').notNull(),
  encryptedPrivateKey: text('encrypted_private_key').notNull(),
  nextCrlNumber: integer('next_crl_number').notNull().default(1),
  createdAt: createdAt(),
});

/** Transactional outbox: a mail is written with the change that causes it and sent afterwards. */
export const mailOutbox = sqliteTable(
  'mail_outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    recipient: text('recipient').notNull(),
    subject: text('subject').notNull(),
    textBody: text('text_body').notNull(),
    htmlBody: text('html_body'),
    createdAt: createdAt(),
    sentAt: integer('sent_at', { mode: 'timestamp_ms' }),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /** When the sender may try again after a failure; null: at once. */
    nextAttemptAt: integer('next_attempt_at', { mode: 'timestamp_ms' }),
  },
  (table) => [index('mail_outbox_unsent_idx').on(table.sentAt, table.createdAt)],
);

/**
 * A decision confirmed with the decider's own signature: the statement they saw, the signature over its
 * UTF-8 bytes and the certificate whose key made it, kept next to the audit event of the decision.
 */
export const signedDecisions = sqliteTable(
  'signed_decisions',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: signedDecisionKinds }).notNull(),
    /** What was decided on: an order, an eID holder (card or Mobile SITHS device), a role assignment. */
    objectType: text('object_type').notNull(),
    objectId: text('object_id').notNull(),
    statement: text('statement').notNull(),
    /** Base64. RSA PKCS#1 v1.5 SHA-256 (card) or ECDSA P-256 SHA-256 in IEEE P1363 form (Mobile SITHS). */
    signature: text('signature').notNull(),
    certificateDer: text('certificate_der').notNull(),
    signerUserId: text('signer_user_id')
      .notNull()
      .references(() => users.id),
    signerPersonId: text('signer_person_id')
      .notNull()
      .references(() => persons.id),
    method: text('method', { enum: authOrderMethods }).notNull(),
    /** The card serial or Mobile SITHS device id that signed. */
    credential: text('credential').notNull(),
    authOrderId: text('auth_order_id')
      .notNull()
      .unique()
      .references(() => authOrders.id),
    auditEventId: integer('audit_event_id').references(() => auditEvents.id),
    signedAt: integer('signed_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (table) => [
    index('signed_decisions_object_idx').on(table.objectType, table.objectId),
    check('signed_decisions_kind', inList('kind', signedDecisionKinds)),
    check('signed_decisions_method', inList('method', authOrderMethods)),
  ],
);

/**
 * One run of the directory sync: what it read, how far it got (a run is applied one transaction per batch,
 * persons in HSA-id order, so an interrupted run resumes after `resumeAfterHsaId`) and what it found.
 */
export const directorySyncRuns = sqliteTable(
  'directory_sync_runs',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: directorySyncKinds }).notNull(),
    mode: text('mode', { enum: directorySyncModes }).notNull(),
    state: text('state', { enum: directorySyncStates }).notNull(),
    /** Null: started by the schedule. */
    startedByUserId: text('started_by_user_id').references(() => users.id),
    /** The watermark this run read from (incremental); null for a full read. */
    personsModifiedSince: text('persons_modified_since'),
    /** The newest modifyTimestamp the run read: the next incremental run's watermark once this one completed. */
    newestModifyTimestamp: text('newest_modify_timestamp'),
    resumeAfterHsaId: text('resume_after_hsa_id'),
    /** JSON: counts of new, changed, moved, left, returned, invalid... */
    counts: text('counts').notNull().default('{}'),
    /** JSON: the changes and problems to show (capped; the counts are complete). */
    report: text('report').notNull().default('{}'),
    faultCode: text('fault_code'),
    faultMessage: text('fault_message'),
    startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull(),
    /** Written after every batch: a running run whose heartbeat is old belongs to a process that died. */
    heartbeatAt: integer('heartbeat_at', { mode: 'timestamp_ms' }).notNull(),
    finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
  },
  (table) => [
    index('directory_sync_runs_started_idx').on(table.startedAt),
    // One run at a time, across every server process.
    uniqueIndex('directory_sync_runs_one_running').on(table.state).where(sql`${table.state} = 'running'`),
    check('directory_sync_runs_kind', inList('kind', directorySyncKinds)),
    check('directory_sync_runs_mode', inList('mode', directorySyncModes)),
    check('directory_sync_runs_state', inList('state', directorySyncStates)),
  ],
);

/**
 * A reminder that went out (or was held back: no e-mail, protected identity), once per kind, subject and
 * period: the primary key settles it when several processes run the reminder sweep.
 */
export const reminderDeliveries = sqliteTable(
  'reminder_deliveries',
  {
    kind: text('kind', { enum: reminderKinds }).notNull(),
    /** The eID, card, unit, order or staff member the reminder is about. */
    subjectId: text('subject_id').notNull(),
    /** What makes a reminder new: an expiry date, a week, a crossing. */
    period: text('period').notNull(),
    /** Null when no mail was queued; the audit entry says why. */
    mailId: integer('mail_id').references(() => mailOutbox.id),
    sentAt: integer('sent_at', { mode: 'timestamp_ms' }).notNull(),
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
export const supportCodes = sqliteTable(
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
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    usedAt: integer('used_at', { mode: 'timestamp_ms' }),
  },
  (table) => [
    uniqueIndex('support_codes_code_hash_idx').on(table.codeHash),
    index('support_codes_agent_session_idx').on(table.agentSessionId),
  ],
);

/** A staff member paired with a user's agent by its support code, the identity check and the unlock job. */
export const assistedUnlocks = sqliteTable(
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
    state: text('state', { enum: assistedUnlockStates }).notNull(),
    pairedAt: integer('paired_at', { mode: 'timestamp_ms' }).notNull(),
    identityCheckMethod: text('identity_check_method', { enum: identityCheckMethods }),
    documentType: text('document_type', { enum: identityDocumentTypes }),
    /** The last four characters of the document's number: enough to say which document, no more. */
    documentNumberEnd: text('document_number_end'),
    identityCheckedAt: integer('identity_checked_at', { mode: 'timestamp_ms' }),
    cardId: text('card_id').references(() => cards.id),
    endedAt: integer('ended_at', { mode: 'timestamp_ms' }),
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
