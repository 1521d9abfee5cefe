import { and, desc, eq, inArray, or } from 'drizzle-orm';
import type { SignedDecisionKind } from '../protocol/domain-values';
import type { AppDatabase, AppTransaction } from './connection';
import { first } from './engine';
import { newId } from './ids';
import { type AuthOrderMethod, auditEvents, authOrders, signedDecisions, users } from './schema';

/** A decision's signature as the server checked it: what is kept with the decision and its audit event. */
export interface DecisionSignature {
  kind: SignedDecisionKind;
  objectType: string;
  objectId: string;
  statement: string;
  /** Base64, as the card or phone made it. */
  signature: string;
  certificateDer: string;
  signerUserId: string;
  signerLabel: string;
  signerPersonId: string;
  method: AuthOrderMethod;
  /** The card serial or Mobile SITHS device id that signed. */
  credential: string;
  authOrderId: string;
  unitId?: string | null;
  signedAt: Date;
}

/**
 * Records the signature in the transaction that carries out the decision: an audit event `decision_signed`
 * holding the statement, signature and certificate, and the signed decision that refers to it. The auth
 * order is spent here (collected), so one signature decides once; false if it was spent already.
 */
export async function recordDecisionSignature(
  tx: AppTransaction,
  decision: DecisionSignature,
): Promise<boolean> {
  const spent = await tx
    .update(authOrders)
    .set({ state: 'collected' })
    .where(and(eq(authOrders.id, decision.authOrderId), eq(authOrders.state, 'completed')))
    .returning({ id: authOrders.id });
  if (spent.length !== 1) return false;
  const [audit] = await tx
    .insert(auditEvents)
    .values({
      actorUserId: decision.signerUserId,
      actorLabel: decision.signerLabel,
      action: 'decision_signed',
      objectType: decision.objectType,
      objectId: decision.objectId,
      unitId: decision.unitId ?? null,
      outcome: 'success',
      detail: {
        kind: decision.kind,
        statement: decision.statement,
        signature: decision.signature,
        certificate: decision.certificateDer,
        method: decision.method,
        credential: decision.credential,
        authOrderId: decision.authOrderId,
      },
    })
    .returning({ id: auditEvents.id });
  await tx.insert(signedDecisions).values({
    id: newId(),
    kind: decision.kind,
    objectType: decision.objectType,
    objectId: decision.objectId,
    statement: decision.statement,
    signature: decision.signature,
    certificateDer: decision.certificateDer,
    signerUserId: decision.signerUserId,
    signerPersonId: decision.signerPersonId,
    method: decision.method,
    credential: decision.credential,
    authOrderId: decision.authOrderId,
    auditEventId: audit?.id ?? null,
    signedAt: decision.signedAt,
  });
  return true;
}

export interface SignedDecisionView {
  id: string;
  kind: SignedDecisionKind;
  objectType: string;
  objectId: string;
  statement: string;
  signature: string;
  certificateDer: string;
  signerName: string;
  method: AuthOrderMethod;
  signedAt: Date;
  /** The unit the decision concerned, as its audit event names it (null for a decision about no unit). */
  unitId: string | null;
}

const viewColumns = {
  id: signedDecisions.id,
  kind: signedDecisions.kind,
  objectType: signedDecisions.objectType,
  objectId: signedDecisions.objectId,
  statement: signedDecisions.statement,
  signature: signedDecisions.signature,
  certificateDer: signedDecisions.certificateDer,
  signerName: users.displayName,
  method: signedDecisions.method,
  signedAt: signedDecisions.signedAt,
  unitId: auditEvents.unitId,
};

/** The signed decisions about an object (an order, a card, an eID, a role), newest first. */
export async function listSignedDecisionsAbout(
  db: AppDatabase,
  objectType: string,
  objectId: string,
): Promise<SignedDecisionView[]> {
  return db
    .select(viewColumns)
    .from(signedDecisions)
    .innerJoin(users, eq(users.id, signedDecisions.signerUserId))
    .leftJoin(auditEvents, eq(auditEvents.id, signedDecisions.auditEventId))
    .where(and(eq(signedDecisions.objectType, objectType), eq(signedDecisions.objectId, objectId)))
    .orderBy(desc(signedDecisions.signedAt));
}

/** The signed decisions about any of these objects (a person's cards and eIDs), newest first. */
export async function listSignedDecisionsAboutAny(
  db: AppDatabase,
  objects: ReadonlyArray<{ objectType: string; objectIds: readonly string[] }>,
): Promise<SignedDecisionView[]> {
  const about = objects
    .filter((group) => group.objectIds.length > 0)
    .map((group) =>
      and(
        eq(signedDecisions.objectType, group.objectType),
        inArray(signedDecisions.objectId, [...group.objectIds]),
      ),
    );
  if (about.length === 0) return [];
  return db
    .select(viewColumns)
    .from(signedDecisions)
    .innerJoin(users, eq(users.id, signedDecisions.signerUserId))
    .leftJoin(auditEvents, eq(auditEvents.id, signedDecisions.auditEventId))
    .where(or(...about))
    .orderBy(desc(signedDecisions.signedAt));
}

export async function findSignedDecision(
  db: AppDatabase,
  id: string,
): Promise<SignedDecisionView | undefined> {
  return first(
    await db
      .select(viewColumns)
      .from(signedDecisions)
      .innerJoin(users, eq(users.id, signedDecisions.signerUserId))
      .leftJoin(auditEvents, eq(auditEvents.id, signedDecisions.auditEventId))
      .where(eq(signedDecisions.id, id))
      .limit(1),
  );
}
