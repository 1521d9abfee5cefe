import { completeAuthOrder, findAuthOrder, isAuthOrderOpen } from '../../db/auth-orders';
import { activationRefusal, findActivationOrder } from '../../db/card-lifecycle';
import { findCardForCertificates } from '../../db/eids';
import { type JobRow, recordExchangeProgress } from '../../db/jobs';
import type { CardExchange, CardExchangeAnswer } from '../../protocol/card-exchange';
import { proveBlockedCard } from './card-check-job';
import { refusals } from './refusals';
import { type CardJobContext, type CardJobKind, provenCertificate, refuse } from './shared';
import { signStatement } from './sign-decision';

/**
 * The authenticate job: a login signs the order's challenge; a reserve card registers with its transport
 * key before it signs in for its activation; a decision is signed with the card's signature key instead.
 */
export function loginJob(ctx: CardJobContext): CardJobKind {
  async function signIn(
    job: JobRow,
    request: Extract<CardExchange, { type: 'sign_in' }>,
  ): Promise<CardExchangeAnswer> {
    const { db } = ctx.deps;
    const order = job.authOrderId ? await findAuthOrder(db, job.authOrderId) : undefined;
    // A decision is signed, never logged in to: a login's signature would complete its order unsigned.
    if (order?.purpose === 'sign_decision') return refuse('agent_protocol_error', refusals.wrongRequest);
    if (!order || !isAuthOrderOpen(order, ctx.now())) return refuse('job_not_active', refusals.orderClosed);
    const proven = await provenCertificate(ctx, job, request);
    if ('ok' in proven) return proven;
    const card = proven.cardSerial ? await findCardForCertificates(db, proven.cardSerial) : undefined;
    if (!card) return refuse('certificate_rejected', refusals.certificate);
    if (order.purpose === 'reserve_registration') {
      if (job.exchangeProgress?.registeredCardId !== card.id || proven.purpose !== 'transport') {
        return refuse('certificate_rejected', refusals.notRegistered);
      }
      const activation = await findActivationOrder(db, card.id);
      if (!activation) return refuse('no_eid_order', refusals.noOrder);
      await completeAuthOrder(
        db,
        order.id,
        { personId: activation.personId, cardSerial: card.serial },
        ctx.now(),
      );
      return { ok: true };
    }
    if (proven.purpose === 'transport') return refuse('reserve_card_not_activated', refusals.notActivated);
    if (proven.purpose !== 'authentication' || !proven.personId)
      return refuse('certificate_rejected', refusals.certificate);
    if (card.state !== 'active') return refuse('card_not_active', refusals.cardNotActive);
    await completeAuthOrder(db, order.id, { personId: proven.personId, cardSerial: card.serial }, ctx.now());
    return { ok: true };
  }

  async function registerCard(
    job: JobRow,
    request: Extract<CardExchange, { type: 'register_card' }>,
  ): Promise<CardExchangeAnswer> {
    const { db } = ctx.deps;
    const order = job.authOrderId ? await findAuthOrder(db, job.authOrderId) : undefined;
    if (order?.purpose !== 'reserve_registration')
      return refuse('agent_protocol_error', refusals.wrongRequest);
    const proven = await provenCertificate(ctx, job, request);
    if ('ok' in proven) return proven;
    const card = proven.cardSerial ? await findCardForCertificates(db, proven.cardSerial) : undefined;
    if (!card || proven.purpose !== 'transport')
      return refuse('certificate_rejected', refusals.alreadyActive);
    const refusal = activationRefusal(card, await findActivationOrder(db, card.id));
    if (refusal === 'not_in_portal' || refusal === 'no_order')
      return refuse('no_eid_order', refusals.noOrder);
    if (refusal) return refuse('certificate_rejected', refusals.alreadyActive);
    await recordExchangeProgress(db, job, { registeredCardId: card.id });
    return { ok: true };
  }

  return {
    exchange: async (job, request) => {
      switch (request.type) {
        case 'sign_in':
          return signIn(job, request);
        case 'register_card':
          return registerCard(job, request);
        case 'sign_statement':
          return signStatement(ctx, job, request);
        // In a login, prove_card names the card whose PIN the agent found blocked.
        case 'prove_card':
          return proveBlockedCard(ctx, job, request);
        default:
          return refuse('agent_protocol_error', refusals.wrongRequest);
      }
    },
  };
}
