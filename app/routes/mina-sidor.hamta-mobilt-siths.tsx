import { type ActionFunctionArgs, json, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { useT } from '~/i18n/use-translation';
import { requireEndUser } from '~/mina-sidor/end-user.server';
import { refusalText, withValue } from '~/mina-sidor/mobile-qr';
import { qrImage } from '~/mina-sidor/mobile-siths.server';
import { usePolledStatus } from '~/mina-sidor/use-polled-status';
import { useQrBroadcast } from '~/mobile-siths/qr-channel';
import { recordAudit } from '../../db/audit';
import { listActiveMobileDevices } from '../../db/mobile-devices';
import type { EnrolmentStatus } from '../../server/mobile-siths/enrolment';

/** "Hämta Mobilt SITHS": for a user logged in with a card and fewer than three active Mobile SITHS. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireEndUser(request, context);
  return {
    blocker: (await context.mobileSiths.enrolmentBlocker(context.db, user)) ?? null,
    devices: (await listActiveMobileDevices(context.db, user.personId)).map((device) => device.name),
  };
}

const startSchema = z.object({ accept: z.literal('on', { error: 'mobile.enrol.acceptRequired' }) });

/** Terms accepted: a single-use enrolment QR code (15 minutes), answered with its image and status URL. */
export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireEndUser(request, context);
  const input = startSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!input.success) {
    await recordAudit(context.db, {
      actorUserId: user.userId,
      actorLabel: user.displayName,
      action: 'mobile_enrol_start',
      objectType: 'person',
      objectId: user.personId,
      outcome: 'refused',
      detail: { reason: 'terms_not_accepted', personId: user.personId, clientAddress: context.clientAddress },
    });
    return json({ ok: false as const, error: 'mobile.enrol.acceptRequired' as const }, { status: 400 });
  }
  const started = await context.mobileSiths.startMobileEnrolment(context.db, user, {
    address: context.clientAddress,
    now: new Date(),
  });
  if (!started.ok) return json({ ok: false as const, refusal: started.refusal }, { status: 403 });
  return json({
    ok: true as const,
    qrContent: started.qrContent,
    qrImage: await qrImage(started.qrContent),
    statusUrl: `/mina-sidor/hamta-mobilt-siths/status/${started.enrolmentId}`,
  });
}

export default function FetchMobileSiths() {
  const { blocker, devices } = useLoaderData<typeof loader>();
  const started = useActionData<typeof action>();
  const t = useT();
  const refusal = blocker ?? (started && !started.ok && 'refusal' in started ? started.refusal : null);

  if (refusal) {
    return (
      <section className="mobile-enrol">
        <h1>{t('mobile.enrol.heading')}</h1>
        {refusal === 'too_many_devices' ? <h2>{t('mobile.enrol.limitHeading')}</h2> : null}
        {refusal === 'card_login_required' ? <h2>{t('mobile.enrol.needsCardHeading')}</h2> : null}
        <p role="alert" className="form-error">
          {refusalText(t, refusal)}
        </p>
        <DeviceList devices={devices} />
      </section>
    );
  }
  if (started?.ok) {
    return (
      <section className="mobile-enrol">
        <h1>{t('mobile.enrol.heading')}</h1>
        <EnrolmentQr key={started.statusUrl} {...started} />
      </section>
    );
  }
  return (
    <section className="mobile-enrol">
      <h1>{t('mobile.enrol.heading')}</h1>
      <p>{t('mobile.enrol.intro')}</p>
      <DeviceList devices={devices} />
      <Form method="post" className="mina-panel">
        <h2>{t('mobile.enrol.termsHeading')}</h2>
        <ul>
          <li>{t('mobile.enrol.terms1')}</li>
          <li>{t('mobile.enrol.terms2')}</li>
          <li>{t('mobile.enrol.terms3')}</li>
          <li>{t('mobile.enrol.terms4')}</li>
          <li>{t('mobile.enrol.terms5')}</li>
        </ul>
        <label>
          <input type="checkbox" name="accept" required aria-describedby="accept-error" />{' '}
          {t('mobile.enrol.accept')}
        </label>
        {started && !started.ok && 'error' in started ? (
          <p id="accept-error" role="alert" className="form-error">
            {t(started.error)}
          </p>
        ) : null}
        <p>
          <button type="submit" className="mina-button primary">
            {t('mobile.enrol.start')}
          </button>
        </p>
      </Form>
    </section>
  );
}

function DeviceList({ devices }: { devices: string[] }) {
  const t = useT();
  if (devices.length === 0) return null;
  return (
    <div className="mina-panel">
      <h2>{t('mobile.enrol.activeDevices')}</h2>
      <ul>
        {devices.map((name, index) => (
          // Names repeat (two phones of one model); the list never reorders while shown.
          // biome-ignore lint/suspicious/noArrayIndexKey: see above
          <li key={index}>{name}</li>
        ))}
      </ul>
    </div>
  );
}

function EnrolmentQr({
  qrContent,
  qrImage,
  statusUrl,
}: {
  qrContent: string;
  qrImage: string;
  statusUrl: string;
}) {
  const t = useT();
  const status = useEnrolmentStatus(statusUrl);
  useQrBroadcast(status?.state === 'waiting' || status === null ? qrContent : null);
  if (status?.state === 'done') {
    return (
      <div className="mina-panel" role="status">
        <h2>{t('mobile.enrol.done')}</h2>
        <p>{withValue(t('mobile.enrol.doneDevice'), 'name', status.deviceName)}</p>
        <Link to="/mina-sidor/eid" className="mina-button primary">
          {t('mobile.enrol.toEids')}
        </Link>
      </div>
    );
  }
  if (status?.state === 'expired') {
    return (
      <div>
        <p role="alert" className="form-error">
          {t('mobile.enrol.expired')}
        </p>
        <Link to="/mina-sidor/hamta-mobilt-siths" reloadDocument className="mina-button primary">
          {t('mobile.enrol.startAgain')}
        </Link>
      </div>
    );
  }
  return (
    <div className="mobile-qr">
      <h2>{t('mobile.enrol.scan')}</h2>
      <img
        className="qr-code"
        src={qrImage}
        alt={t('mobile.qr.label')}
        data-qr-content={qrContent}
        width={224}
        height={224}
      />
      <p className="hint">{t('mobile.enrol.validFor')}</p>
      <p role="status">{t('mobile.enrol.waiting')}</p>
    </div>
  );
}

const enrolmentEnded = (status: EnrolmentStatus) => status.state === 'done' || status.state === 'expired';

function useEnrolmentStatus(statusUrl: string): EnrolmentStatus | null {
  return usePolledStatus(statusUrl, enrolmentEnded);
}
