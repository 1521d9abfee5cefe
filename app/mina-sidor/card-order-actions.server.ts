import { type AppLoadContext, json, redirect } from '@remix-run/node';
import { z } from 'zod';
import { recordFoldedRefusal } from '../../db/audit';
import { findOwnAuthOrder, type LoginAudience, openSessionFromAuthOrder } from './end-user.server';
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
  target: { redirectTo: string; audience?: LoginAudience },
) {
  const order = await findOwnAuthOrder(request, context, orderId);
  if (!order) return json({ errorCode: 'not_found' }, { status: 404 });
  if (order.state === 'failed') {
    const page = errorPageFor(order.errorCode);
    if (page) throw redirect(page);
    return json({ errorCode: order.errorCode ?? 'internal' }, { status: 409 });
  }
  const opened = await openSessionFromAuthOrder(context, order, target.audience);
  if (!opened.ok) {
    await recordFoldedRefusal(context.db, {
      actorUserId: null,
      actorLabel: order.cardSerial ?? 'okänd',
      action: 'login_card',
      objectType: 'session',
      detail: {
        reason: opened.reason,
        authOrderId: order.id,
        personId: order.personId,
        portal: target.audience === 'staff' ? 'admin' : 'mina_sidor',
        clientAddress: context.clientAddress,
      },
    });
    const forbidden = opened.reason === 'no_staff_role' || opened.reason === 'disabled';
    return json({ errorCode: opened.reason }, { status: forbidden ? 403 : 409 });
  }
  throw redirect(target.redirectTo, { headers: { 'Set-Cookie': opened.cookie } });
}
