import { Form, Link, useSubmit } from '@remix-run/react';
import { useCallback } from 'react';
import type { MessageKey } from '~/i18n/catalogue';
import { useT } from '~/i18n/use-translation';
import { type MobileOrderView, MobileSithsQr, withValue } from './mobile-qr';

/** What the Mobile SITHS login page's loader gives: its order, or too many starts from this address. */
export type MobileLoginLoaded =
  | { orderId: string; statusUrl: string }
  | { tooManyStarts: true; retryAfterSeconds: number };

/** What its action answers when it does not redirect. */
export type MobileLoginAnswer =
  | { error: MessageKey; toMinaSidor?: boolean }
  | { tooManyStarts: true; retryAfterSeconds: number }
  | undefined;

/** "SITHS eID på annan enhet": the animated QR code, for Mina sidor and for the dashboard. */
export function MobileLoginPage({
  loaded,
  answer,
  page,
  backTo,
}: {
  loaded: MobileLoginLoaded;
  answer: MobileLoginAnswer;
  /** This page's address (a new try reloads it). */
  page: string;
  backTo: string;
}) {
  const tooMany = 'tooManyStarts' in loaded ? loaded : answer && 'tooManyStarts' in answer ? answer : null;
  if (tooMany)
    return <TooManyStarts retryAfterSeconds={tooMany.retryAfterSeconds} page={page} backTo={backTo} />;
  if (!('orderId' in loaded)) return null;
  return (
    <MobileLoginOrder
      orderId={loaded.orderId}
      statusUrl={loaded.statusUrl}
      failed={answer && 'error' in answer ? answer : undefined}
      backTo={backTo}
    />
  );
}

function TooManyStarts({
  retryAfterSeconds,
  page,
  backTo,
}: {
  retryAfterSeconds: number;
  page: string;
  backTo: string;
}) {
  const t = useT();
  return (
    <section className="mina-login mobile-login">
      <h1>{t('mobile.login.heading')}</h1>
      <p role="alert" className="form-error">
        {withValue(t('mina.tooManyStarts'), 'seconds', retryAfterSeconds)}
      </p>
      <Link to={page} reloadDocument className="mina-button primary">
        {t('mina.tryAgain')}
      </Link>
      <Link to={backTo}>{t('mina.back')}</Link>
    </section>
  );
}

function MobileLoginOrder({
  orderId,
  statusUrl,
  failed,
  backTo,
}: {
  orderId: string;
  statusUrl: string;
  failed: { error: MessageKey; toMinaSidor?: boolean } | undefined;
  backTo: string;
}) {
  const t = useT();
  const submit = useSubmit();
  const onFinished = useCallback(
    (view: MobileOrderView) => {
      if (view.state === 'completed') submit({ intent: 'collect', orderId }, { method: 'post' });
    },
    [orderId, submit],
  );
  const retry = (
    <Form method="post">
      <input type="hidden" name="intent" value="restart" />
      <button type="submit" className="mina-button primary">
        {t('mobile.qr.retry')}
      </button>
    </Form>
  );
  return (
    <section className="mina-login mobile-login">
      <h1>{t('mobile.login.heading')}</h1>
      {failed ? (
        <>
          <p role="alert" className="form-error">
            {t(failed.error)}
          </p>
          {failed.toMinaSidor ? (
            <Link to="/mina-sidor" className="mina-button primary">
              {t('login.toMinaSidor')}
            </Link>
          ) : (
            retry
          )}
        </>
      ) : (
        <>
          <h2>{t('mobile.login.scan')}</h2>
          <p>{t('mobile.login.instructions')}</p>
          <MobileSithsQr key={orderId} statusUrl={statusUrl} onFinished={onFinished} retry={retry} />
        </>
      )}
      <Form method="post">
        <input type="hidden" name="intent" value="cancel" />
        <button type="submit" className="mina-button">
          {t('mobile.login.cancel')}
        </button>
      </Form>
      <Link to={backTo}>{t('mina.back')}</Link>
    </section>
  );
}
