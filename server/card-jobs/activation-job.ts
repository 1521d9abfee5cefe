import { createPublicKey } from 'node:crypto';
import { completeAuthOrder } from '../../db/auth-orders';
import {
  activationRefusal,
  completeReserveActivation,
  findActivationOrder,
  isActivationRecorded,
} from '../../db/card-lifecycle';
import { findCardForCertificates } from '../../db/eids';
import { type JobRow, recordExchangeProgress, storeIssuedCertificates } from '../../db/jobs';
import { findPersonById } from '../../db/persons';
import { type CardExchange, type CardExchangeAnswer, cardKeyRoles } from '../../protocol/card-exchange';
import { deriveCardSecrets } from '../secrets/card-secrets';
import { refusals } from './refusals';
import { type CardJobContext, type CardJobKind, provenCertificate, refuse } from './shared';

/**
 * The activate job: the reserve card proves itself with its transport key and gets its management key,
 * then its new keys get certificates, and the read-back of those certificates records the activation.
 */
export function activationJob(ctx: CardJobContext): CardJobKind {
  async function proveForActivation(
    job: JobRow,
    request: Extract<CardExchange, { type: 'prove_card' }>,
  ): Promise<CardExchangeAnswer> {
    const { db } = ctx.deps;
    const proven = await provenCertificate(ctx, job, request);
    if ('ok' in proven) return proven;
    if (proven.purpose !== 'transport') return refuse('certificate_rejected', refusals.alreadyActive);
    if (!job.cardSerial || proven.cardSerial !== job.cardSerial)
      return refuse('wrong_card', refusals.wrongCard);
    const card = await findCardForCertificates(db, job.cardSerial);
    const activation = card ? await findActivationOrder(db, card.id) : undefined;
    if (!card || activationRefusal(card, activation) || activation?.id !== job.eidOrderId) {
      return refuse('no_eid_order', refusals.noOrder);
    }
    // In the job's row: the process that answers the next request may be another one.
    await recordExchangeProgress(db, job, { activationProven: true });
    const { managementKey } = deriveCardSecrets(ctx.deps.masterKey, job.cardSerial);
    return { ok: true as const, managementKey: { algorithm: 'AES128' as const, key: managementKey } };
  }

  async function issueCertificates(
    job: JobRow,
    request: Extract<CardExchange, { type: 'request_certificates' }>,
  ): Promise<CardExchangeAnswer> {
    const { db } = ctx.deps;
    if (!job.exchangeProgress?.activationProven || !job.cardSerial)
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
    const issued = await ctx.deps.pki.issueCardCertificates({
      holder: card.holder,
      cardSerial: card.serial,
      trustLevel: activation.trustLevel,
      keys,
      validTo: card.validTo,
    });
    const der = {
      authentication: issued.authentication.der.toString('base64'),
      signature: issued.signature.der.toString('base64'),
      cardAuthentication: issued.cardAuthentication.der.toString('base64'),
    };
    await storeIssuedCertificates(db, job.id, der);
    return { ok: true, certificates: der };
  }

  async function confirmCertificates(
    job: JobRow,
    request: Extract<CardExchange, { type: 'confirm_certificates' }>,
  ): Promise<CardExchangeAnswer> {
    const { db } = ctx.deps;
    if (!job.issuedCertificates || !job.cardSerial || !job.eidOrderId)
      return refuse('agent_protocol_error', refusals.notProven);
    const card = await findCardForCertificates(db, job.cardSerial);
    const activation = card ? await findActivationOrder(db, card.id) : undefined;
    if (!card || !activation) return refuse('no_eid_order', refusals.noOrder);
    const issued = ctx.deps.pki.issuedCardCertificatesOf(job.issuedCertificates, activation.trustLevel);
    const matches = cardKeyRoles.every((role) => issued[role].fingerprint === request.fingerprints[role]);
    if (!matches) return refuse('certificate_rejected', refusals.readBackMismatch);
    const holder = await findPersonById(db, activation.personId);
    const done = await completeReserveActivation(db, {
      cardId: card.id,
      orderId: activation.id,
      personId: activation.personId,
      trustLevel: activation.trustLevel,
      certificates: issued,
      actorUserId: job.createdByUserId,
      actorLabel: holder ? `${holder.givenName} ${holder.surname}` : card.serial,
      at: ctx.now(),
    });
    if (!done) return refuse('no_eid_order', refusals.noOrder);
    if (job.authOrderId) {
      await completeAuthOrder(
        db,
        job.authOrderId,
        { personId: activation.personId, cardSerial: card.serial },
        ctx.now(),
      );
    }
    return { ok: true };
  }

  return {
    exchange: async (job, request) => {
      switch (request.type) {
        case 'prove_card':
          return proveForActivation(job, request);
        case 'request_certificates':
          return issueCertificates(job, request);
        case 'confirm_certificates':
          return confirmCertificates(job, request);
        default:
          return refuse('agent_protocol_error', refusals.wrongRequest);
      }
    },
    isSettled: async (job) =>
      job.eidOrderId !== null &&
      job.cardSerial !== null &&
      (await isActivationRecorded(ctx.deps.db, job.eidOrderId, job.cardSerial)),
  };
}

function spki(base64: string): Buffer {
  const der = Buffer.from(base64, 'base64');
  createPublicKey({ key: der, format: 'der', type: 'spki' });
  return der;
}
