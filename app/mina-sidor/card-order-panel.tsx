import { Form } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { isMessageKey } from '~/i18n/catalogue';
import { useT } from '~/i18n/use-translation';
import type { CardOrderStatus } from './card-order.server';
import { type CardOrderHandle, useCardOrder } from './use-card-order';

/** The text for a job step on Mina sidor, in the user's words rather than support's. */
export function useStepText() {
  const t = useT();
  return (step: string | null) => {
    const key = `mina.step.${step ?? 'waiting'}`;
    return isMessageKey(key) ? t(key) : t('mina.step.waiting');
  };
}

export function useJobErrorText() {
  const t = useT();
  return (code: string | null) => {
    const key = `jobError.${code}`;
    return code && isMessageKey(key) ? t(key) : t('mina.order.failed');
  };
}

/**
 * Starts the SITHS eID-app on this computer for an order and follows it: what the app is doing, a progress
 * bar when asked for, and what to do when the app cannot be reached. Tells the page when the order ends.
 */
export function CardOrderPanel({
  handle,
  showProgress = false,
  onEnded,
  retryFields = {},
  children,
}: {
  handle: CardOrderHandle;
  showProgress?: boolean;
  onEnded(status: CardOrderStatus): void;
  /** Posted to this page by "Försök igen" after a failure. */
  retryFields?: Record<string, string>;
  children?: React.ReactNode;
}) {
  const t = useT();
  const stepText = useStepText();
  const errorText = useJobErrorText();
  const { status, problem, problemMessage, retryStart } = useCardOrder(handle);
  const reported = useRef(false);
  const ended = status && status.phase !== 'waiting' && status.phase !== 'running';
  useEffect(() => {
    if (ended && !reported.current) {
      reported.current = true;
      onEnded(status);
    }
  }, [ended, status, onEnded]);

  if (ended && status.phase !== 'completed') {
    return (
      <Form method="post" className="mina-panel card-order">
        <p role="alert" className="form-error">
          {status.phase === 'expired' ? t('mina.order.expired') : errorText(status.errorCode)}
        </p>
        {Object.entries(retryFields).map(([name, value]) => (
          <input key={name} type="hidden" name={name} value={value} />
        ))}
        <button type="submit" className="mina-button primary">
          {t('mina.tryAgain')}
        </button>
      </Form>
    );
  }
  return (
    <div className="mina-panel card-order" aria-live="polite">
      {children}
      {problem ? (
        <div role="alert" className="form-error">
          <p>
            {problem === 'unreachable'
              ? t('mina.agent.unreachable')
              : (problemMessage ?? t('mina.agent.refused'))}
          </p>
          <button type="button" className="mina-button" onClick={() => void retryStart()}>
            {t('mina.agent.retry')}
          </button>
        </div>
      ) : status?.phase === 'running' ? (
        <p className="step-text">{stepText(status.step)}</p>
      ) : (
        <p className="step-text">{t('mina.agent.starting')}</p>
      )}
      {showProgress && status ? (
        <div
          className="mina-progress"
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={status.progress}
        >
          <progress max={100} value={status.progress} />
          <span className="progress-percent">{status.progress}%</span>
        </div>
      ) : null}
    </div>
  );
}
