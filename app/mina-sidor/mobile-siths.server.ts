import type { AppLoadContext } from '@remix-run/node';
import QRCode from 'qrcode';
import { type AuthOrderRow, collectAuthOrder, findAuthOrder } from '../../db/auth-orders';
import type { MobileAuthOrderStatus } from '../../server/mobile-siths/auth-orders';
import { type TooManyStarts, takeAnonymousStart } from './anonymous-starts.server';
import { authOrderCookieHeader, type EndUser, findOwnAuthOrder } from './end-user.server';

/** Where the browser showing a Mobile SITHS QR code polls (resource route mina-sidor.mobilt-siths.status.$orderId). */
export const mobileOrderStatusUrl = (orderId: string) => `/mina-sidor/mobilt-siths/status/${orderId}`;

/** The status as the browser gets it: the QR code drawn as an image while the order waits for a phone. */
export type MobileOrderView =
  | Exclude<MobileAuthOrderStatus, { state: 'pending' }>
  | { state: 'pending'; qrContent: string; qrImage: string; secondsLeft: number };

/**
 * The QR code as an SVG data URL for an <img>: the CSP allows data: images, and an image puts no markup
 * into the page.
 */
export async function qrImage(content: string): Promise<string> {
  const svg = await QRCode.toString(content, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}

export async function viewOfMobileOrder(
  context: AppLoadContext,
  order: AuthOrderRow,
  now: Date,
): Promise<MobileOrderView> {
  const status = context.mobileSiths.mobileAuthOrderStatus(order, now);
  return status.state === 'pending' ? { ...status, qrImage: await qrImage(status.qrContent) } : status;
}

/**
 * A login order for this browser; the cookie binds it to the browser (only it can collect the login).
 * Within the client address's start limit: nobody is logged in yet.
 */
export async function startMobileLogin(
  context: AppLoadContext,
): Promise<{ ok: true; orderId: string; cookie: string } | TooManyStarts> {
  const allowed = await takeAnonymousStart(context, 'mobile_siths_login');
  if (!allowed.ok) return allowed;
  const started = await context.mobileSiths.startMobileAuthOrder(context.db, {
    purpose: 'login',
    remoteAddress: context.clientAddress,
    now: new Date(),
  });
  return {
    ok: true,
    orderId: started.orderId,
    cookie: await authOrderCookieHeader(started.orderId, started.collectSecret),
  };
}

export interface StartedMobileReauth {
  orderId: string;
  /** Give to <MobileSithsQr statusUrl>: the QR code and the order's state, for this session only. */
  statusUrl: string;
  expiresAt: string;
}

/**
 * A fresh Mobile SITHS QR code for re-authenticating the logged-in person (unlocking a card): only a device
 * of `endUser.personId` can complete it, and only this login session can follow and consume it.
 */
export async function startMobileReauth(
  context: AppLoadContext,
  endUser: EndUser,
): Promise<StartedMobileReauth> {
  const started = await context.mobileSiths.startMobileAuthOrder(context.db, {
    purpose: 'unlock_reauth',
    expectedPersonId: endUser.personId,
    sessionId: endUser.sessionId,
    remoteAddress: context.clientAddress,
    now: new Date(),
  });
  return {
    orderId: started.orderId,
    statusUrl: mobileOrderStatusUrl(started.orderId),
    expiresAt: started.expiresAt.toISOString(),
  };
}

/** An order this login session started for its own person (a re-authentication, a decision to sign). */
const isStartedBySession = (order: AuthOrderRow, endUser: EndUser | null) =>
  endUser !== null && order.sessionId === endUser.sessionId && order.expectedPersonId === endUser.personId;

const isOwnReauth = (order: AuthOrderRow, endUser: EndUser | null) =>
  order.purpose === 'unlock_reauth' && isStartedBySession(order, endUser);

/** The decider's staff session follows its decision's order; the signature is taken from the order, not here. */
const isOwnDecisionToSign = (order: AuthOrderRow, endUser: EndUser | null) =>
  order.purpose === 'sign_decision' && isStartedBySession(order, endUser);

/**
 * The Mobile SITHS order `orderId` if this request may follow it: a login order started by this browser
 * (its cookie), or a re-authentication or a decision to sign started by this login session.
 */
export async function findFollowableMobileOrder(
  request: Request,
  context: AppLoadContext,
  orderId: string,
  endUser: EndUser | null,
): Promise<AuthOrderRow | undefined> {
  const order = await findAuthOrder(context.db, orderId);
  if (!order || !context.mobileSiths.isMobileAuthOrder(order)) return undefined;
  if (isOwnReauth(order, endUser) || isOwnDecisionToSign(order, endUser)) return order;
  if (order.purpose !== 'login') return undefined;
  return findOwnAuthOrder(request, context, orderId);
}

export type ConsumedReauth =
  | { ok: true; mobileDeviceId: string; completedAt: Date }
  | { ok: false; reason: 'not_found' | 'not_completed' | 'already_used' };

/**
 * For the page the re-authentication guards (the unlock flow): true once, when the order was completed by
 * the logged-in person's device in this session. It is then spent, so one re-authentication unlocks once.
 */
export async function consumeMobileReauth(
  context: AppLoadContext,
  endUser: EndUser,
  orderId: string,
): Promise<ConsumedReauth> {
  const order = await findAuthOrder(context.db, orderId);
  if (!order || !context.mobileSiths.isMobileAuthOrder(order) || !isOwnReauth(order, endUser))
    return { ok: false, reason: 'not_found' };
  if (order.state === 'collected') return { ok: false, reason: 'already_used' };
  if (order.state !== 'completed' || order.personId !== endUser.personId || !order.mobileDeviceId) {
    return { ok: false, reason: 'not_completed' };
  }
  if (!(await collectAuthOrder(context.db, order.id))) return { ok: false, reason: 'already_used' };
  return { ok: true, mobileDeviceId: order.mobileDeviceId, completedAt: order.completedAt ?? new Date() };
}
