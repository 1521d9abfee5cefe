import { isMessageKey, type MessageKey } from '~/i18n/catalogue';
import type { CardOrderStatus } from './card-order.server';

const firstKey = (candidates: string[], fallback: MessageKey): MessageKey =>
  (candidates.find(isMessageKey) as MessageKey | undefined) ?? fallback;

/** Why a card job was refused or failed, in words the user can act on; every job error code has its own. */
export function jobErrorKey(code: string | null): MessageKey {
  return firstKey(code ? [`mina.jobError.${code}`] : [], 'mina.order.failed');
}

/**
 * The one line the card-order panel shows for where the job is: taken from the job's own state and step,
 * so it never says "Startar" once the app has the order, and never a step once the job has ended.
 */
export function cardOrderTextKey(status: CardOrderStatus | null): MessageKey {
  switch (status?.stage ?? 'starting') {
    case 'starting':
      return 'mina.agent.starting';
    case 'waiting_for_app':
      return 'mina.step.waiting';
    case 'waiting_for_code':
      return firstKey([`mina.step.${status?.kind}.waiting_for_user`], 'mina.step.waiting_for_user');
    case 'working':
      // The code has been given (waiting_for_user succeeded) and the next step is not reported yet.
      if (status?.step === 'waiting_for_user') return 'mina.step.working';
      return firstKey([`mina.step.${status?.step}`], 'mina.step.working');
    case 'done':
      return 'mina.order.done';
    case 'expired':
      return 'mina.order.expired';
    default:
      return jobErrorKey(status?.errorCode ?? null);
  }
}

/** Whether the order is still open: the app may take it, or its job waits or runs. */
export function cardOrderOpen(status: CardOrderStatus | null): boolean {
  return status === null || status.phase === 'waiting' || status.phase === 'running';
}
