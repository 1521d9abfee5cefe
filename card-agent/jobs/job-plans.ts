import type { JobKind } from '../../protocol/jobs';
import type { CardAccess } from './card-access';
import { runCardCheck } from './card-check';
import type { JobExecution } from './job-execution';
import type { UserPrompts } from './pin-prompts';

/** What a job's steps work with. */
export interface JobContext {
  execution: JobExecution;
  readerName: string;
  cards: CardAccess;
  prompts: UserPrompts;
}

export type JobPlan = (job: JobContext) => Promise<void>;

/**
 * The kinds this agent can run. 'authenticate', 'unlock' and 'activate' join as plans built from
 * openCard, verifyPinWithUser and step functions of their own.
 */
export const jobPlans: Partial<Record<JobKind, JobPlan>> = {
  card_check: runCardCheck,
};
