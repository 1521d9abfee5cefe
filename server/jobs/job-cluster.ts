import { z } from 'zod';
import type { ProtocolErrorCode } from '../../protocol/agent-events';
import { cardSerialSchema, type JobErrorCode, jobIdSchema } from '../../protocol/jobs';
import { type ConnectedAgentView, startCardCheckSchema } from '../../protocol/support-events';

/** Who asks for a job: the job keeps running only while this login session is valid. */
export interface JobActor {
  userId: string;
  sessionId: string;
}

const actorSchema = z.object({ userId: z.uuid(), sessionId: z.string().min(1).max(200) });

/** What starts an assisted unlock's job; checked by the route before, and again where it arrives. */
export const assistedUnlockStartSchema = z.object({
  assistedUnlockId: z.uuid(),
  agentSessionId: z.uuid(),
  readerName: z.string().min(1).max(200),
  cardSerial: cardSerialSchema,
  personId: z.uuid(),
  actor: actorSchema,
});
export type AssistedUnlockStart = z.infer<typeof assistedUnlockStartSchema>;

/**
 * A command that only the process holding the agent's live connection can carry out. Checked again where it
 * arrives: it crossed Redis, and what the process does with it must not depend on who sent it.
 */
export const agentCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('retry'), jobId: jobIdSchema, agentId: z.uuid() }),
  startCardCheckSchema.extend({
    type: z.literal('start-card-check'),
    actor: actorSchema,
  }),
  assistedUnlockStartSchema.extend({ type: z.literal('start-assisted-unlock') }),
  z.object({
    type: z.literal('pairing'),
    agentSessionId: z.uuid(),
    notice: z.object({ state: z.enum(['paired', 'ended']), staffName: z.string().min(1).max(200) }),
  }),
  z.object({
    type: z.literal('message'),
    agentSessionId: z.uuid(),
    message: z.object({
      text: z.string().min(1).max(500),
      from: z.string().max(200),
      at: z.number().int(),
      jobId: jobIdSchema.optional(),
    }),
  }),
]);
export type AgentCommand = z.infer<typeof agentCommandSchema>;

export type AgentCommandResult =
  | { ok: true; jobId?: string }
  | { ok: false; code: ProtocolErrorCode | JobErrorCode; message: string };

/**
 * What the job engine needs from the other server processes of the installation. A job is driven by the
 * process that holds its agent's connection; its state is in the database, so the others only need telling.
 */
export interface JobCluster {
  /** Tells the agent's connection, on whichever process holds it, to stop a job, and why. */
  cancelOnAgent(agentSessionId: string, jobId: string, code: JobErrorCode): void;
  /** Tells the other processes that a job ended, so one that still drives it lets go of it. */
  jobEnded(jobId: string): void;
  /** Runs the command on the process holding the agent's connection: undefined when no other process does. */
  forward(command: AgentCommand): Promise<AgentCommandResult | undefined>;
  /** The agents connected to the other processes, for support's list. */
  otherAgents(): Promise<ConnectedAgentView[]>;
}

/** One server process: there is nobody else to tell. */
export const singleProcess: JobCluster = {
  cancelOnAgent: () => undefined,
  jobEnded: () => undefined,
  forward: async () => undefined,
  otherAgents: async () => [],
};
