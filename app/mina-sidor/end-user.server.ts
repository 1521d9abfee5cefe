import { type AppLoadContext, createCookie, redirect } from '@remix-run/node';
import { recordAudit } from '../../db/audit';
import type { AuthOrderRow } from '../../db/auth-orders';
import { collectAuthOrder, findAuthOrderForCollector } from '../../db/auth-orders';
import { findPersonById } from '../../db/persons';
import type { AuthOrderPurpose, LoginMethod } from '../../db/schema';
import { ensureUserForPerson, findUserById, findUserByPersonId, listRoleAssignments } from '../../db/users';

/** A person logged in to Mina sidor with a SITHS eID (or a staff member with a person, by password). */
export interface EndUser {
  userId: string;
  sessionId: string;
  personId: string;
  displayName: string;
  loginMethod: LoginMethod;
  /** The card serial or Mobile SITHS device id the session was opened with. */
  loginCredential: string | null;
}

export async function getEndUser(request: Request, context: AppLoadContext): Promise<EndUser | null> {
  const session = await context.sessions.validateCookieHeader(request.headers.get('Cookie'));
  if (!session) return null;
  const user = await findUserById(context.db, session.userId);
  if (!user || user.disabled || !user.personId) return null;
  return {
    userId: user.id,
    sessionId: session.sessionId,
    personId: user.personId,
    displayName: user.displayName,
    loginMethod: session.loginMethod,
    loginCredential: session.loginCredential,
  };
}

/** The logged-in end user, or a redirect to the Mina sidor start page. */
export async function requireEndUser(request: Request, context: AppLoadContext): Promise<EndUser> {
  const user = await getEndUser(request, context);
  if (!user) throw redirect('/mina-sidor');
  return user;
}

/**
 * Binds an auth order to the browser that started it: the cookie holds the order id and a secret whose
 * hash the order keeps, so polling and collecting work only from that browser.
 */
export const authOrderCookie = createCookie('siths_auth_order', {
  httpOnly: true,
  sameSite: 'lax',
  path: '/',
  maxAge: 15 * 60,
});

export async function authOrderCookieHeader(orderId: string, collectSecret: string): Promise<string> {
  return authOrderCookie.serialize(`${orderId}.${collectSecret}`);
}

/** The auth order this browser started, if the cookie names `orderId` and holds its secret. */
export async function findOwnAuthOrder(
  request: Request,
  context: AppLoadContext,
  orderId: string,
): Promise<AuthOrderRow | undefined> {
  const value: unknown = await authOrderCookie.parse(request.headers.get('Cookie'));
  if (typeof value !== 'string') return undefined;
  const [cookieOrderId, secret] = value.split('.');
  if (cookieOrderId !== orderId || !secret) return undefined;
  return await findAuthOrderForCollector(context.db, orderId, secret);
}

/** Who a SITHS eID login is for: Mina sidor (any person), or the dashboard (a person with a staff role). */
export type LoginAudience = 'end_user' | 'staff';

export type OpenedSession = { ok: true; cookie: string } | { ok: false; reason: LoginRefusal };
export type LoginRefusal =
  | 'not_completed'
  | 'no_account'
  | 'disabled'
  | 'no_staff_role'
  | 'already_collected';

/** A reserve card registers (transport key and envelope code) to log its holder in for the activation. */
const loginPurposes: Record<LoginAudience, readonly AuthOrderPurpose[]> = {
  end_user: ['login', 'reserve_registration'],
  staff: ['login'],
};

/**
 * Turns a completed login order into a login session, once. The session records how the user logged
 * in (Mobile SITHS device or card serial), so revoking that eID ends it. A staff login finds the account
 * and roles of the person whose certificate signed; it never creates an account.
 */
export async function openSessionFromAuthOrder(
  context: AppLoadContext,
  order: AuthOrderRow,
  audience: LoginAudience = 'end_user',
): Promise<OpenedSession> {
  if (!loginPurposes[audience].includes(order.purpose) || order.state !== 'completed' || !order.personId)
    return { ok: false, reason: 'not_completed' };
  const person = await findPersonById(context.db, order.personId);
  const user =
    audience === 'staff'
      ? await findUserByPersonId(context.db, order.personId)
      : await ensureUserForPerson(context.db, order.personId);
  if (!person || !user) return { ok: false, reason: audience === 'staff' ? 'no_staff_role' : 'no_account' };
  if (user.disabled) return { ok: false, reason: 'disabled' };
  if (audience === 'staff' && (await listRoleAssignments(context.db, user.id)).length === 0)
    return { ok: false, reason: 'no_staff_role' };
  if (!(await collectAuthOrder(context.db, order.id))) return { ok: false, reason: 'already_collected' };
  const loginMethod: LoginMethod = order.method === 'card' ? 'card' : 'mobile_siths';
  const loginCredential = order.method === 'card' ? order.cardSerial : order.mobileDeviceId;
  const { cookie } = await context.sessions.create({ userId: user.id, loginMethod, loginCredential });
  await recordAudit(context.db, {
    actorUserId: user.id,
    actorLabel: user.username,
    action: loginMethod === 'card' ? 'login_card' : 'login_mobile_siths',
    objectType: 'session',
    outcome: 'success',
    detail: {
      clientAddress: context.clientAddress,
      credential: loginCredential,
      authOrderId: order.id,
      portal: audience === 'staff' ? 'admin' : 'mina_sidor',
    },
  });
  return { ok: true, cookie };
}
