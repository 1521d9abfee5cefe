import { json, type LoaderFunctionArgs } from '@remix-run/node';
import { z } from 'zod';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import { getEndUser } from '~/mina-sidor/end-user.server';
import { findFollowableMobileOrder, viewOfMobileOrder } from '~/mina-sidor/mobile-siths.server';
import { recordFoldedRefusal } from '../../db/audit';

const noStore = { 'Cache-Control': 'no-store' };

/**
 * GET: the state of a Mobile SITHS order and, while it waits for a phone, this second's QR code
 * (`MobileOrderView` JSON). Only for the browser that started a login order (its cookie) or the login
 * session that started a re-authentication; anything else is 404 and audited.
 */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const orderId = z.uuid().safeParse(params.orderId);
  const endUser = await getEndUser(request, context);
  const order = orderId.success
    ? await findFollowableMobileOrder(request, context, orderId.data, endUser)
    : undefined;
  if (!order) {
    await recordFoldedRefusal(context.db, {
      actorUserId: endUser?.userId ?? null,
      actorLabel: endUser?.displayName ?? 'anonym',
      action: 'mobile_order_status',
      objectType: 'auth_order',
      objectId: orderId.success ? orderId.data : null,
      detail: {
        reason: orderId.success ? 'not_own_order' : 'invalid_input',
        clientAddress: context.clientAddress,
      },
    });
    const t = translator(await localeOf(request));
    return json({ message: t('error.notFound') }, { status: 404, headers: noStore });
  }
  return json(await viewOfMobileOrder(context, order, new Date()), { headers: noStore });
}
