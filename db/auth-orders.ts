import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, eq, inArray, lt } from 'drizzle-orm';
import type { AppDatabase } from './connection';
import { first } from './engine';
import { newId } from './ids';
import { type AuthOrderMethod, type AuthOrderPurpose, type AuthOrderState, authOrders } from './schema';

export type AuthOrderRow = typeof authOrders.$inferSelect;

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
const randomToken = () => randomBytes(32).toString('base64url');

export interface NewAuthOrder {
  purpose: AuthOrderPurpose;
  method: AuthOrderMethod;
  expectedPersonId?: string | null;
  cardId?: string | null;
  sessionId?: string | null;
  remoteAddress?: string | null;
  ttlMs: number;
  /**
   * A decision to sign (purpose sign_decision): the text the card or phone signs, given the order's id and
   * creation time (kept as created_at), so the text names the order it was made for and a signature of it
   * is worth nothing for any other, and the deciding page can make the same text again to compare.
   */
  statementFor?: (orderId: string, createdAt: Date) => string;
}

/** What the browser that started an order gets back; the secrets are not stored in clear (but the QR key). */
export interface StartedAuthOrder {
  orderId: string;
  /** Goes into the starting browser's cookie: only that browser may collect the order. */
  collectSecret: string;
  challenge: string;
  qrStartToken?: string;
  /** Handed to the card-agent on this computer. */
  autoStartToken?: string;
}

export async function createAuthOrder(
  db: AppDatabase,
  input: NewAuthOrder,
  now: Date,
): Promise<StartedAuthOrder> {
  const orderId = newId();
  const collectSecret = randomToken();
  const challenge = randomToken();
  const qrStartToken = input.method === 'mobile_siths' ? newId() : undefined;
  const autoStartToken = input.method === 'card' ? randomToken() : undefined;
  await db.insert(authOrders).values({
    id: orderId,
    purpose: input.purpose,
    method: input.method,
    state: 'pending',
    collectSecretHash: sha256(collectSecret),
    qrStartToken: qrStartToken ?? null,
    qrStartSecret: qrStartToken ? randomToken() : null,
    autoStartTokenHash: autoStartToken ? sha256(autoStartToken) : null,
    challenge,
    expectedPersonId: input.expectedPersonId ?? null,
    cardId: input.cardId ?? null,
    sessionId: input.sessionId ?? null,
    remoteAddress: input.remoteAddress ?? null,
    statement: input.statementFor?.(orderId, now) ?? null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + input.ttlMs),
  });
  return {
    orderId,
    collectSecret,
    challenge,
    ...(qrStartToken ? { qrStartToken } : {}),
    ...(autoStartToken ? { autoStartToken } : {}),
  };
}

export async function findAuthOrder(db: AppDatabase, orderId: string): Promise<AuthOrderRow | undefined> {
  return first(await db.select().from(authOrders).where(eq(authOrders.id, orderId)).limit(1));
}

/** The order, if `collectSecret` is the one its starting browser got. */
export async function findAuthOrderForCollector(
  db: AppDatabase,
  orderId: string,
  collectSecret: string,
): Promise<AuthOrderRow | undefined> {
  const order = await findAuthOrder(db, orderId);
  if (!order) return undefined;
  const given = Buffer.from(sha256(collectSecret));
  const stored = Buffer.from(order.collectSecretHash);
  return given.length === stored.length && timingSafeEqual(given, stored) ? order : undefined;
}

export async function findAuthOrderByQrStartToken(
  db: AppDatabase,
  qrStartToken: string,
): Promise<AuthOrderRow | undefined> {
  return first(await db.select().from(authOrders).where(eq(authOrders.qrStartToken, qrStartToken)).limit(1));
}

export async function findAuthOrderByAutoStartToken(
  db: AppDatabase,
  autoStartToken: string,
): Promise<AuthOrderRow | undefined> {
  return first(
    await db
      .select()
      .from(authOrders)
      .where(eq(authOrders.autoStartTokenHash, sha256(autoStartToken)))
      .limit(1),
  );
}

export function isAuthOrderOpen(order: AuthOrderRow, now: Date): boolean {
  return (order.state === 'pending' || order.state === 'scanned') && order.expiresAt > now;
}

/** Moves an order from one of `from` to `to`; false when another request got there first. */
async function transition(
  db: AppDatabase,
  orderId: string,
  from: readonly AuthOrderState[],
  to: AuthOrderState,
  fields: Partial<typeof authOrders.$inferInsert> = {},
): Promise<boolean> {
  const moved = await db
    .update(authOrders)
    .set({ ...fields, state: to })
    .where(and(eq(authOrders.id, orderId), inArray(authOrders.state, [...from])))
    .returning({ id: authOrders.id });
  return moved.length === 1;
}

/** Mobile SITHS read the QR code, or an agent claimed the start token: the order is now in use, once. */
export async function markAuthOrderScanned(
  db: AppDatabase,
  orderId: string,
  fields: { mobileDeviceId?: string; agentId?: string; jobId?: string },
): Promise<boolean> {
  return transition(db, orderId, ['pending'], 'scanned', fields);
}

/** The job the order started (a card job started by the agent's claim). */
export async function attachJobToAuthOrder(db: AppDatabase, orderId: string, jobId: string): Promise<void> {
  await db.update(authOrders).set({ jobId }).where(eq(authOrders.id, orderId));
}

export async function completeAuthOrder(
  db: AppDatabase,
  orderId: string,
  proof: {
    personId: string;
    mobileDeviceId?: string | null;
    cardSerial?: string | null;
    /** A sign_decision order: the signature of its statement and the certificate that verifies it, base64. */
    statementSignature?: { signature: string; certificate: string };
  },
  now: Date,
): Promise<boolean> {
  return transition(db, orderId, ['pending', 'scanned'], 'completed', {
    personId: proof.personId,
    mobileDeviceId: proof.mobileDeviceId ?? null,
    cardSerial: proof.cardSerial ?? null,
    signature: proof.statementSignature?.signature ?? null,
    signerCertificate: proof.statementSignature?.certificate ?? null,
    completedAt: now,
  });
}

export async function failAuthOrder(
  db: AppDatabase,
  orderId: string,
  error: { code: string; message: string },
  now: Date,
): Promise<boolean> {
  return transition(db, orderId, ['pending', 'scanned'], 'failed', {
    errorCode: error.code,
    errorMessage: error.message,
    completedAt: now,
  });
}

export async function cancelAuthOrder(db: AppDatabase, orderId: string, now: Date): Promise<boolean> {
  return transition(db, orderId, ['pending', 'scanned'], 'cancelled', { completedAt: now });
}

/** The starting browser turned a completed order into its login session: it can never be used again. */
export async function collectAuthOrder(db: AppDatabase, orderId: string): Promise<boolean> {
  return transition(db, orderId, ['completed'], 'collected');
}

/** Open orders past their time become expired; returns how many. */
export async function expireAuthOrders(db: AppDatabase, now: Date): Promise<number> {
  const expired = await db
    .update(authOrders)
    .set({ state: 'expired', completedAt: now })
    .where(and(inArray(authOrders.state, ['pending', 'scanned']), lt(authOrders.expiresAt, now)))
    .returning({ id: authOrders.id });
  return expired.length;
}
