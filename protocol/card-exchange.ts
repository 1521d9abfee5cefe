import { z } from 'zod';
import { jobErrorCodes, jobIdSchema } from './jobs';

/**
 * What an agent asks the server in the middle of a job, with the job's acknowledgement as the answer.
 * The card proves itself by signing the job's challenge; only then does the server hand over what the
 * next steps need (the PUK, the management key, the issued certificates). Secrets travel only in answers.
 */
const base64 = (max: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9+/]+={0,2}$/)
    .max(max);
const derCertificate = base64(8_000);
const signature = base64(1_000);
const spki = base64(1_000);
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

export const cardKeyRoles = ['authentication', 'signature', 'cardAuthentication'] as const;
export type CardKeyRole = (typeof cardKeyRoles)[number];

const perRole = <T extends z.ZodType>(schema: T) =>
  z.object({ authentication: schema, signature: schema, cardAuthentication: schema });

export const cardExchangeSchema = z.discriminatedUnion('type', [
  /** A reserve card registers: its transport certificate (slot 9D) and a signature after the envelope PIN. */
  z.object({ type: z.literal('register_card'), jobId: jobIdSchema, certificate: derCertificate, signature }),
  /** A login: the authentication certificate (9A; 9D on a reserve card that has no 9A yet) and a signature. */
  z.object({ type: z.literal('sign_in'), jobId: jobIdSchema, certificate: derCertificate, signature }),
  /**
   * A signed decision: the signature certificate (9C) and its key's signature over the UTF-8 bytes of the
   * offer's statement itself (not a signedChallenge), SHA-256: RSASSA-PKCS1-v1_5 for an RSA key, ECDSA as
   * r || s (IEEE P1363, as Mobile SITHS signs) for a P-256 key. Anyone can check it with the statement and
   * the certificate alone; the statement names the auth order, which binds the signature to it.
   */
  z.object({ type: z.literal('sign_statement'), jobId: jobIdSchema, certificate: derCertificate, signature }),
  /**
   * The card proves it is the card the job is for: 9E for an unlock, 9D (transport) for an activation. In a
   * login or card check that finds the PIN blocked, 9E names the card to lock; that answer carries nothing.
   */
  z.object({ type: z.literal('prove_card'), jobId: jobIdSchema, certificate: derCertificate, signature }),
  /** Activation: the public keys generated on the card, SubjectPublicKeyInfo DER, base64. */
  z.object({ type: z.literal('request_certificates'), jobId: jobIdSchema, keys: perRole(spki) }),
  /** Activation: SHA-256 of each certificate as read back from the card. */
  z.object({ type: z.literal('confirm_certificates'), jobId: jobIdSchema, fingerprints: perRole(sha256Hex) }),
]);
export type CardExchange = z.infer<typeof cardExchangeSchema>;
export type CardExchangeType = CardExchange['type'];

export const managementKeySchema = z.object({
  algorithm: z.enum(['AES128', '3DES']),
  key: z.string().regex(/^([0-9a-f]{32}|[0-9a-f]{48})$/),
});

export const cardExchangeAnswerSchema = z.union([
  z.object({
    ok: z.literal(true),
    /** prove_card in an unlock job. */
    puk: z
      .string()
      .regex(/^\d{6,8}$/)
      .optional(),
    /** prove_card in an activation job. */
    managementKey: managementKeySchema.optional(),
    /** request_certificates: DER, base64. */
    certificates: perRole(derCertificate).optional(),
  }),
  z.object({ ok: z.literal(false), code: z.enum(jobErrorCodes), message: z.string().max(500) }),
]);
export type CardExchangeAnswer = z.infer<typeof cardExchangeAnswerSchema>;

/**
 * The bytes a card signs for an exchange (but sign_statement, which signs its statement): the exchange type
 * and job bound to the server's challenge, so a signature made for one purpose or job is worthless for any
 * other. Hashed with SHA-256 before signing.
 */
export function signedChallenge(type: CardExchangeType, jobId: string, challenge: string): Uint8Array {
  return new TextEncoder().encode(`siths-desk:${type}:${jobId}:${challenge}`);
}

/** The browser hands this to the agent on its own computer, which claims the waiting job with it. */
export const autoStartSchema = z.object({ autoStartToken: z.string().regex(/^[A-Za-z0-9_-]{43}$/) });
export type AutoStart = z.infer<typeof autoStartSchema>;

export type AutoStartAck = { ok: true; jobId: string } | { ok: false; code: string; message: string };
