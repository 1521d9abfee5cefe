import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, eq, inArray, lt } from 'drizzle-orm';
import type { AppDatabase } from './connection';
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

export function createAuthOrder(db: AppDatabase, input: NewAuthOrder, now: Date): StartedAuthOrder {
  const orderId = newId();
  const collectSecret = randomToken();
  const challenge = randomToken();
  const qrStartToken = input.method === 'mobile_siths' ? newId() : undefined;
  const autoStartToken = input.method === 'card' ? randomToken() : undefined;
  db.insert(authOrders)
    .values({
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
      createdAt: now,
      expiresAt: new Date(now.getTime() + input.ttlMs),
    })
    .run();
  return {
    orderId,
    collectSecret,
    challenge,
    ...(qrStartToken ? { qrStartToken } : {}),
    ...(autoStartToken ? { autoStartToken } : {}),
  };
}

export function findAuthOrder(db: AppDatabase, orderId: string): AuthOrderRow | undefined {
  return db.select().from(authOrders).where(eq(authOrders.id, orderId)).get();
}

/** The order, if `collectSecret` is the one its starting browser got. */
export function findAuthOrderForCollector(
  db: AppDatabase,
  orderId: string,
  collectSecret: string,
): AuthOrderRow | undefined {
  const order = findAuthOrder(db, orderId);
  if (!order) return undefined;
  const given = Buffer.from(sha256(collectSecret));
  const stored = Buffer.from(order.collectSecretHash);
  return given.length === stored.length && timingSafeEqual(given, stored) ? order : undefined;
}

export function findAuthOrderByQrStartToken(db: AppDatabase, qrStartToken: string): AuthOrderRow | undefined {
  return db.select().from(authOrders).where(eq(authOrders.qrStartToken, qrStartToken)).get();
}

export function findAuthOrderByAutoStartToken(
  db: AppDatabase,
  autoStartToken: string,
): AuthOrderRow | undefined {
  return db
    .select()
    .from(authOrders)
    .where(eq(authOrders.autoStartTokenHash, sha256(autoStartToken)))
    .get();
}

export function isAuthOrderOpen(order: AuthOrderRow, now: Date): boolean {
  return (order.state === 'pending' || order.state === 'scanned') && order.expiresAt > now;
}

/** Moves an order from one of `from` to `to`; false when another request got there first. */
function transition(
  db: AppDatabase,
  orderId: string,
  from: readonly AuthOrderState[],
  to: AuthOrderState,
  fields: Partial<typeof authOrders.$inferInsert> = {},
): boolean {
  const result = db
    .update(authOrders)
    .set({ ...fields, state: to })
    .where(and(eq(authOrders.id, orderId), inArray(authOrders.state, [...from])))
    .run();
  return result.changes === 1;
}

/** Mobile SITHS read the QR code, or an agent claimed the start token: the order is now in use, once. */
export function markAuthOrderScanned(
  db: AppDatabase,
  orderId: string,
  fields: { mobileDeviceId?: string; agentId?: string; jobId?: string },
): boolean {
  return transition(db, orderId, ['pending'], 'scanned', fields);
}

/** The job the order started (a card job started by the agent's claim). */
export function attachJobToAuthOrder(db: AppDatabase, orderId: string, jobId: string): void {
  db.update(authOrders).set({ jobId }).where(eq(authOrders.id, orderId)).run();
}

export function completeAuthOrder(
  db: AppDatabase,
  orderId: string,
  proof: { personId: string; mobileDeviceId?: string | null; cardSerial?: string | null },
  now: Date,
): boolean {
  return transition(db, orderId, ['pending', 'scanned'], 'completed', {
    personId: proof.personId,
    mobileDeviceId: proof.mobileDeviceId ?? null,
    cardSerial: proof.cardSerial ?? null,
    completedAt: now,
  });
}

export function failAuthOrder(
  db: AppDatabase,
  orderId: string,
  error: { code: string; message: string },
  now: Date,
): boolean {
  return transition(db, orderId, ['pending', 'scanned'], 'failed', {
    errorCode: error.code,
    errorMessage: error.message,
    completedAt: now,
  });
}

export function cancelAuthOrder(db: AppDatabase, orderId: string, now: Date): boolean {
  return transition(db, orderId, ['pending', 'scanned'], 'cancelled', { completedAt: now });
}

/** The starting browser turned a completed order into its login session: it can never be used again. */
export function collectAuthOrder(db: AppDatabase, orderId: string): boolean {
  return transition(db, orderId, ['completed'], 'collected');
}

/** Open orders past their time become expired; returns how many. */
export function expireAuthOrders(db: AppDatabase, now: Date): number {
  return db
    .update(authOrders)
    .set({ state: 'expired', completedAt: now })
    .where(and(inArray(authOrders.state, ['pending', 'scanned']), lt(authOrders.expiresAt, now)))
    .run().changes;
}
