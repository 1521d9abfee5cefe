import { z } from 'zod';
import type { Ack, ReaderState } from './agent-events';
import {
  type CardSnapshot,
  type JobError,
  type JobKind,
  type JobOffer,
  type JobState,
  jobIdSchema,
  jobStates,
  type StepReport,
  type StepStatus,
  supportMessageSchema,
} from './jobs';

/**
 * A person as one support reader may see them (the rule of db/protected-identity.ts): a protected identity is
 * shown only to holders of the right, to everyone else as that and nothing more.
 */
export type ShownHolder<Details> =
  | { hidden: true }
  | (Details & { hidden: false; protectedIdentity: boolean });

/** An agent's holder: their name. */
export interface AgentHolder {
  name: string;
}
export type AgentHolderView = ShownHolder<AgentHolder>;

/** A job's holder: their name, HSA-id and the units they work in. */
export interface JobHolder {
  name: string;
  hsaId: string;
  units: Array<{ id: string; name: string }>;
}
export type JobHolderView = ShownHolder<JobHolder>;

/** One connected agent as support sees it. */
export interface ConnectedAgentView {
  agentId: string;
  agentSessionId: string;
  agentName: string;
  /** Null for an agent no person is linked to. */
  holder: AgentHolderView | null;
  agentVersion: string | null;
  hostname: string | null;
  connectedAt: number;
  lastEventAt: number;
  readers: ReaderState[];
}

/** One job in support's live list. */
export interface JobView {
  jobId: string;
  kind: JobKind;
  /**
   * What an authenticate job is for, from the order that started it: a card login, a reserve card's
   * registration before its activation, or a decision signed with the card. Null for the other kinds.
   */
  purpose?: NonNullable<JobOffer['purpose']> | null;
  state: JobState;
  agentId: string | null;
  agentSessionId: string | null;
  agentName: string | null;
  /** Null for a job no person is linked to. */
  holder: JobHolderView | null;
  readerName: string | null;
  /** The card the job acts on: assigned by the server or proven by the card's own key in the job. */
  cardSerial: string | null;
  /** The serial the agent says it read; support sees it as reported, it changes nothing. */
  reportedCardSerial?: string | null;
  currentStep: string | null;
  progress: number;
  errorCode: string | null;
  errorMessage: string | null;
  retryOfJobId: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

/** One reported step, as the timeline and the replay show it. */
export interface JobStepView {
  jobId: string;
  sequence: number;
  step: string;
  status: StepStatus;
  at: number;
  durationMs: number | null;
  progress: number;
  card: CardSnapshot | null;
  error: JobError | null;
}

/** A step as support sees it, from the agent's report. */
export function stepViewOf(report: StepReport): JobStepView {
  return {
    jobId: report.jobId,
    sequence: report.sequence,
    step: report.step,
    status: report.status,
    at: report.at,
    durationMs: report.durationMs ?? null,
    progress: report.progress,
    card: report.card ?? null,
    error: report.error ?? null,
  };
}

export interface JobDetail {
  job: JobView;
  steps: JobStepView[];
}

export const jobListFilterSchema = z.object({
  state: z.enum(jobStates).optional(),
  unitId: z.string().max(100).optional(),
  maxAgeMinutes: z
    .number()
    .int()
    .positive()
    .max(60 * 24 * 90)
    .optional(),
  search: z.string().trim().max(100).optional(),
});
export type JobListFilter = z.infer<typeof jobListFilterSchema>;

export const startCardCheckSchema = z.object({
  agentSessionId: z.uuid(),
  readerName: z.string().min(1).max(200),
});

export const agentMessageSchema = supportMessageSchema.extend({ agentSessionId: z.uuid().optional() });
export const jobReferenceSchema = z.object({ jobId: jobIdSchema });

export type JobAck = Ack | { ok: true; jobId: string };

export interface ServerToSupportEvents {
  'agents:snapshot': (agents: ConnectedAgentView[]) => void;
  'agent:updated': (agent: ConnectedAgentView) => void;
  'agent:disconnected': (payload: { agentSessionId: string }) => void;
  'job:updated': (job: JobView) => void;
  /** Sent to support clients that watch the job (support:watch-job). */
  'job:step': (step: JobStepView) => void;
}

export interface SupportToServerEvents {
  'support:watch-job': (
    reference: { jobId: string },
    ack: (result: JobDetail | { ok: false; message: string }) => void,
  ) => void;
  'support:unwatch-job': (reference: { jobId: string }) => void;
  'support:start-card-check': (
    input: z.infer<typeof startCardCheckSchema>,
    ack: (result: JobAck) => void,
  ) => void;
  'support:send-message': (input: z.infer<typeof agentMessageSchema>, ack: (result: Ack) => void) => void;
  'support:cancel-job': (reference: { jobId: string }, ack: (result: Ack) => void) => void;
  'support:retry-job': (reference: { jobId: string }, ack: (result: JobAck) => void) => void;
}

export const supportNamespace = '/support';
