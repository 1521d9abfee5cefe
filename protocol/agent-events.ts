import { z } from 'zod';

/** What the agent knows of one PC/SC reader. Never carries a PIN, PUK or key. */
export const readerStateSchema = z.object({
  name: z.string().min(1).max(200),
  cardPresent: z.boolean(),
  atr: z
    .string()
    .regex(/^[0-9a-f]*$/i)
    .max(66)
    .optional(),
});
export type ReaderState = z.infer<typeof readerStateSchema>;

export const readerEventKinds = ['reader-added', 'reader-removed', 'card-inserted', 'card-removed'] as const;
export type ReaderEventKind = (typeof readerEventKinds)[number];

export const agentHelloSchema = z.object({
  agentVersion: z.string().min(1).max(40),
  hostname: z.string().max(200).optional(),
  readers: z.array(readerStateSchema).max(32),
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
export const protocolErrorCodes = ['invalid_message', 'unauthorized', 'forbidden', 'internal'] as const;
export type ProtocolErrorCode = (typeof protocolErrorCodes)[number];

export type Ack = { ok: true } | { ok: false; code: ProtocolErrorCode; message: string };

export interface AgentToServerEvents {
  'agent:hello': (hello: AgentHello, ack: (result: Ack) => void) => void;
  'agent:reader-event': (event: ReaderEvent, ack: (result: Ack) => void) => void;
}

export interface ServerToAgentEvents {
  'server:error': (error: { code: ProtocolErrorCode; message: string }) => void;
}

export const agentNamespace = '/agent';
