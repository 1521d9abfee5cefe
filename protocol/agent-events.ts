import { z } from 'zod';
import type { AutoStart, AutoStartAck, CardExchange, CardExchangeAnswer } from './card-exchange';
import {
  cardSerialSchema,
  type JobCancel,
  type JobOffer,
  type JobOfferAnswer,
  type JobOutcome,
  type StepReport,
  type SupportMessage,
} from './jobs';
import { isSafeLine } from './safe-text';

/**
 * One line of text from the user's computer that support reads (a reader's, the computer's and its system's name): no
 * control or bidirectional characters that could hide or reorder what the live view shows.
 */
const shownText = (max: number) => z.string().max(max).refine(isSafeLine, 'unsafe characters');

/** What the agent knows of one PC/SC reader. Never carries a PIN, PUK or key. */
export const readerStateSchema = z.object({
  name: shownText(200).pipe(z.string().min(1)),
  cardPresent: z.boolean(),
  atr: z
    .string()
    .regex(/^[0-9a-f]*$/i)
    .max(66)
    .optional(),
  /**
   * The serial the agent read from the card's CHUID (no PIN needed). Shown to support as a hint only: a job
   * acts on a card when the card itself has proved who it is.
   */
  cardSerial: cardSerialSchema.optional(),
});
export type ReaderState = z.infer<typeof readerStateSchema>;

export const readerEventKinds = ['reader-added', 'reader-removed', 'card-inserted', 'card-removed'] as const;
export type ReaderEventKind = (typeof readerEventKinds)[number];

export const agentHelloSchema = z.object({
  agentVersion: shownText(40).pipe(z.string().min(1)),
  hostname: shownText(200).optional(),
  /** The operating system, e.g. "Debian GNU/Linux 12 (bookworm)". */
  os: shownText(100).optional(),
  readers: z.array(readerStateSchema).max(32),
  /** Jobs the agent still runs or still has reports for. A job it does not name has been lost. */
  activeJobIds: z.array(z.uuid()).max(8).default([]),
});
export type AgentHello = z.infer<typeof agentHelloSchema>;

export const readerEventSchema = z.object({
  kind: z.enum(readerEventKinds),
  reader: readerStateSchema,
  readers: z.array(readerStateSchema).max(32),
  at: z.number().int().positive(),
});
export type ReaderEvent = z.infer<typeof readerEventSchema>;

/** Error codes the server sends back on a refused message. */
export const protocolErrorCodes = [
  'invalid_message',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'internal',
] as const;
export type ProtocolErrorCode = (typeof protocolErrorCodes)[number];

/** The user pressed "Få hjälp av support" in the SITHS eID-app: asks for nothing, answers with a code. */
export const supportCodeRequestSchema = z.object({}).strict();
export type SupportCodeRequest = z.infer<typeof supportCodeRequestSchema>;

/**
 * A one-time code the user reads to support on the phone; support types it in the live view to pair with
 * this agent session. Six digits, valid until `expiresAt` (ms since 1970), used at most once.
 */
export type SupportCodeAnswer =
  | { ok: true; supportCode: string; expiresAt: number }
  | { ok: false; code: ProtocolErrorCode; message: string };

/** Support paired with this agent session using its code (the code is spent), or the pairing ended. */
export interface SupportPairingNotice {
  state: 'paired' | 'ended';
  /** The staff member's name as the app shows it: "Anna Ek på support är kopplad till den här datorn". */
  staffName: string;
}

export type Ack = { ok: true } | { ok: false; code: ProtocolErrorCode; message: string };

/** The answer to the hello: where the agent's version stands (below the minimum: no card jobs). */
export const helloAckSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    version: z
      .object({
        verdict: z.enum(['current', 'outdated', 'unsupported']),
        current: z.string().max(40),
        minimum: z.string().max(40).nullable(),
      })
      .optional(),
  }),
  z.object({ ok: z.literal(false), code: z.enum(protocolErrorCodes), message: z.string().max(500) }),
]);
export type HelloAck = z.infer<typeof helloAckSchema>;

/** The server's answer to a step or outcome: the highest sequence it has stored for the job. */
export type SequenceAck =
  | { ok: true; lastSequence: number }
  | { ok: false; code: ProtocolErrorCode; message: string; lastSequence?: number };

export interface AgentToServerEvents {
  'agent:hello': (hello: AgentHello, ack: (result: HelloAck) => void) => void;
  'agent:reader-event': (event: ReaderEvent, ack: (result: Ack) => void) => void;
  'job:step': (report: StepReport, ack: (result: SequenceAck) => void) => void;
  'job:finished': (outcome: JobOutcome, ack: (result: SequenceAck) => void) => void;
  'job:exchange': (request: CardExchange, ack: (answer: CardExchangeAnswer) => void) => void;
  /** The user's browser handed the agent a start token for a Mina sidor login or card job. */
  'agent:autostart': (request: AutoStart, ack: (answer: AutoStartAck) => void) => void;
  /** "Få hjälp av support": a fresh one-time support code for this agent session (replaces an unused one). */
  'agent:support-code': (request: SupportCodeRequest, ack: (answer: SupportCodeAnswer) => void) => void;
}

export interface ServerToAgentEvents {
  'server:error': (error: { code: ProtocolErrorCode; message: string }) => void;
  'job:offer': (offer: JobOffer, answer: (result: JobOfferAnswer) => void) => void;
  'job:cancel': (cancel: JobCancel) => void;
  'support:message': (message: SupportMessage) => void;
  /** Sent just before the server closes this connection because a newer one with the same device token took over. */
  'agent:replaced': (notice: { message: string }) => void;
  /** A staff member paired with this session using its support code, or that pairing ended. */
  'support:pairing': (notice: SupportPairingNotice) => void;
}

export const agentNamespace = '/agent';
