import { markCardLocked } from '../../db/card-lifecycle';
import { type JobRow, trustedCardSerial } from '../../db/jobs';
import type { AutoStartAck, CardExchange, CardExchangeAnswer } from '../../protocol/card-exchange';
import type { JobKind } from '../../protocol/jobs';
import type { CardJobHooks } from '../jobs/job-engine';
import { activationJob } from './activation-job';
import { claimAutoStart, offerDetails, settleAuthOrder } from './auth-order-link';
import { cardCheckJob } from './card-check-job';
import { loginJob } from './login-job';
import { refusals } from './refusals';
import {
  auditRefusal,
  type CardJobContext,
  type CardJobKind,
  type CardJobServiceDeps,
  refuse,
} from './shared';
import { unlockJob } from './unlock-job';

export type { CardJobServiceDeps, UnlockAttempt } from './shared';

/** The one kind each request belongs to; prove_card belongs to every kind that works on a card. */
const exchangeKinds: Record<Exclude<CardExchange['type'], 'prove_card'>, JobKind> = {
  sign_in: 'authenticate',
  sign_statement: 'authenticate',
  register_card: 'authenticate',
  request_certificates: 'activate',
  confirm_certificates: 'activate',
};

/**
 * The Mina sidor card jobs on the server side: an agent claims a waiting order with its start token,
 * proves the card in the middle of the job (signatures checked against our PKI and the database), and
 * gets only then what the next steps need. Each job kind's module answers its requests and decides what
 * its end means for cards, audit and mail; this service hands each job to its kind.
 */
export class CardJobService implements CardJobHooks {
  readonly #context: CardJobContext;
  readonly #unlock: CardJobKind;
  readonly #activation: CardJobKind;
  readonly #login: CardJobKind;
  readonly #cardCheck: CardJobKind;

  constructor(private readonly deps: CardJobServiceDeps) {
    this.#context = { deps, now: () => this.deps.now?.() ?? new Date() };
    this.#unlock = unlockJob(this.#context);
    this.#activation = activationJob(this.#context);
    this.#login = loginJob(this.#context);
    this.#cardCheck = cardCheckJob(this.#context);
    deps.jobs.attachCardJobHooks(this);
  }

  /** The module of the job's kind; a kind this server does not know gets no more than a card check. */
  #kindOf(job: JobRow): CardJobKind {
    switch (job.kind) {
      case 'unlock':
        return this.#unlock;
      case 'activate':
        return this.#activation;
      case 'authenticate':
        return this.#login;
      default:
        return this.#cardCheck;
    }
  }

  claimAutoStart(agent: { agentId: string; agentSessionId: string }, token: string): Promise<AutoStartAck> {
    return claimAutoStart(this.#context, agent, token);
  }

  offerDetails(job: JobRow) {
    return offerDetails(this.#context, job);
  }

  async exchange(job: JobRow, request: CardExchange): Promise<CardExchangeAnswer> {
    // In a login or card check, prove_card names the card whose PIN the agent found blocked.
    const fitsKind = request.type === 'prove_card' || job.kind === exchangeKinds[request.type];
    if (!fitsKind || !job.challenge) return refuse('agent_protocol_error', refusals.wrongRequest);
    const answer = await this.#kindOf(job).exchange(job, request);
    if (!answer.ok) await auditRefusal(this.#context, job, request.type, answer);
    return answer;
  }

  async isSettled(job: JobRow): Promise<boolean> {
    return (await this.#kindOf(job).isSettled?.(job)) ?? false;
  }

  async jobEnded(job: JobRow): Promise<void> {
    const kind = this.#kindOf(job);
    const now = this.#context.now();
    // The agent's word alone changes no card: only a serial the server assigned or the card proved.
    const cardSerial = trustedCardSerial(job);
    if (job.errorCode === 'pin_blocked' && cardSerial) await markCardLocked(this.deps.db, cardSerial, now);
    await kind.ended?.(job, now);
    await settleAuthOrder(this.#context, job, now);
  }
}
