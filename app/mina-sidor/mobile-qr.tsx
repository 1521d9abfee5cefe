import { type ReactNode, useEffect, useRef } from 'react';
import { isMessageKey, type Translate } from '~/i18n/catalogue';
import { useT } from '~/i18n/use-translation';
import { useQrBroadcast } from '~/mobile-siths/qr-channel';
import type { MobileOrderView } from './mobile-siths.server';
import { usePolledStatus } from './use-polled-status';

export type { MobileOrderView };

const pollEveryMs = 1000;
const endStates = new Set<MobileOrderView['state']>([
  'completed',
  'failed',
  'expired',
  'cancelled',
  'collected',
]);

/** The catalogue's text for a Mobile SITHS refusal code. */
export function refusalText(t: Translate, refusal: string): string {
  const key = `mobile.refusal.${refusal}`;
  return isMessageKey(key) ? t(key) : t('error.unexpected');
}

export function withValue(text: string, name: string, value: string | number): string {
  return text.replace(`{${name}}`, String(value));
}

export interface MobileSithsQrProps {
  /** From startMobileReauth (or mobileOrderStatusUrl for a login order this browser started). */
  statusUrl: string;
  /** Called once, when the order ends: completed, failed (with `refusal`), expired or cancelled. */
  onFinished?: (view: MobileOrderView) => void;
  /** Shown under a refusal or time-out, e.g. a "Försök igen" form that starts a new order. */
  retry?: ReactNode;
}

/**
 * The animated Mobile SITHS QR code: polls `statusUrl` every second for the current QR image (the content
 * changes every second), posts each content on the 'siths-mobile-qr' BroadcastChannel for the phone
 * simulator, and tells what happens: scanned, done, refused or timed out.
 */
export function MobileSithsQr({ statusUrl, onFinished, retry }: MobileSithsQrProps) {
  const t = useT();
  const view = useMobileOrderView(statusUrl);
  const finishedFor = useRef<MobileOrderView | null>(null);
  useQrBroadcast(view?.state === 'pending' ? view.qrContent : null);

  useEffect(() => {
    if (!view || !endStates.has(view.state) || finishedFor.current) return;
    finishedFor.current = view;
    onFinished?.(view);
  }, [view, onFinished]);

  return (
    <div className="mobile-qr" aria-live="polite">
      {view === null ? <p>{t('mobile.qr.loading')}</p> : null}
      {view?.state === 'pending' ? (
        <>
          <img
            className="qr-code"
            src={view.qrImage}
            alt={t('mobile.qr.label')}
            data-qr-content={view.qrContent}
            width={224}
            height={224}
          />
          <p className="hint">{withValue(t('mobile.qr.secondsLeft'), 'seconds', view.secondsLeft)}</p>
        </>
      ) : null}
      {view?.state === 'scanned' ? <p role="status">{t('mobile.qr.scanned')}</p> : null}
      {view?.state === 'completed' || view?.state === 'collected' ? (
        <p role="status">{t('mobile.qr.completed')}</p>
      ) : null}
      {view?.state === 'failed' ? (
        <p role="alert" className="form-error">
          {refusalText(t, view.refusal)}
        </p>
      ) : null}
      {view?.state === 'expired' ? (
        <p role="alert" className="form-error">
          {t('mobile.qr.expired')}
        </p>
      ) : null}
      {view?.state === 'cancelled' ? (
        <p role="alert" className="form-error">
          {t('mobile.qr.cancelled')}
        </p>
      ) : null}
      {view && (view.state === 'failed' || view.state === 'expired' || view.state === 'cancelled')
        ? retry
        : null}
    </div>
  );
}

const orderEnded = (view: MobileOrderView) => endStates.has(view.state);

function useMobileOrderView(statusUrl: string): MobileOrderView | null {
  return usePolledStatus(statusUrl, orderEnded, pollEveryMs);
}
