import { type AppLoadContext, json } from '@remix-run/node';
import { decideTransition, pendingApproval } from '../../db/order-lifecycle';
import { findOrderDetail, type OrderDetail } from '../../db/orders';
import { hasAnyRole, type Principal, visibleUnits } from '../auth/permissions';
import { requireSection } from '../auth/section.server';
import { dashboardSections } from '../auth/sections';
import { requireUnitAccess } from '../auth/staff.server';
import { translator } from '../i18n/catalogue';
import { localeOf } from '../i18n/locale.server';

const placers = ['manager', 'contact_person'] as const;

/** The principal and the order, if they may see it: the order section, and a role reaching the order's unit. */
export async function requireOrder(request: Request, context: AppLoadContext, orderId: string | undefined) {
  const principal = await requireSection(request, context, 'orders');
  const order = orderId ? await findOrderDetail(context.db, orderId) : undefined;
  if (!order) {
    const t = translator(await localeOf(request));
    throw json({ message: t('orders.error.not_found') }, { status: 404 });
  }
  await requireUnitAccess(request, context, principal, order.unitId, dashboardSections.orders.roles, {
    action: 'open_order',
    objectType: 'order',
    objectId: order.id,
  });
  return { principal, order };
}

/** Who the principal is to the order lifecycle. */
export function orderActorOf(principal: Principal) {
  return {
    userId: principal.userId,
    label: principal.username,
    isIdAdmin: hasAnyRole(principal, ['id_admin']),
    placerScope: visibleUnits(principal, placers),
  };
}

export type OfferedAction = 'approve' | 'approve_second' | 'cancel';

/**
 * The buttons the page offers. An ID-administrator sees the pending approval even where four eyes will
 * refuse it, so the refusal is explained rather than the button silently missing.
 */
export function offeredActions(principal: Principal, order: OrderDetail): OfferedAction[] {
  const actor = orderActorOf(principal);
  const offered: OfferedAction[] = [];
  const approval = pendingApproval(order.state);
  if (approval && actor.isIdAdmin) offered.push(approval);
  const inPlacerScope = actor.placerScope === 'all' || actor.placerScope.includes(order.unitId);
  const cancel = decideTransition({ ...order, firstApproverUserId: null }, 'cancel', {
    kind: 'staff',
    userId: actor.userId,
    isIdAdmin: actor.isIdAdmin,
    inPlacerScope,
  });
  if (cancel.ok) offered.push('cancel');
  return offered;
}
