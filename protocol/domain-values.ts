/**
 * The value sets of the domain (roles, states, kinds, purposes), with no dependency: the database schema builds
 * its CHECK constraints from them and UI code imports them from here, never from db/schema.
 */
/**
 * `protected_identity_viewer` may see the personnummer, e-mail and units of persons with a protected identity.
 * `unlock_assistant` is given to support staff who may unlock a card with the user on the phone (an
 * ID-administrator may without it).
 */
export const staffRoles = [
  'manager',
  'contact_person',
  'id_admin',
  'support',
  'system_admin',
  'protected_identity_viewer',
  'unlock_assistant',
] as const;
export type StaffRole = (typeof staffRoles)[number];

export const cardKinds = ['ordinary', 'reserve'] as const;
export type CardKind = (typeof cardKinds)[number];

export const cardStates = ['in_stock', 'assigned', 'active', 'locked', 'revoked', 'expired'] as const;
export type CardState = (typeof cardStates)[number];

export const eidStates = ['active', 'revoked', 'expired'] as const;
export type EidState = (typeof eidStates)[number];

/** `card_authentication` is the PIV 9E key that proves a card without its PIN (unlock). */
export const eidPurposes = ['authentication', 'signature', 'card_authentication', 'transport'] as const;
export type EidPurpose = (typeof eidPurposes)[number];

export const mobileDeviceStates = ['active', 'revoked'] as const;

export const orderTypes = ['eid_on_card', 'reserve_card_loa2', 'reserve_card_loa3', 'mobile'] as const;
export type OrderType = (typeof orderTypes)[number];

export const orderStates = [
  'placed',
  'awaiting_second_approval',
  'ready',
  'fulfilled',
  'cancelled',
  'expired',
] as const;
export type OrderState = (typeof orderStates)[number];

export const loginMethods = ['password', 'mobile_siths', 'card'] as const;

/**
 * Why a SITHS eID is asked to prove itself: a Mina sidor login, the Mobile SITHS re-authentication before
 * a card is unlocked, the card's registration before a reserve card is activated, and the two card jobs
 * started from Mina sidor (unlock, activation) that reach the agent through the same start token.
 */
export const authOrderPurposes = [
  'login',
  'unlock_reauth',
  'reserve_registration',
  'unlock',
  'activate',
  /** A staff member signs the statement of a decision (second approval, revocation, role grant). */
  'sign_decision',
] as const;
export type AuthOrderPurpose = (typeof authOrderPurposes)[number];

export const authOrderMethods = ['mobile_siths', 'card'] as const;
export type AuthOrderMethod = (typeof authOrderMethods)[number];

export const authOrderStates = [
  'pending',
  'scanned',
  'completed',
  'failed',
  'cancelled',
  'expired',
  'collected',
] as const;
export type AuthOrderState = (typeof authOrderStates)[number];
export type LoginMethod = (typeof loginMethods)[number];

/** Why an account may log in with a password at all: break-glass, or a demo account (only with demo accounts on). */
export const passwordLoginKinds = ['break_glass', 'demo'] as const;
export type PasswordLoginKind = (typeof passwordLoginKinds)[number];

/** The decisions a staff member confirms by signing a statement with their own SITHS eID. */
export const signedDecisionKinds = ['order_second_approval', 'revocation', 'role_grant'] as const;
export type SignedDecisionKind = (typeof signedDecisionKinds)[number];

export const auditOutcomes = ['success', 'refused', 'failed'] as const;
export type AuditOutcome = (typeof auditOutcomes)[number];
export const revocationReasons = [
  'lost',
  'stolen',
  'compromised',
  'employment_ended',
  'incorrect_data',
  'replaced',
] as const;

export type RevocationReason = (typeof revocationReasons)[number];

export function isRevocationReason(value: unknown): value is RevocationReason {
  return typeof value === 'string' && (revocationReasons as readonly string[]).includes(value);
}

/** A full run reads every person (and finds who left); an incremental one those changed since the last run. */
export const directorySyncKinds = ['full', 'incremental'] as const;
export type DirectorySyncKind = (typeof directorySyncKinds)[number];

/** A preview computes the changes and writes none of them; an apply writes them, one transaction per batch. */
export const directorySyncModes = ['preview', 'apply'] as const;
export type DirectorySyncMode = (typeof directorySyncModes)[number];

/** `interrupted`: stopped between batches (process ended, directory lost); the next run resumes it. */
export const directorySyncStates = ['running', 'completed', 'failed', 'interrupted'] as const;
export type DirectorySyncState = (typeof directorySyncStates)[number];

/** The reminders the card office sends; each is sent once per subject and period. */
export const reminderKinds = [
  'eid_expiring',
  'card_expiring',
  'expiry_digest',
  'reserve_stock_low',
  'order_expiring',
  'reserve_card_not_activated',
] as const;
export type ReminderKind = (typeof reminderKinds)[number];

/** How a staff member checked the identity of the user on the phone before an assisted unlock. */
export const identityCheckMethods = ['id_document', 'video_call'] as const;
export type IdentityCheckMethod = (typeof identityCheckMethods)[number];

export const identityDocumentTypes = [
  'passport',
  'national_id_card',
  'driving_licence',
  'service_id_card',
] as const;
export type IdentityDocumentType = (typeof identityDocumentTypes)[number];

/** An assisted unlock: paired with the user's agent by their support code, then one unlock job. */
export const assistedUnlockStates = ['paired', 'running', 'succeeded', 'failed', 'ended'] as const;
export type AssistedUnlockState = (typeof assistedUnlockStates)[number];
