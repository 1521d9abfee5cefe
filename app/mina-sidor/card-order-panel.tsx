import { Form, useBlocker } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { isMessageKey } from '~/i18n/catalogue';
import { useT } from '~/i18n/use-translation';
import type { CardOrderStatus } from './card-order.server';
import { cardOrderOpen, cardOrderTextKey, jobErrorKey } from './card-order-text';
import { useMarkJobInProgress } from './job-in-progress';
import { type CardOrderHandle, useCardOrder } from './use-card-order';

/** The text for a job step on Mina sidor, in the user's words rather than support's. */
export function useStepText() {
  const t = useT();
  return (step: string | null) => {
    const key = `mina.step.${step ?? 'waiting'}`;
    return isMessageKey(key) ? t(key) : t('mina.step.waiting');
  };
}

/** Why a card job was refused or failed, in words the user can act on. */
export function useJobErrorText() {
  const t = useT();
  return (code: string | null) => t(jobErrorKey(code));
}

/**
 * Starts the SITHS eID-app on this computer for an order and follows it: where the job is (from the job's
 * own state and step), a progress bar when asked for, AVBRYT while it waits or runs, and what to do when the
 * app cannot be reached. Leaving the page mid-job asks first and cancels the job. Tells the page when the
 * order ends.
 */
export function CardOrderPanel({
  handle,
  showProgress = false,
  onEnded,
  retryFields = {},
  doneText,
  children,
}: {
  handle: CardOrderHandle;
  showProgress?: boolean;
  onEnded(status: CardOrderStatus): void;
  /** Posted to this page by "Försök igen" after a failure. */
  retryFields?: Record<string, string>;
  /** What the page says when the job is done, instead of "Klart." */
  doneText?: string;
  children?: React.ReactNode;
}) {
  const t = useT();
  const { status, problem, problemMessage, retryStart, cancel, cancelOnLeave } = useCardOrder(handle);
  const reported = useRef(false);
  const open = cardOrderOpen(status);
  const ended = status !== null && !open;
  useMarkJobInProgress(open);
  useCancelOnLeave(open, cancelOnLeave);
  const blocker = useBlocker(
    ({ currentLocation, nextLocation }) => open && currentLocation.pathname !== nextLocation.pathname,
  );
  useEffect(() => {
    if (ended && !reported.current) {
      reported.current = true;
      onEnded(status);
    }
  }, [ended, status, onEnded]);
  useEffect(() => {
    if (blocker.state === 'blocked' && !open) blocker.proceed();
  }, [blocker, open]);

  if (ended && status.phase !== 'completed') {
    return (
      <Form method="post" className="mina-panel card-order">
        <p role="alert" className="form-error">
          {t(cardOrderTextKey(status))}
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
  const text = status?.stage === 'done' && doneText ? doneText : t(cardOrderTextKey(status));
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
      ) : showProgress ? (
        <CardOrderProgress text={text} progress={status?.progress ?? 0} />
      ) : (
        <p className="step-text" role="status">
          {text}
        </p>
      )}
      {blocker.state === 'blocked' ? (
        <div role="alertdialog" aria-labelledby="leave-question" className="mina-confirm">
          <p id="leave-question">{t('mina.order.leaveQuestion')}</p>
          <div className="mina-buttons">
            <button type="button" className="mina-button" onClick={() => blocker.reset()}>
              {t('mina.order.stay')}
            </button>
            <button
              type="button"
              className="mina-button primary"
              onClick={() => void cancel().then(() => blocker.proceed())}
            >
              {t('mina.order.leave')}
            </button>
          </div>
        </div>
      ) : open ? (
        <div className="mina-buttons">
          <button type="button" className="mina-button" onClick={() => void cancel()}>
            {t('mina.order.cancel')}
          </button>
        </div>
      ) : null}
    </div>
  );
}

/** The guide's progress: the step in words over a bar that fills, and the percentage. */
export function CardOrderProgress({ text, progress }: { text: string; progress: number }) {
  const t = useT();
  return (
    <div
      className="mina-progress"
      role="progressbar"
      aria-label={t('mina.progress.label')}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={progress}
      aria-valuetext={`${text} ${progress}%`}
    >
      <div className="mina-progress-track">
        <div className="mina-progress-fill" style={{ width: `${progress}%` }} />
      </div>
      <p className="mina-progress-step" role="status">
        <span className="step-text">{text}</span>
        <span className="progress-percent">{progress}%</span>
      </p>
    </div>
  );
}

/** Closing the tab or leaving for another site mid-job cancels it; the browser sends that as it goes. */
function useCancelOnLeave(open: boolean, cancelOnLeave: () => void) {
  useEffect(() => {
    if (!open) return;
    window.addEventListener('pagehide', cancelOnLeave);
    return () => window.removeEventListener('pagehide', cancelOnLeave);
  }, [open, cancelOnLeave]);
}
