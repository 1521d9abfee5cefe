import type { AppLoadContext } from '@remix-run/node';
import type { Principal } from '~/auth/permissions';
import { startCardOrder } from '~/mina-sidor/card-order.server';
import { mobileOrderStatusUrl } from '~/mina-sidor/mobile-siths.server';
import { recordAudit } from '../../db/audit';
import { findAuthOrder } from '../../db/auth-orders';
import { findPersonById } from '../../db/persons';
import type { DecisionSignature } from '../../db/signed-decisions';
import type { SignedDecisionKind } from '../../protocol/domain-values';
import type { StatementPerson } from './statements';

/** A decision that must be signed: what it is about, and the statement for a signing order. */
export interface DecisionToSign {
  kind: SignedDecisionKind;
  objectType: string;
  objectId: string;
  unitId: string | null;
  statementFor(orderId: string, at: Date): string;
}

export type SigningMethod = 'card' | 'mobile_siths';

/** A signing order as the page follows it. */
export type SigningHandle =
  | { method: 'card'; orderId: string; autoStartToken: string; statement: string }
  | { method: 'mobile_siths'; orderId: string; statusUrl: string; statement: string };

/** The card order's auth-order cookie goes in the answer's Set-Cookie: the card order page polls with it. */
export type StartedSigning = SigningHandle & { cookie: string | null };

export type SigningRefusal =
  | 'no_person'
  | 'not_found'
  | 'not_signed'
  | 'other_decision'
  | 'signature_invalid'
  | 'already_used';

/** The decider as the statement names them; null for an account without a person (it cannot sign). */
export async function signerOf(
  context: AppLoadContext,
  principal: Principal,
): Promise<StatementPerson | null> {
  const person = principal.personId ? await findPersonById(context.db, principal.personId) : undefined;
  return person ? { name: `${person.givenName} ${person.surname}`, hsaId: person.hsaId } : null;
}

/**
 * An order for the decider's own SITHS eID to sign the decision's statement: the card on this computer
 * (the SITHS eID-app, signature PIN, key 9C) or Mobile SITHS. Only this staff session can follow and use it.
 */
export async function startDecisionSigning(
  context: AppLoadContext,
  principal: Principal,
  decision: DecisionToSign,
  method: SigningMethod,
): Promise<{ ok: true; signing: StartedSigning } | { ok: false; reason: SigningRefusal }> {
  if (!principal.personId) return await refused(context, principal, decision, 'no_person');
  const personId = principal.personId;
  const statementFor = (orderId: string, at: Date) => decision.statementFor(orderId, at);
  if (method === 'card') {
    const started = await startCardOrder(context, {
      purpose: 'sign_decision',
      expectedPersonId: personId,
      sessionId: principal.sessionId,
      statementFor,
    });
    const order = await findAuthOrder(context.db, started.orderId);
    return {
      ok: true,
      signing: {
        method,
        orderId: started.orderId,
        autoStartToken: started.autoStartToken,
        statement: order?.statement ?? '',
        cookie: started.cookie,
      },
    };
  }
  const started = await context.mobileSiths.startMobileAuthOrder(context.db, {
    purpose: 'sign_decision',
    expectedPersonId: personId,
    sessionId: principal.sessionId,
    statementFor,
    remoteAddress: context.clientAddress,
    now: new Date(),
  });
  const order = await findAuthOrder(context.db, started.orderId);
  return {
    ok: true,
    signing: {
      method,
      orderId: started.orderId,
      statusUrl: mobileOrderStatusUrl(started.orderId),
      statement: order?.statement ?? '',
      cookie: null,
    },
  };
}

/**
 * The signature of this decision, checked again here before anything is decided: an order of this staff
 * session for its own person, completed with a signature of exactly the statement this decision makes now
 * (so a decision changed after signing, or another decision's signature, is refused), and a signature the
 * PKI and the decider's active eID still vouch for. Refusals are audited; the order is spent only by the
 * decision's own transaction (recordDecisionSignature).
 */
export async function takeDecisionSignature(
  context: AppLoadContext,
  principal: Principal,
  decision: DecisionToSign,
  orderId: string,
): Promise<{ ok: true; signature: DecisionSignature } | { ok: false; reason: SigningRefusal }> {
  if (!principal.personId) return await refused(context, principal, decision, 'no_person', orderId);
  const order = await findAuthOrder(context.db, orderId);
  const ownSigning =
    order?.purpose === 'sign_decision' &&
    order.sessionId === principal.sessionId &&
    order.expectedPersonId === principal.personId;
  if (!order || !ownSigning) return await refused(context, principal, decision, 'not_found', orderId);
  if (order.state === 'collected')
    return await refused(context, principal, decision, 'already_used', orderId);
  if (order.state !== 'completed' || !order.statement || !order.signature || !order.signerCertificate)
    return await refused(context, principal, decision, 'not_signed', orderId);
  if (order.statement !== decision.statementFor(order.id, order.createdAt))
    return await refused(context, principal, decision, 'other_decision', orderId);
  const credential = order.method === 'card' ? order.cardSerial : order.mobileDeviceId;
  const verified = await context.signedStatements.verify({
    statement: order.statement,
    signature: Buffer.from(order.signature, 'base64'),
    certificateDer: Buffer.from(order.signerCertificate, 'base64'),
    at: new Date(),
    expectedPersonId: principal.personId,
    method: order.method,
  });
  if (!verified.ok || !credential) {
    return await refused(context, principal, decision, 'signature_invalid', orderId, {
      verification: verified.ok ? 'no_credential' : verified.reason,
    });
  }
  return {
    ok: true,
    signature: {
      kind: decision.kind,
      objectType: decision.objectType,
      objectId: decision.objectId,
      unitId: decision.unitId,
      statement: order.statement,
      signature: order.signature,
      certificateDer: order.signerCertificate,
      signerUserId: principal.userId,
      signerLabel: principal.username,
      signerPersonId: principal.personId,
      method: order.method,
      credential,
      authOrderId: order.id,
      signedAt: order.completedAt ?? new Date(),
    },
  };
}

async function refused(
  context: AppLoadContext,
  principal: Principal,
  decision: DecisionToSign,
  reason: SigningRefusal,
  orderId?: string,
  extra: Record<string, unknown> = {},
): Promise<{ ok: false; reason: SigningRefusal }> {
  await recordAudit(context.db, {
    actorUserId: principal.userId,
    actorLabel: principal.username,
    action: 'decision_sign',
    objectType: decision.objectType,
    objectId: decision.objectId,
    unitId: decision.unitId,
    outcome: 'refused',
    detail: { reason, kind: decision.kind, authOrderId: orderId, ...extra },
  });
  return { ok: false, reason };
}
