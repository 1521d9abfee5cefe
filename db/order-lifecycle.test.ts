import { describe, expect, it } from 'vitest';
import {
  decideTransition,
  type OrderAction,
  type OrderActor,
  type OrderFacts,
  orderActions,
  pendingApproval,
} from './order-lifecycle';
import { type OrderState, type OrderType, orderStates, orderTypes } from './schema';

const placer = 'user-placer';
const idAdmin: OrderActor = { kind: 'staff', userId: 'user-idadmin', isIdAdmin: true, inPlacerScope: false };
const manager: OrderActor = { kind: 'staff', userId: 'user-manager', isIdAdmin: false, inPlacerScope: true };
const outsider: OrderActor = { kind: 'staff', userId: 'user-other', isIdAdmin: false, inPlacerScope: false };
const system: OrderActor = { kind: 'system' };

/** Every transition the lifecycle allows, with the actor that may make it. Everything else is refused. */
const allowed: ReadonlyArray<readonly [OrderAction, OrderState, OrderType, OrderState, OrderActor]> = [
  ['approve', 'placed', 'eid_on_card', 'ready', idAdmin],
  ['approve', 'placed', 'reserve_card_loa2', 'ready', idAdmin],
  ['approve', 'placed', 'mobile', 'ready', idAdmin],
  ['approve', 'placed', 'reserve_card_loa3', 'awaiting_second_approval', idAdmin],
  ['approve_second', 'awaiting_second_approval', 'reserve_card_loa3', 'ready', idAdmin],
  ...orderTypes.flatMap((type) => [
    ['cancel', 'placed', type, 'cancelled', manager] as const,
    ['cancel', 'ready', type, 'cancelled', manager] as const,
    ['expire', 'placed', type, 'expired', system] as const,
    ['expire', 'ready', type, 'expired', system] as const,
    ['fulfil', 'ready', type, 'fulfilled', system] as const,
  ]),
  ['cancel', 'awaiting_second_approval', 'reserve_card_loa3', 'cancelled', manager],
  ['expire', 'awaiting_second_approval', 'reserve_card_loa3', 'expired', system],
];

// awaiting_second_approval exists only for trust-level-3 reserve cards (a check in the schema).
const combinations = orderStates.flatMap((state) =>
  orderTypes
    .filter((type) => state !== 'awaiting_second_approval' || type === 'reserve_card_loa3')
    .map((type) => [state, type] as const),
);

const facts = (
  state: OrderState,
  type: OrderType,
  firstApproverUserId: string | null = null,
): OrderFacts => ({
  type,
  state,
  placedByUserId: placer,
  firstApproverUserId,
});

const actorsFor = (action: OrderAction): OrderActor[] =>
  allowed.filter(([candidate]) => candidate === action).map(([, , , , actor]) => actor);

describe('order state machine: allowed transitions', () => {
  for (const [action, from, type, to, actor] of allowed) {
    it(`${action} takes a ${type} order from ${from} to ${to}`, () => {
      expect(decideTransition(facts(from, type), action, actor)).toEqual({ ok: true, to });
    });
  }

  it('lets an ID-administrator cancel any open order, also outside the placer scope', () => {
    for (const state of ['placed', 'awaiting_second_approval', 'ready'] as const) {
      expect(decideTransition(facts(state, 'reserve_card_loa3'), 'cancel', idAdmin)).toEqual({
        ok: true,
        to: 'cancelled',
      });
    }
  });
});

describe('order state machine: refused transitions', () => {
  for (const action of orderActions) {
    for (const [state, type] of combinations) {
      const isAllowed = allowed.some(([a, from, t]) => a === action && from === state && t === type);
      if (isAllowed) continue;
      it(`refuses ${action} of a ${type} order in ${state}`, () => {
        for (const actor of [...actorsFor(action), idAdmin, manager, system]) {
          expect(decideTransition(facts(state, type), action, actor)).toEqual({
            ok: false,
            reason: 'wrong_state',
          });
        }
      });
    }
  }

  for (const [action, from, type] of allowed) {
    const wrongActors = [idAdmin, manager, outsider, system].filter((actor) => {
      if (action === 'expire' || action === 'fulfil') return actor.kind !== 'system';
      if (action === 'cancel') return actor === outsider || actor === system;
      return actor !== idAdmin;
    });
    it(`refuses ${action} of a ${type} order in ${from} to anyone but its actors`, () => {
      for (const actor of wrongActors) {
        expect(decideTransition(facts(from, type), action, actor)).toEqual({
          ok: false,
          reason: 'not_permitted',
        });
      }
    });
  }
});

describe('four eyes', () => {
  const placerAsIdAdmin: OrderActor = { kind: 'staff', userId: placer, isIdAdmin: true, inPlacerScope: true };

  it('refuses an ID-administrator approving an order they placed themselves', () => {
    for (const type of orderTypes) {
      expect(decideTransition(facts('placed', type), 'approve', placerAsIdAdmin)).toEqual({
        ok: false,
        reason: 'own_order',
      });
    }
    expect(
      decideTransition(
        facts('awaiting_second_approval', 'reserve_card_loa3'),
        'approve_second',
        placerAsIdAdmin,
      ),
    ).toEqual({ ok: false, reason: 'own_order' });
  });

  it('refuses the first approver giving the second approval too', () => {
    const order = facts('awaiting_second_approval', 'reserve_card_loa3', 'user-idadmin');
    expect(decideTransition(order, 'approve_second', idAdmin)).toEqual({
      ok: false,
      reason: 'already_approved',
    });
  });

  it('accepts a second, different ID-administrator', () => {
    const order = facts('awaiting_second_approval', 'reserve_card_loa3', 'user-first-approver');
    expect(decideTransition(order, 'approve_second', idAdmin)).toEqual({ ok: true, to: 'ready' });
  });

  it('lets the placer cancel their own order', () => {
    const placerAsManager: OrderActor = {
      kind: 'staff',
      userId: placer,
      isIdAdmin: false,
      inPlacerScope: true,
    };
    expect(decideTransition(facts('placed', 'mobile'), 'cancel', placerAsManager)).toEqual({
      ok: true,
      to: 'cancelled',
    });
  });
});

describe('pending approval', () => {
  it('names the approval an order waits for', () => {
    expect(orderStates.map(pendingApproval)).toEqual(['approve', 'approve_second', null, null, null, null]);
  });
});
