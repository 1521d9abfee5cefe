import type { OrderState, OrderType } from './schema';

/** What can happen to an order; each action is allowed from some states, by some actors. */
export const orderActions = ['approve', 'approve_second', 'cancel', 'expire', 'fulfil'] as const;
export type OrderAction = (typeof orderActions)[number];

export const openOrderStates = [
  'placed',
  'awaiting_second_approval',
  'ready',
] as const satisfies readonly OrderState[];

/**
 * Who acts. Staff carry what the caller established about them for this order: whether they are an
 * ID-administrator, and whether a manager or contact person role of theirs reaches the order's unit.
 * The system is the expiry sweep and the activation flow (issue 7).
 */
export type OrderActor =
  | { kind: 'staff'; userId: string; isIdAdmin: boolean; inPlacerScope: boolean }
  | { kind: 'system' };

export interface OrderFacts {
  type: OrderType;
  state: OrderState;
  placedByUserId: string;
  /** The ID-administrator who gave the first approval of a trust-level-3 reserve card, if any. */
  firstApproverUserId: string | null;
}

export type TransitionRefusal = 'wrong_state' | 'not_permitted' | 'own_order' | 'already_approved';

export type TransitionDecision = { ok: true; to: OrderState } | { ok: false; reason: TransitionRefusal };

const fromStates: Record<OrderAction, readonly OrderState[]> = {
  approve: ['placed'],
  approve_second: ['awaiting_second_approval'],
  cancel: openOrderStates,
  expire: openOrderStates,
  fulfil: ['ready'],
};

function targetState(action: OrderAction, type: OrderType): OrderState {
  switch (action) {
    case 'approve':
      return type === 'reserve_card_loa3' ? 'awaiting_second_approval' : 'ready';
    case 'approve_second':
      return 'ready';
    case 'cancel':
      return 'cancelled';
    case 'expire':
      return 'expired';
    case 'fulfil':
      return 'fulfilled';
  }
}

function permitted(action: OrderAction, actor: OrderActor): boolean {
  if (action === 'expire' || action === 'fulfil') return actor.kind === 'system';
  if (actor.kind !== 'staff') return false;
  if (action === 'cancel') return actor.isIdAdmin || actor.inPlacerScope;
  return actor.isIdAdmin;
}

/** Four eyes: nobody approves an order they placed, and the second approval needs a second person. */
function fourEyes(action: OrderAction, actor: OrderActor, order: OrderFacts): TransitionRefusal | null {
  if (actor.kind !== 'staff' || (action !== 'approve' && action !== 'approve_second')) return null;
  if (actor.userId === order.placedByUserId) return 'own_order';
  if (action === 'approve_second' && actor.userId === order.firstApproverUserId) return 'already_approved';
  return null;
}

/** Whether `actor` may do `action` to `order`, and the state it leads to. Pure: no database, no clock. */
export function decideTransition(
  order: OrderFacts,
  action: OrderAction,
  actor: OrderActor,
): TransitionDecision {
  if (!fromStates[action].includes(order.state)) return { ok: false, reason: 'wrong_state' };
  if (!permitted(action, actor)) return { ok: false, reason: 'not_permitted' };
  const refusal = fourEyes(action, actor, order);
  if (refusal) return { ok: false, reason: refusal };
  return { ok: true, to: targetState(action, order.type) };
}

/** The approval an order in `state` is waiting for, if it waits for one. */
export function pendingApproval(state: OrderState): 'approve' | 'approve_second' | null {
  if (state === 'placed') return 'approve';
  if (state === 'awaiting_second_approval') return 'approve_second';
  return null;
}

export function isOpenOrderState(state: OrderState): boolean {
  return (openOrderStates as readonly OrderState[]).includes(state);
}
