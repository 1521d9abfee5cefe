import { type AppLoadContext, json, redirect } from '@remix-run/node';
import { z } from 'zod';
import { recordFoldedRefusal } from '../../db/audit';
import { type AuthOrderRow, cancelAuthOrder, isAuthOrderOpen } from '../../db/auth-orders';
import { tooManyStartsResponse } from './anonymous-starts.server';
import {
  authOrderCookie,
  findOwnAuthOrder,
  type LoginAudience,
  openSessionFromAuthOrder,
} from './end-user.server';
import { mobileOrderStatusUrl, startMobileLogin } from './mobile-siths.server';

/**
 * "SITHS eID på annan enhet" for Mina sidor and for the dashboard: one Mobile SITHS login order per browser
 * (its auth-order cookie), collected into a session of the audience's kind.
 */
export interface MobileLoginPages {
  audience: LoginAudience;
  /** This page (restart comes back here) and where "Avbryt" and a collected login go. */
  page: string;
  cancelTo: string;
  loggedInTo: string;
}

/** The Mobile SITHS login order named by this browser's auth-order cookie, if it is one. */
async function ownLoginOrder(request: Request, context: AppLoadContext) {
  const value: unknown = await authOrderCookie.parse(request.headers.get('Cookie'));
  const orderId = typeof value === 'string' ? value.split('.')[0] : undefined;
  const order = orderId ? await findOwnAuthOrder(request, context, orderId) : undefined;
  return order?.method === 'mobile_siths' && order.purpose === 'login' ? order : undefined;
}

const showable = (order: AuthOrderRow | undefined, now: Date): order is AuthOrderRow =>
  order !== undefined && (isAuthOrderOpen(order, now) || order.state === 'completed');

/**
 * Shows this browser's open login order, or starts one (2 minutes) and binds it to the browser with the
 * auth-order cookie. Reloading reuses the open order; a client that sends no cookie starts at most ten a
 * minute (then 429 "För många försök").
 */
export async function showMobileLogin(request: Request, context: AppLoadContext) {
  const own = await ownLoginOrder(request, context);
  if (showable(own, new Date())) {
    return json(
      { orderId: own.id, statusUrl: mobileOrderStatusUrl(own.id) },
      { headers: { 'Cache-Control': 'no-store' } },
    );
  }
  const started = await startMobileLogin(context);
  if (!started.ok) return tooManyStartsResponse(started);
  return json(
    { orderId: started.orderId, statusUrl: mobileOrderStatusUrl(started.orderId) },
    { headers: { 'Set-Cookie': started.cookie, 'Cache-Control': 'no-store' } },
  );
}

const actionSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('collect'), orderId: z.uuid() }),
  z.object({ intent: z.literal('restart') }),
  z.object({ intent: z.literal('cancel') }),
]);

/** collect: the phone is done, open the session; restart: "Försök igen" with a new order; cancel: "Avbryt". */
export async function mobileLoginAction(request: Request, context: AppLoadContext, pages: MobileLoginPages) {
  const input = actionSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!input.success) {
    await recordFoldedRefusal(context.db, {
      actorUserId: null,
      actorLabel: 'anonym',
      action: 'login_mobile_siths',
      objectType: 'session',
      detail: { reason: 'invalid_input', clientAddress: context.clientAddress },
    });
    return json({ error: 'mobile.refusal.invalid_input' as const }, { status: 400 });
  }
  const own = await ownLoginOrder(request, context);
  const now = new Date();
  if (input.data.intent === 'collect')
    return collect(context, own?.id === input.data.orderId ? own : undefined, pages);
  if (own && isAuthOrderOpen(own, now)) await cancelAuthOrder(context.db, own.id, now);
  if (input.data.intent === 'cancel') {
    const cleared = await authOrderCookie.serialize('', { maxAge: 0 });
    return redirect(pages.cancelTo, { headers: { 'Set-Cookie': cleared } });
  }
  const started = await startMobileLogin(context);
  if (!started.ok) return tooManyStartsResponse(started);
  return redirect(pages.page, { headers: { 'Set-Cookie': started.cookie } });
}

async function collect(context: AppLoadContext, order: AuthOrderRow | undefined, pages: MobileLoginPages) {
  const opened = order
    ? await openSessionFromAuthOrder(context, order, pages.audience)
    : { ok: false as const, reason: 'not_found' };
  if (!opened.ok) {
    await recordFoldedRefusal(context.db, {
      actorUserId: null,
      actorLabel: 'anonym',
      action: 'login_mobile_siths',
      objectType: 'session',
      detail: {
        reason: opened.reason,
        authOrderId: order?.id,
        personId: order?.personId,
        portal: pages.audience === 'staff' ? 'admin' : 'mina_sidor',
        clientAddress: context.clientAddress,
      },
    });
    if (pages.audience === 'staff' && opened.reason === 'no_staff_role')
      return json({ error: 'login.error.noStaffRole' as const, toMinaSidor: true }, { status: 403 });
    if (pages.audience === 'staff' && opened.reason === 'disabled')
      return json({ error: 'login.error.disabled' as const }, { status: 403 });
    return json({ error: 'mobile.login.collectFailed' as const }, { status: 409 });
  }
  const headers = new Headers();
  headers.append('Set-Cookie', opened.cookie);
  headers.append('Set-Cookie', await authOrderCookie.serialize('', { maxAge: 0 }));
  return redirect(pages.loggedInTo, { headers });
}
