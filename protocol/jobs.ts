import { z } from 'zod';
import { isSafeText } from './safe-text';

/**
 * Card jobs: what the server asks an agent to do with a card, and every step the agent reports back.
 * The server, the support browser and the agent all use these definitions.
 */
export const jobKinds = ['card_check', 'authenticate', 'unlock', 'activate'] as const;
export type JobKind = (typeof jobKinds)[number];

/** Step names in the order a job passes them. A job reports each step once per attempt. */
export const jobSteps = {
  card_check: ['reader_found', 'card_present', 'card_read', 'waiting_for_user', 'card_verified'],
  /**
   * card_registered only when a reserve card registers before its activation; statement_signed instead of
   * challenge_signed when the job signs a decision (purpose sign_decision).
   */
  authenticate: [
    'reader_found',
    'card_present',
    'card_read',
    'waiting_for_user',
    'card_verified',
    'card_registered',
    'statement_signed',
    'challenge_signed',
  ],
  unlock: ['reader_found', 'card_present', 'card_read', 'card_proven', 'waiting_for_user', 'pin_set'],
  activate: [
    'reader_found',
    'card_present',
    'card_read',
    'waiting_for_user',
    'card_verified',
    'card_proven',
    'management_key_authenticated',
    'keys_generated',
    'certificates_issued',
    'certificates_written',
    'certificates_verified',
  ],
} as const satisfies Record<JobKind, readonly string[]>;

export const jobStepNames = [...new Set(Object.values(jobSteps).flat())] as [string, ...string[]];
export type JobStepName = (typeof jobSteps)[JobKind][number];

export const jobStates = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof jobStates)[number];

export const stepStatuses = ['started', 'succeeded', 'failed'] as const;
export type StepStatus = (typeof stepStatuses)[number];

/** Why a job or step failed; card codes come from the agent's card layer, the rest from the job engine. */
export const jobErrorCodes = [
  'reader_not_found',
  'no_card',
  'card_removed',
  'reader_gone',
  'wrong_card',
  /** More than one usable card in the readers: "Flera kort i läsarna. Ta ut de kort du inte ska använda." */
  'several_cards',
  'wrong_pin',
  'pin_blocked',
  'wrong_puk',
  'puk_blocked',
  'management_key_rejected',
  'card_not_authentic',
  'card_error',
  /** Felkod 2004: LOGGA IN with a reserve card that has not been activated. */
  'reserve_card_not_activated',
  /** Felkod 2006: no SITHS eID order for the card, or the card not activated for the person in the portal. */
  'no_eid_order',
  'certificate_rejected',
  'card_not_active',
  'card_busy',
  'new_pin_mismatch',
  'user_cancelled',
  'cancelled_by_support',
  'step_timeout',
  'agent_disconnected',
  'agent_busy',
  /** The SITHS eID-app is older than the lowest version the server gives card jobs. */
  'agent_outdated',
  /** A report or request for a job that is not running, or not on the connection that sent it. */
  'job_not_active',
  /** The agent answered outside the protocol (an offer answer that is not one). */
  'agent_protocol_error',
  'internal',
] as const;
export type JobErrorCode = (typeof jobErrorCodes)[number];

const hex = (max: number) =>
  z
    .string()
    .regex(/^[0-9a-f]*$/i)
    .max(max);
export const jobIdSchema = z.uuid();
export const cardSerialSchema = z.string().regex(/^\d{19}$/, 'A card serial is 19 digits');

/** What the agent may tell about the reader and card: never a PIN, PUK or key. */
export const cardSnapshotSchema = z.object({
  readerName: z.string().min(1).max(200).optional(),
  atr: hex(66).optional(),
  cardSerial: cardSerialSchema.optional(),
  pinTriesLeft: z.number().int().min(0).max(15).optional(),
});
export type CardSnapshot = z.infer<typeof cardSnapshotSchema>;

export const jobErrorSchema = z.object({
  code: z.enum(jobErrorCodes),
  message: z.string().max(500),
});
export type JobError = z.infer<typeof jobErrorSchema>;

/** One step report. `sequence` counts every report of a job from 1, across reconnects and retries. */
export const stepReportSchema = z.object({
  jobId: jobIdSchema,
  sequence: z.number().int().min(1).max(10_000),
  step: z.enum(jobStepNames),
  status: z.enum(stepStatuses),
  at: z.number().int().positive(),
  durationMs: z.number().int().min(0).max(3_600_000).optional(),
  progress: z.number().int().min(0).max(100),
  card: cardSnapshotSchema.optional(),
  error: jobErrorSchema.optional(),
});
export type StepReport = z.infer<typeof stepReportSchema>;

export const jobOutcomeSchema = z.object({
  jobId: jobIdSchema,
  sequence: z.number().int().min(1).max(10_000),
  state: z.enum(['succeeded', 'failed', 'cancelled']),
  at: z.number().int().positive(),
  error: jobErrorSchema.optional(),
});
export type JobOutcome = z.infer<typeof jobOutcomeSchema>;

/** A job as the server hands it to the agent. Secrets (a PUK) travel only here, never in reports. */
export const jobOfferSchema = z.object({
  jobId: jobIdSchema,
  kind: z.enum(jobKinds),
  /** The card the job is for; the agent refuses to run it on any other card. */
  cardSerial: cardSerialSchema.optional(),
  readerName: z.string().min(1).max(200).optional(),
  /** Reports the server already has: a resumed job continues after this sequence number. */
  lastSequence: z.number().int().min(0).max(10_000),
  stepTimeoutMs: z.number().int().positive(),
  userPromptTimeoutMs: z.number().int().positive(),
  /** Random bytes (base64url) the card signs: see signedChallenge in card-exchange.ts. */
  challenge: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43,86}$/)
    .optional(),
  /** Who the user proves themselves to, shown as "Jag legitimerar mig hos <relyingParty>". */
  relyingParty: z.string().min(1).max(200).optional(),
  /**
   * For an authenticate job: a Mina sidor login, the registration of a reserve card before activation, or a
   * decision the user signs with the card's signature key (9C).
   */
  purpose: z.enum(['login', 'reserve_registration', 'sign_decision']).optional(),
  /**
   * sign_decision: the exact text the user is shown and signs (its UTF-8 bytes, see sign_statement in
   * card-exchange.ts). It names the auth order, so its signature is worth nothing for any other. Text in NFC
   * with no control or bidirectional characters but line breaks: what the user reads is what the card signs.
   */
  statement: z.string().min(1).max(2000).refine(isSignableText, 'not a text to sign').optional(),
  /**
   * An unlock that a staff member runs with the user on the phone (assisted unlock): the staff member's name,
   * shown in the new-code prompt ("Anna Ek på support hjälper dig att låsa upp kortet").
   */
  assistedBy: z.string().min(1).max(200).optional(),
});
export type JobOffer = z.infer<typeof jobOfferSchema>;

/**
 * One visible text to one byte string: NFC ("å" as one code point, not "a" and a ring), no lone surrogate
 * (UTF-8 has none: it would be signed as U+FFFD), and nothing that hides or reorders what is shown.
 */
function isSignableText(text: string): boolean {
  return text.normalize('NFC') === text && !/[\uD800-\uDFFF]/u.test(text) && isSafeText(text);
}

export const jobOfferAnswerSchema = z.discriminatedUnion('accepted', [
  z.object({ accepted: z.literal(true) }),
  z.object({ accepted: z.literal(false), error: jobErrorSchema }),
]);
export type JobOfferAnswer = z.infer<typeof jobOfferAnswerSchema>;

export const jobReferenceSchema = z.object({ jobId: jobIdSchema });

/**
 * The server ended a job the agent runs: why, as the server recorded it (the user's AVBRYT, support, a step
 * that took too long...). Without a code (a server from before codes were sent) it is support's cancel.
 */
export const jobCancelSchema = z.object({ jobId: jobIdSchema, code: z.enum(jobErrorCodes).optional() });
export type JobCancel = z.infer<typeof jobCancelSchema>;

export const supportMessageSchema = z.object({
  text: z.string().trim().min(1).max(500),
  jobId: jobIdSchema.optional(),
});
export type SupportMessageInput = z.infer<typeof supportMessageSchema>;

export interface SupportMessage {
  text: string;
  from: string;
  at: number;
  jobId?: string;
}

/** Fraction of the job done when a step has succeeded, for progress bars. */
export function progressAfter(kind: JobKind, step: JobStepName): number {
  const steps: readonly string[] = jobSteps[kind];
  const index = steps.indexOf(step);
  return index < 0 ? 0 : Math.round(((index + 1) / steps.length) * 100);
}
