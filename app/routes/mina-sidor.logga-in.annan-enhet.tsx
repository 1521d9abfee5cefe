import { type ActionFunctionArgs, json, type LoaderFunctionArgs, redirect } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useSubmit } from '@remix-run/react';
import { useCallback } from 'react';
import { z } from 'zod';
import { useT } from '~/i18n/use-translation';
import { tooManyStartsResponse } from '~/mina-sidor/anonymous-starts.server';
import {
  authOrderCookie,
  findOwnAuthOrder,
  getEndUser,
  openSessionFromAuthOrder,
} from '~/mina-sidor/end-user.server';
import { type MobileOrderView, MobileSithsQr, withValue } from '~/mina-sidor/mobile-qr';
import { mobileOrderStatusUrl, startMobileLogin } from '~/mina-sidor/mobile-siths.server';
import { recordFoldedRefusal } from '../../db/audit';
import { type AuthOrderRow, cancelAuthOrder, isAuthOrderOpen } from '../../db/auth-orders';

/** The Mobile SITHS login order named by this browser's auth-order cookie, if it is one. */
async function ownLoginOrder(request: Request, context: LoaderFunctionArgs['context']) {
  const value: unknown = await authOrderCookie.parse(request.headers.get('Cookie'));
  const orderId = typeof value === 'string' ? value.split('.')[0] : undefined;
  const order = orderId ? await findOwnAuthOrder(request, context, orderId) : undefined;
  return order?.method === 'mobile_siths' && order.purpose === 'login' ? order : undefined;
}

const showable = (order: AuthOrderRow | undefined, now: Date): order is AuthOrderRow =>
  order !== undefined && (isAuthOrderOpen(order, now) || order.state === 'completed');

/**
 * "SITHS eID på annan enhet": shows this browser's open login order, or starts one (2 minutes) and binds it
 * to the browser with the auth-order cookie. Reloading reuses the open order; a client that sends no cookie
 * starts at most ten a minute (then 429 "För många försök").
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  if (await getEndUser(request, context)) throw redirect('/mina-sidor/eid');
  const own = await ownLoginOrder(request, context);
  if (showable(own, new Date())) {
    return json(
      { orderId: own.id, statusUrl: mobileOrderStatusUrl(own.id) },
      { headers: { 'Cache-Control': 'no-store' } },
    );
  }
  const started = await startMobileLogin(context);
  if (!started.ok) return tooManyStartsResponse(started);
  return json(
    { orderId: started.orderId, statusUrl: mobileOrderStatusUrl(started.orderId) },
    { headers: { 'Set-Cookie': started.cookie, 'Cache-Control': 'no-store' } },
  );
}

const actionSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('collect'), orderId: z.uuid() }),
  z.object({ intent: z.literal('restart') }),
  z.object({ intent: z.literal('cancel') }),
]);

/** collect: the phone is done, open the session; restart: "Försök igen" with a new order; cancel: "Avbryt". */
export async function action({ request, context }: ActionFunctionArgs) {
  const input = actionSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!input.success) {
    await recordFoldedRefusal(context.db, {
      actorUserId: null,
      actorLabel: 'anonym',
      action: 'login_mobile_siths',
      objectType: 'session',
      detail: { reason: 'invalid_input', clientAddress: context.clientAddress },
    });
    return json({ error: 'mobile.refusal.invalid_input' as const }, { status: 400 });
  }
  const own = await ownLoginOrder(request, context);
  const now = new Date();
  if (input.data.intent === 'collect')
    return collect(context, own?.id === input.data.orderId ? own : undefined);
  if (own && isAuthOrderOpen(own, now)) await cancelAuthOrder(context.db, own.id, now);
  if (input.data.intent === 'cancel') {
    const cleared = await authOrderCookie.serialize('', { maxAge: 0 });
    return redirect('/mina-sidor/logga-in', { headers: { 'Set-Cookie': cleared } });
  }
  const started = await startMobileLogin(context);
  if (!started.ok) return tooManyStartsResponse(started);
  return redirect('/mina-sidor/logga-in/annan-enhet', { headers: { 'Set-Cookie': started.cookie } });
}

async function collect(context: ActionFunctionArgs['context'], order: AuthOrderRow | undefined) {
  const opened = order
    ? await openSessionFromAuthOrder(context, order)
    : { ok: false as const, reason: 'not_found' };
  if (!opened.ok) {
    await recordFoldedRefusal(context.db, {
      actorUserId: null,
      actorLabel: 'anonym',
      action: 'login_mobile_siths',
      objectType: 'session',
      detail: {
        reason: opened.reason,
        authOrderId: order?.id,
        personId: order?.personId,
        clientAddress: context.clientAddress,
      },
    });
    return json({ error: 'mobile.login.collectFailed' as const }, { status: 409 });
  }
  const headers = new Headers();
  headers.append('Set-Cookie', opened.cookie);
  headers.append('Set-Cookie', await authOrderCookie.serialize('', { maxAge: 0 }));
  return redirect('/mina-sidor/eid', { headers });
}

export default function MobileLogin() {
  const loaded = useLoaderData<typeof loader>();
  const answered = useActionData<typeof action>();
  const tooMany =
    'tooManyStarts' in loaded ? loaded : answered && 'tooManyStarts' in answered ? answered : null;
  if (tooMany) return <TooManyStartsPage retryAfterSeconds={tooMany.retryAfterSeconds} />;
  if (!('orderId' in loaded)) return null;
  return <MobileLoginOrder orderId={loaded.orderId} statusUrl={loaded.statusUrl} failed={answered} />;
}

function TooManyStartsPage({ retryAfterSeconds }: { retryAfterSeconds: number }) {
  const t = useT();
  return (
    <section className="mina-login mobile-login">
      <h1>{t('mobile.login.heading')}</h1>
      <p role="alert" className="form-error">
        {withValue(t('mina.tooManyStarts'), 'seconds', retryAfterSeconds)}
      </p>
      <Link to="/mina-sidor/logga-in/annan-enhet" reloadDocument className="mina-button primary">
        {t('mina.tryAgain')}
      </Link>
      <Link to="/mina-sidor/logga-in">{t('mina.back')}</Link>
    </section>
  );
}

function MobileLoginOrder({
  orderId,
  statusUrl,
  failed,
}: {
  orderId: string;
  statusUrl: string;
  failed: ReturnType<typeof useActionData<typeof action>>;
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
      <h2>{t('mobile.login.scan')}</h2>
      <p>{t('mobile.login.instructions')}</p>
      <MobileSithsQr key={orderId} statusUrl={statusUrl} onFinished={onFinished} retry={retry} />
      {failed && 'error' in failed ? (
        <>
          <p role="alert" className="form-error">
            {t(failed.error)}
          </p>
          {retry}
        </>
      ) : null}
      <Form method="post">
        <input type="hidden" name="intent" value="cancel" />
        <button type="submit" className="mina-button">
          {t('mobile.login.cancel')}
        </button>
      </Form>
      <Link to="/mina-sidor/logga-in">{t('mina.back')}</Link>
    </section>
  );
}
