import { type AppLoadContext, json } from '@remix-run/node';
import { recordAudit } from '../../db/audit';
import { decideTransition, pendingApproval } from '../../db/order-lifecycle';
import { findOrderDetail, type OrderDetail } from '../../db/orders';
import { hasAnyRole, identityViewerOf, type Principal, visibleUnits } from '../auth/permissions';
import { requireSection } from '../auth/section.server';
import { dashboardSections } from '../auth/sections';
import { requireUnitAccess } from '../auth/staff.server';
import { translator } from '../i18n/catalogue';
import { localeOf } from '../i18n/locale.server';

const placers = ['manager', 'contact_person'] as const;

/** The principal and the order, if they may see it: the order section, and a role reaching the order's unit. */
export async function requireOrder(request: Request, context: AppLoadContext, orderId: string | undefined) {
  const principal = await requireSection(request, context, 'orders');
  const order = orderId ? await findOrderDetail(context.db, orderId, identityViewerOf(principal)) : undefined;
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

/** An order whose person the principal may see. */
export type ShownOrderDetail = OrderDetail & { person: Extract<OrderDetail['person'], { hidden: false }> };

/**
 * The order to act on: as requireOrder, and a person the principal may see. Nobody acts on a protected identity
 * they may not see: the answer is the one for an unknown order, and the refusal is audited.
 */
export async function requireOrderOfShownPerson(
  request: Request,
  context: AppLoadContext,
  orderId: string | undefined,
): Promise<{ principal: Principal; order: ShownOrderDetail }> {
  const { principal, order } = await requireOrder(request, context, orderId);
  if (!order.person.hidden) return { principal, order: { ...order, person: order.person } };
  await recordAudit(context.db, {
    actorUserId: principal.userId,
    actorLabel: principal.username,
    action: 'order_change',
    objectType: 'order',
    objectId: order.id,
    outcome: 'refused',
    detail: { reason: 'protected_identity' },
  });
  const t = translator(await localeOf(request));
  throw json({ message: t('orders.error.not_found') }, { status: 404 });
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
  if (order.person.hidden) return offered;
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
