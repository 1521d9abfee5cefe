import { z } from 'zod';
import { isSafeLine } from './safe-text';

/**
 * The card-agent's HTTP contract for becoming a known computer and for proving it is one:
 * POST /siths-eid-appen/api/registrera exchanges an enrolment code and a fresh device public key for the
 * computer's id; POST /siths-eid-appen/api/utmaning hands out a one-time challenge the computer signs with
 * its device key (ECDSA P-256, SHA-256) to open its Socket.IO connection. The private key never leaves the
 * computer.
 */
export const agentEnrolPath = '/siths-eid-appen/api/registrera';
export const agentChallengePath = '/siths-eid-appen/api/utmaning';

export const enrolRequestSchema = z.object({
  code: z.string().trim().min(1).max(40),
  /** SPKI DER, base64. */
  publicKey: z.string().min(40).max(400),
  /** Shown to staff (a batch's computers are named by it): no control or bidi characters. */
  hostname: z.string().trim().min(1).max(100).refine(isSafeLine),
  os: z.string().trim().min(1).max(100).refine(isSafeLine),
  agentVersion: z.string().min(1).max(40),
});
export type EnrolRequest = z.infer<typeof enrolRequestSchema>;

export const enrolmentRefusalCodes = [
  'invalid_request',
  'unknown_code',
  'expired_code',
  'used_code',
  'withdrawn_code',
  'key_known',
  'too_many_attempts',
] as const;
export type EnrolmentRefusalCode = (typeof enrolmentRefusalCodes)[number];

export const enrolAnswerSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), agentId: z.uuid(), name: z.string().min(1).max(200) }),
  z.object({ ok: z.literal(false), code: z.enum(enrolmentRefusalCodes), message: z.string().max(500) }),
]);
export type EnrolAnswer = z.infer<typeof enrolAnswerSchema>;

export const challengeRequestSchema = z.object({ agentId: z.uuid() });
export const challengeAnswerSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), challenge: z.string().min(20).max(100) }),
  z.object({
    ok: z.literal(false),
    code: z.enum(['unknown_agent', 'revoked']),
    message: z.string().max(500),
  }),
]);
export type ChallengeAnswer = z.infer<typeof challengeAnswerSchema>;

/** The Socket.IO handshake of an enrolled computer. */
export const keyHandshakeSchema = z.object({
  agentId: z.uuid(),
  challenge: z.string().min(20).max(100),
  /** DER-encoded ECDSA signature of agentLoginStatement, base64. */
  signature: z.string().min(20).max(200),
});
export type KeyHandshake = z.infer<typeof keyHandshakeSchema>;

/** What the computer signs to connect: bound to this purpose, the computer and the one-time challenge. */
export function agentLoginStatement(agentId: string, challenge: string): string {
  return `siths-desk agent login\n${agentId}\n${challenge}`;
}

/** Why the server refuses a connection (Socket.IO connect_error message): the agent says so in its window. */
export const connectRefusals = {
  unauthorized: 'unauthorized',
  revoked: 'revoked',
  /** The installation accepts enrolled computers only: a device token is not enough. */
  enrolmentRequired: 'enrolment_required',
} as const;
