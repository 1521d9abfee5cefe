import { json, type LoaderFunctionArgs } from '@remix-run/node';
import { cardOrderStatus } from '~/mina-sidor/card-order.server';
import { findOwnAuthOrder } from '~/mina-sidor/end-user.server';

/** The state of a card order, polled by the page that started it (and only by that browser). */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const order = params.orderId ? await findOwnAuthOrder(request, context, params.orderId) : undefined;
  if (order?.method !== 'card') {
    return json({ message: 'Ordern finns inte eller hör inte till den här webbläsaren.' }, { status: 404 });
  }
  return json(await cardOrderStatus(context, order), { headers: { 'Cache-Control': 'no-store' } });
}
