import { type AppLoadContext, json, redirect } from '@remix-run/node';
import { z } from 'zod';
import { recordFoldedRefusal } from '../../db/audit';
import { findOwnAuthOrder, openSessionFromAuthOrder } from './end-user.server';
import { errorPageFor } from './error-pages';

export const collectSchema = z.object({ intent: z.literal('collect'), orderId: z.uuid() });

/**
 * The browser that started a completed card login turns it into its session; a failed one goes to its
 * error page or back with the error code. Refusals are audited.
 */
export async function collectCardLogin(
  request: Request,
  context: AppLoadContext,
  orderId: string,
  redirectTo: string,
) {
  const order = await findOwnAuthOrder(request, context, orderId);
  if (!order) return json({ errorCode: 'not_found' }, { status: 404 });
  if (order.state === 'failed') {
    const page = errorPageFor(order.errorCode);
    if (page) throw redirect(page);
    return json({ errorCode: order.errorCode ?? 'internal' }, { status: 409 });
  }
  const opened = await openSessionFromAuthOrder(context, order);
  if (!opened.ok) {
    await recordFoldedRefusal(context.db, {
      actorUserId: null,
      actorLabel: order.cardSerial ?? 'okänd',
      action: 'login_card',
      objectType: 'session',
      detail: { reason: opened.reason, authOrderId: order.id, clientAddress: context.clientAddress },
    });
    return json({ errorCode: opened.reason }, { status: 409 });
  }
  throw redirect(redirectTo, { headers: { 'Set-Cookie': opened.cookie } });
}
