import { type ActionFunctionArgs, json, type LoaderFunctionArgs } from '@remix-run/node';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import { cancelCardOrder, cardOrderStatus } from '~/mina-sidor/card-order.server';
import { findOwnAuthOrder, getEndUser } from '~/mina-sidor/end-user.server';
import { recordAudit, recordFoldedRefusal } from '../../db/audit';

/** The state of a card order, polled by the page that started it (and only by that browser). */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const order = params.orderId ? await findOwnAuthOrder(request, context, params.orderId) : undefined;
  if (order?.method !== 'card') {
    const t = translator(await localeOf(request));
    return json({ message: t('mina.order.notYours') }, { status: 404 });
  }
  return json(await cardOrderStatus(context, order), { headers: { 'Cache-Control': 'no-store' } });
}

/**
 * AVBRYT, or the page left mid-job: cancels the order this browser started and its job. Only the browser
 * holding the order's cookie, and for an order made by a logged-in user only that login session, may.
 */
export async function action({ request, context, params }: ActionFunctionArgs) {
  const t = translator(await localeOf(request));
  const form = await request.formData();
  const order = params.orderId ? await findOwnAuthOrder(request, context, params.orderId) : undefined;
  const user = await getEndUser(request, context);
  const refuse = async (reason: string, status: number, message: string) => {
    await recordFoldedRefusal(context.db, {
      actorUserId: user?.userId ?? null,
      actorLabel: user?.displayName ?? 'anonym',
      action: 'card_order_cancel',
      objectType: 'auth_order',
      objectId: params.orderId ?? null,
      detail: { reason, clientAddress: context.clientAddress },
    });
    return json({ message }, { status });
  };
  if (form.get('intent') !== 'cancel') return await refuse('invalid_input', 400, t('mina.order.notYours'));
  if (order?.method !== 'card') return await refuse('not_own_order', 404, t('mina.order.notYours'));
  if (order.sessionId && order.sessionId !== user?.sessionId) {
    return await refuse('other_session', 403, t('mina.order.notYours'));
  }
  const cancelled = await cancelCardOrder(context, order);
  if (cancelled.ok) {
    await recordAudit(context.db, {
      actorUserId: user?.userId ?? null,
      actorLabel: user?.displayName ?? 'anonym',
      action: 'card_order_cancel',
      objectType: 'auth_order',
      objectId: order.id,
      outcome: 'success',
      detail: { purpose: order.purpose, clientAddress: context.clientAddress },
    });
  }
  const now = await findOwnAuthOrder(request, context, order.id);
  return json(await cardOrderStatus(context, now ?? order), { status: cancelled.ok ? 200 : 409 });
}
