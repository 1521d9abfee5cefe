import { createPublicKey, verify } from 'node:crypto';
import { recordAudit } from '../../db/audit';
import {
  attachJobToAuthOrder,
  completeAuthOrder,
  failAuthOrder,
  findAuthOrder,
  findAuthOrderByAutoStartToken,
  isAuthOrderOpen,
  markAuthOrderScanned,
} from '../../db/auth-orders';
import {
  activationRefusal,
  completeReserveActivation,
  findActivationOrder,
  findCardById,
  isActivationRecorded,
  markCardLocked,
  markCardUnlocked,
} from '../../db/card-lifecycle';
import type { AppDatabase } from '../../db/connection';
import { findCardForCertificates } from '../../db/eids';
import {
  hasUnfinishedJobForCard,
  type JobRow,
  recordProvenCardSerial,
  storeIssuedCertificates,
  trustedCardSerial,
} from '../../db/jobs';
import { findPersonById } from '../../db/persons';
import { ensureUserForPerson } from '../../db/users';
import {
  type AutoStartAck,
  type CardExchange,
  type CardExchangeAnswer,
  cardKeyRoles,
  signedChallenge,
} from '../../protocol/card-exchange';
import type { JobErrorCode, JobKind } from '../../protocol/jobs';
import type { CardJobHooks, JobEngine } from '../jobs/job-engine';
import type { Logger } from '../logger';
import type { CardCertificates, Pki, ValidCertificate } from '../pki/types';
import { deriveCardSecrets } from '../secrets/card-secrets';
import { refusals } from './refusals';

export interface UnlockAttempt {
  personId: string;
  cardSerial: string;
  outcome: 'succeeded' | 'failed';
  at: Date;
}

export interface CardJobServiceDeps {
  db: AppDatabase;
  logger: Logger;
  pki: Pki;
  masterKey: Buffer;
  jobs: JobEngine;
  /** This server's address as the agent shows it: "Jag legitimerar mig hos ...". */
  relyingParty: string;
  /** Every unlock attempt, successful or not, is mailed to the card holder. */
  onUnlockAttempt(attempt: UnlockAttempt): Promise<void>;
  now?: () => Date;
}

type Refusal = Extract<CardExchangeAnswer, { ok: false }>;
const refuse = (code: JobErrorCode, message: string): Refusal => ({ ok: false, code, message });

/** The one kind each request belongs to; prove_card belongs to every kind that works on a card. */
const exchangeKinds: Record<Exclude<CardExchange['type'], 'prove_card'>, JobKind> = {
  sign_in: 'authenticate',
  register_card: 'authenticate',
  request_certificates: 'activate',
  confirm_certificates: 'activate',
};

/**
 * The Mina sidor card jobs on the server side: an agent claims a waiting order with its start token,
 * proves the card in the middle of the job (signatures checked against our PKI and the database), and
 * gets only then what the next steps need. What a finished job means for cards, orders, logins and mail
 * is decided here, in one place.
 */
export class CardJobService implements CardJobHooks {
  /** Activation jobs whose card has proven itself with its transport key, and what was issued for them. */
  readonly #provenActivations = new Set<string>();
  readonly #issued = new Map<string, CardCertificates>();
  /** Registration jobs whose reserve card has registered: the card's id. */
  readonly #registered = new Map<string, string>();

  constructor(private readonly deps: CardJobServiceDeps) {
    deps.jobs.attachCardJobHooks(this);
  }

  #now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** The browser on the agent's computer handed it a start token: start the order's job on that agent. */
  async claimAutoStart(
    agent: { agentId: string; agentSessionId: string },
    token: string,
  ): Promise<AutoStartAck> {
    const { db } = this.deps;
    const now = this.#now();
    const order = await findAuthOrderByAutoStartToken(db, token);
    if (order?.method !== 'card') return { ok: false, code: 'not_found', message: refusals.unknownStart };
    if (order.state !== 'pending' || !isAuthOrderOpen(order, now)) {
      return { ok: false, code: 'conflict', message: refusals.usedStart };
    }
    const card = order.cardId ? await findCardById(db, order.cardId) : undefined;
    const kind: JobKind =
      order.purpose === 'unlock' ? 'unlock' : order.purpose === 'activate' ? 'activate' : 'authenticate';
    if ((kind === 'unlock' || kind === 'activate') && !card) {
      return { ok: false, code: 'not_found', message: refusals.unknownCard };
    }
    if (card && (await hasUnfinishedJobForCard(db, kind, card.serial))) {
      await failAuthOrder(db, order.id, { code: 'card_busy', message: refusals.cardBusy }, now);
      return { ok: false, code: 'card_busy', message: refusals.cardBusy };
    }
    if (!(await markAuthOrderScanned(db, order.id, { agentId: agent.agentId }))) {
      return { ok: false, code: 'conflict', message: refusals.usedStart };
    }
    const personId = order.expectedPersonId;
    const result = await this.deps.jobs.startJob({
      kind,
      agentId: agent.agentId,
      agentSessionId: agent.agentSessionId,
      readerName: null,
      cardSerial: card?.serial ?? null,
      personId,
      createdByUserId: personId ? ((await ensureUserForPerson(db, personId))?.id ?? null) : null,
      createdBySessionId: order.sessionId,
      authOrderId: order.id,
      eidOrderId: kind === 'activate' && card ? ((await findActivationOrder(db, card.id))?.id ?? null) : null,
      challenge: order.challenge,
    });
    if (!result.ok) return { ok: false, code: result.code, message: result.message };
    await attachJobToAuthOrder(db, order.id, result.jobId);
    return { ok: true, jobId: result.jobId };
  }

  async offerDetails(job: JobRow) {
    const order = job.authOrderId ? await findAuthOrder(this.deps.db, job.authOrderId) : undefined;
    const purpose =
      job.kind !== 'authenticate' || !order
        ? undefined
        : order.purpose === 'reserve_registration'
          ? ('reserve_registration' as const)
          : ('login' as const);
    return {
      ...(job.challenge ? { challenge: job.challenge } : {}),
      relyingParty: this.deps.relyingParty,
      ...(purpose ? { purpose } : {}),
    };
  }

  async exchange(job: JobRow, request: CardExchange): Promise<CardExchangeAnswer> {
    // In a login or card check, prove_card names the card whose PIN the agent found blocked.
    const fitsKind = request.type === 'prove_card' || job.kind === exchangeKinds[request.type];
    if (!fitsKind || !job.challenge) return refuse('agent_protocol_error', refusals.wrongRequest);
    const answer = await this.#answer(job, request);
    if (!answer.ok) await this.#auditRefusal(job, request.type, answer);
    return answer;
  }

  async #answer(job: JobRow, request: CardExchange): Promise<CardExchangeAnswer> {
    switch (request.type) {
      case 'sign_in':
        return this.#signIn(job, request);
      case 'register_card':
        return this.#registerCard(job, request);
      case 'prove_card':
        if (job.kind === 'unlock') return this.#proveForUnlock(job, request);
        if (job.kind === 'activate') return this.#proveForActivation(job, request);
        return this.#proveBlockedCard(job, request);
      case 'request_certificates':
        return this.#issueCertificates(job, request);
      case 'confirm_certificates':
        return this.#confirmCertificates(job, request);
    }
  }

  /** A validated certificate that signed this job's challenge for this kind of request, or a refusal. */
  async #provenCertificate(
    job: JobRow,
    request: Extract<CardExchange, { certificate: string }>,
  ): Promise<ValidCertificate | Refusal> {
    const certificate = await this.#signedChallenge(job, request);
    if ('ok' in certificate) return certificate;
    // The card signed this job's challenge with its own key: only now may the job act on this serial.
    if (certificate.cardSerial) await recordProvenCardSerial(this.deps.db, job.id, certificate.cardSerial);
    return certificate;
  }

  /** The certificate whose key signed this job's challenge, checked against our PKI; records nothing. */
  async #signedChallenge(
    job: JobRow,
    request: Extract<CardExchange, { certificate: string }>,
  ): Promise<ValidCertificate | Refusal> {
    const validation = await this.deps.pki.validate(Buffer.from(request.certificate, 'base64'), {
      at: this.#now(),
    });
    if (!validation.ok) {
      if (validation.reason === 'revoked') return refuse('card_not_active', refusals.revoked);
      if (validation.reason === 'expired') return refuse('card_not_active', refusals.expired);
      if (request.type === 'sign_in' && (await this.#isReserveCardToActivate(validation.cardSerial)))
        return refuse('reserve_card_not_activated', refusals.notActivated);
      return refuse('certificate_rejected', refusals.certificate);
    }
    const certificate = validation.certificate;
    const signedBytes = signedChallenge(request.type, job.id, job.challenge!);
    const signature = Buffer.from(request.signature, 'base64');
    let signatureValid = false;
    try {
      signatureValid = verify('sha256', signedBytes, certificate.publicKey, signature);
    } catch {
      signatureValid = false;
    }
    if (!signatureValid) return refuse('card_not_authentic', refusals.notAuthentic);
    return certificate;
  }

  /**
   * An activation cut short leaves keys and certificates on a reserve card that were never registered; a
   * login with that card is still Felkod 2004, not a rejected certificate.
   */
  async #isReserveCardToActivate(cardSerial: string | null | undefined): Promise<boolean> {
    const card = cardSerial ? await findCardForCertificates(this.deps.db, cardSerial) : undefined;
    return card?.kind === 'reserve' && card.state !== 'active';
  }

  async #signIn(
    job: JobRow,
    request: Extract<CardExchange, { type: 'sign_in' }>,
  ): Promise<CardExchangeAnswer> {
    const { db } = this.deps;
    const order = job.authOrderId ? await findAuthOrder(db, job.authOrderId) : undefined;
    if (!order || !isAuthOrderOpen(order, this.#now())) return refuse('job_not_active', refusals.orderClosed);
    const proven = await this.#provenCertificate(job, request);
    if ('ok' in proven) return proven;
    const card = proven.cardSerial ? await findCardForCertificates(db, proven.cardSerial) : undefined;
    if (!card) return refuse('certificate_rejected', refusals.certificate);
    if (order.purpose === 'reserve_registration') {
      if (this.#registered.get(job.id) !== card.id || proven.purpose !== 'transport') {
        return refuse('certificate_rejected', refusals.notRegistered);
      }
      const activation = await findActivationOrder(db, card.id);
      if (!activation) return refuse('no_eid_order', refusals.noOrder);
      await completeAuthOrder(
        db,
        order.id,
        { personId: activation.personId, cardSerial: card.serial },
        this.#now(),
      );
      return { ok: true };
    }
    if (proven.purpose === 'transport') return refuse('reserve_card_not_activated', refusals.notActivated);
    if (proven.purpose !== 'authentication' || !proven.personId)
      return refuse('certificate_rejected', refusals.certificate);
    if (card.state !== 'active') return refuse('card_not_active', refusals.cardNotActive);
    await completeAuthOrder(
      db,
      order.id,
      { personId: proven.personId, cardSerial: card.serial },
      this.#now(),
    );
    return { ok: true };
  }

  async #registerCard(
    job: JobRow,
    request: Extract<CardExchange, { type: 'register_card' }>,
  ): Promise<CardExchangeAnswer> {
    const { db } = this.deps;
    const order = job.authOrderId ? await findAuthOrder(db, job.authOrderId) : undefined;
    if (order?.purpose !== 'reserve_registration')
      return refuse('agent_protocol_error', refusals.wrongRequest);
    const proven = await this.#provenCertificate(job, request);
    if ('ok' in proven) return proven;
    const card = proven.cardSerial ? await findCardForCertificates(db, proven.cardSerial) : undefined;
    if (!card || proven.purpose !== 'transport')
      return refuse('certificate_rejected', refusals.alreadyActive);
    const refusal = activationRefusal(card, await findActivationOrder(db, card.id));
    if (refusal === 'not_in_portal' || refusal === 'no_order')
      return refuse('no_eid_order', refusals.noOrder);
    if (refusal) return refuse('certificate_rejected', refusals.alreadyActive);
    this.#registered.set(job.id, card.id);
    return { ok: true };
  }

  async #proveForUnlock(job: JobRow, request: Extract<CardExchange, { type: 'prove_card' }>) {
    const proven = await this.#provenCertificate(job, request);
    if ('ok' in proven) return proven;
    if (proven.purpose !== 'card_authentication') return refuse('certificate_rejected', refusals.certificate);
    if (!job.cardSerial || proven.cardSerial !== job.cardSerial)
      return refuse('wrong_card', refusals.wrongCard);
    if (job.personId && proven.personId !== job.personId) return refuse('wrong_card', refusals.wrongCard);
    const { puk } = deriveCardSecrets(this.deps.masterKey, job.cardSerial);
    return { ok: true as const, puk };
  }

  /**
   * A login or card check found the PIN blocked: the card names itself with its card-authentication key
   * (9E signs without the PIN), so the job's end may lock that card. Only that key counts; the answer
   * carries nothing, the card gets no secret for a blocked PIN.
   */
  async #proveBlockedCard(job: JobRow, request: Extract<CardExchange, { type: 'prove_card' }>) {
    const certificate = await this.#signedChallenge(job, request);
    if ('ok' in certificate) return certificate;
    if (certificate.purpose !== 'card_authentication' || !certificate.cardSerial)
      return refuse('certificate_rejected', refusals.certificate);
    await recordProvenCardSerial(this.deps.db, job.id, certificate.cardSerial);
    return { ok: true as const };
  }

  async #proveForActivation(job: JobRow, request: Extract<CardExchange, { type: 'prove_card' }>) {
    const { db } = this.deps;
    const proven = await this.#provenCertificate(job, request);
    if ('ok' in proven) return proven;
    if (proven.purpose !== 'transport') return refuse('certificate_rejected', refusals.alreadyActive);
    if (!job.cardSerial || proven.cardSerial !== job.cardSerial)
      return refuse('wrong_card', refusals.wrongCard);
    const card = await findCardForCertificates(db, job.cardSerial);
    const activation = card ? await findActivationOrder(db, card.id) : undefined;
    if (!card || activationRefusal(card, activation) || activation?.id !== job.eidOrderId) {
      return refuse('no_eid_order', refusals.noOrder);
    }
    this.#provenActivations.add(job.id);
    const { managementKey } = deriveCardSecrets(this.deps.masterKey, job.cardSerial);
    return { ok: true as const, managementKey: { algorithm: 'AES128' as const, key: managementKey } };
  }

  async #issueCertificates(
    job: JobRow,
    request: Extract<CardExchange, { type: 'request_certificates' }>,
  ): Promise<CardExchangeAnswer> {
    const { db } = this.deps;
    if (!this.#provenActivations.has(job.id) || !job.cardSerial)
      return refuse('agent_protocol_error', refusals.notProven);
    const card = await findCardForCertificates(db, job.cardSerial);
    const activation = card ? await findActivationOrder(db, card.id) : undefined;
    if (!card?.holder || !activation || activation.id !== job.eidOrderId)
      return refuse('no_eid_order', refusals.noOrder);
    let keys: Record<(typeof cardKeyRoles)[number], Buffer>;
    try {
      keys = {
        authentication: spki(request.keys.authentication),
        signature: spki(request.keys.signature),
        cardAuthentication: spki(request.keys.cardAuthentication),
      };
    } catch {
      return refuse('card_error', refusals.badKeys);
    }
    const issued = await this.deps.pki.issueCardCertificates({
      holder: card.holder,
      cardSerial: card.serial,
      trustLevel: activation.trustLevel,
      keys,
      validTo: card.validTo,
    });
    this.#issued.set(job.id, issued);
    const der = {
      authentication: issued.authentication.der.toString('base64'),
      signature: issued.signature.der.toString('base64'),
      cardAuthentication: issued.cardAuthentication.der.toString('base64'),
    };
    await storeIssuedCertificates(db, job.id, der);
    return { ok: true, certificates: der };
  }

  async #confirmCertificates(
    job: JobRow,
    request: Extract<CardExchange, { type: 'confirm_certificates' }>,
  ): Promise<CardExchangeAnswer> {
    const { db } = this.deps;
    const issued = this.#issued.get(job.id);
    if (!issued || !job.cardSerial || !job.eidOrderId)
      return refuse('agent_protocol_error', refusals.notProven);
    const matches = cardKeyRoles.every((role) => issued[role].fingerprint === request.fingerprints[role]);
    if (!matches) return refuse('certificate_rejected', refusals.readBackMismatch);
    const card = await findCardForCertificates(db, job.cardSerial);
    const activation = card ? await findActivationOrder(db, card.id) : undefined;
    if (!card || !activation) return refuse('no_eid_order', refusals.noOrder);
    const holder = await findPersonById(db, activation.personId);
    const done = await completeReserveActivation(db, {
      cardId: card.id,
      orderId: activation.id,
      personId: activation.personId,
      trustLevel: activation.trustLevel,
      certificates: issued,
      actorUserId: job.createdByUserId,
      actorLabel: holder ? `${holder.givenName} ${holder.surname}` : card.serial,
      at: this.#now(),
    });
    if (!done) return refuse('no_eid_order', refusals.noOrder);
    if (job.authOrderId) {
      await completeAuthOrder(
        db,
        job.authOrderId,
        { personId: activation.personId, cardSerial: card.serial },
        this.#now(),
      );
    }
    return { ok: true };
  }

  async isSettled(job: JobRow): Promise<boolean> {
    return (
      job.kind === 'activate' &&
      job.eidOrderId !== null &&
      job.cardSerial !== null &&
      (await isActivationRecorded(this.deps.db, job.eidOrderId, job.cardSerial))
    );
  }

  async jobEnded(job: JobRow): Promise<void> {
    this.#provenActivations.delete(job.id);
    this.#issued.delete(job.id);
    this.#registered.delete(job.id);
    const { db } = this.deps;
    const now = this.#now();
    // The agent's word alone changes no card: only a serial the server assigned or the card proved.
    const cardSerial = trustedCardSerial(job);
    if (job.errorCode === 'pin_blocked' && cardSerial) await markCardLocked(db, cardSerial, now);
    if (job.kind === 'unlock') await this.#unlockEnded(job, now);
    if (!job.authOrderId) return;
    if (unlockProven(job) && job.personId && job.cardSerial) {
      await completeAuthOrder(
        db,
        job.authOrderId,
        { personId: job.personId, cardSerial: job.cardSerial },
        now,
      );
    } else if (job.state !== 'succeeded') {
      await failAuthOrder(
        db,
        job.authOrderId,
        { code: job.errorCode ?? 'internal', message: job.errorMessage ?? refusals.jobFailed },
        now,
      );
    } else if (job.kind === 'unlock') {
      await failAuthOrder(
        db,
        job.authOrderId,
        { code: 'card_not_authentic', message: refusals.notProven },
        now,
      );
    }
  }

  async #unlockEnded(job: JobRow, now: Date): Promise<void> {
    const { db } = this.deps;
    if (!job.cardSerial || !job.personId) return;
    const card = await findCardForCertificates(db, job.cardSerial);
    const succeeded = unlockProven(job);
    if (job.state === 'succeeded' && !succeeded)
      this.deps.logger.warn({ jobId: job.id }, 'unlock reported done without the card proving itself');
    if (succeeded && card) await markCardUnlocked(db, card.id, now);
    const person = await findPersonById(db, job.personId);
    await recordAudit(db, {
      actorUserId: job.createdByUserId,
      actorLabel: person ? `${person.givenName} ${person.surname}` : job.personId,
      action: 'card_unlock',
      objectType: 'card',
      objectId: card?.id ?? null,
      outcome: succeeded ? 'success' : 'failed',
      detail: {
        cardSerial: job.cardSerial,
        jobId: job.id,
        ...(job.errorCode ? { errorCode: job.errorCode } : {}),
      },
    });
    await this.deps.onUnlockAttempt({
      personId: job.personId,
      cardSerial: job.cardSerial,
      outcome: succeeded ? 'succeeded' : 'failed',
      at: now,
    });
  }

  async #auditRefusal(job: JobRow, type: CardExchange['type'], refusal: Refusal): Promise<void> {
    this.deps.logger.warn({ jobId: job.id, type, code: refusal.code }, 'card exchange refused');
    await recordAudit(this.deps.db, {
      actorUserId: job.createdByUserId,
      actorLabel: 'SITHS eID-app',
      action: `card_${type}`,
      objectType: 'job',
      objectId: job.id,
      outcome: 'refused',
      detail: { reason: refusal.code, cardSerial: job.cardSerial, kind: job.kind },
    });
  }
}

/** An unlock counts as done only when the agent says so and the assigned card proved itself in the job. */
function unlockProven(job: JobRow): boolean {
  return (
    job.kind === 'unlock' &&
    job.state === 'succeeded' &&
    job.cardSerial !== null &&
    job.provenCardSerial === job.cardSerial
  );
}

function spki(base64: string): Buffer {
  const der = Buffer.from(base64, 'base64');
  createPublicKey({ key: der, format: 'der', type: 'spki' });
  return der;
}
