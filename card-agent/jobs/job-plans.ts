import type { CardExchange } from '../../protocol/card-exchange';
import type { JobKind } from '../../protocol/jobs';
import type { AcceptedExchange } from '../server-link';
import { runActivate } from './activate';
import { runAuthenticate } from './authenticate';
import type { CardAccess } from './card-access';
import { runCardCheck } from './card-check';
import type { JobExecution } from './job-execution';
import type { UserPrompts } from './pin-prompts';
import { runUnlock } from './unlock';

/** Asks the server in the middle of a job; a refusal throws a JobFailure with the server's code. */
export type ExchangeWithServer = (request: CardExchange) => Promise<AcceptedExchange>;

/** What a job's steps work with. */
export interface JobContext {
  execution: JobExecution;
  readerName: string;
  cards: CardAccess;
  prompts: UserPrompts;
  exchange: ExchangeWithServer;
}

export type JobPlan = (job: JobContext) => Promise<void>;

/** The kinds this agent can run. */
export const jobPlans: Record<JobKind, JobPlan> = {
  card_check: runCardCheck,
  authenticate: runAuthenticate,
  unlock: runUnlock,
  activate: runActivate,
};
