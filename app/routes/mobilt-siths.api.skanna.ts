import type { ActionFunctionArgs } from '@remix-run/node';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import { withValue } from '~/mina-sidor/mobile-qr';
import {
  phoneAnswer,
  phoneApiNotFound,
  phoneRefusal,
  readPhoneRequest,
  relyingPartyHost,
} from '~/mobile-siths/phone-api.server';
import { scanRequestSchema } from '~/mobile-siths/phone-schemas';

export const loader = phoneApiNotFound;

/**
 * POST JSON { qrContent, deviceId? } — the phone read a QR code.
 * Login QR (needs deviceId): { ok, kind: 'login', orderId, challenge, purpose, relyingParty, text }; for a
 * decision to sign, scanned by a device of the decider: { ok, kind: 'sign', orderId, purpose, statement,
 * relyingParty, text }, the statement being the exact text to show and sign.
 * Enrolment QR: { ok, kind: 'enrolment', expiresAt }. Refused: { ok: false, refusal, message }.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const now = new Date();
  const address = context.clientAddress;
  const input = await readPhoneRequest(request, scanRequestSchema);
  const scanned = input ? context.mobileSiths.parseQrContent(input.qrContent) : undefined;
  if (!input || (scanned?.kind === 'login' && !input.deviceId)) {
    await context.loginLimits.recordRefusedLogin(context.db, {
      action: 'mobile_siths_scan',
      actorLabel: 'mobilt-siths',
      reason: input ? 'unknown_device' : 'invalid_input',
      address,
      objectType: 'client_address',
      objectId: address,
    });
    return phoneRefusal(request, input ? 'unknown_device' : 'invalid_input');
  }
  if (scanned?.kind === 'enrolment') {
    const checked = await context.mobileSiths.checkEnrolmentToken(context.db, {
      token: scanned.token,
      address,
      now,
    });
    if (!checked.ok) return phoneRefusal(request, checked.refusal);
    return phoneAnswer({ kind: 'enrolment' as const, expiresAt: checked.expiresAt.toISOString() });
  }
  const result = await context.mobileSiths.scanLoginQr(context.db, {
    content: input.qrContent,
    deviceId: input.deviceId ?? '',
    address,
    now,
  });
  if (!result.ok) {
    return phoneRefusal(
      request,
      result.refusal,
      result.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: result.retryAfterSeconds },
    );
  }
  const host = relyingPartyHost(context);
  const t = translator(await localeOf(request));
  if (result.kind === 'sign') {
    return phoneAnswer({
      kind: 'sign' as const,
      orderId: result.orderId,
      purpose: result.purpose,
      statement: result.statement,
      relyingParty: host,
      text: withValue(t('mobile.app.signAt'), 'host', host),
    });
  }
  return phoneAnswer({
    kind: 'login' as const,
    orderId: result.orderId,
    challenge: result.challenge,
    purpose: result.purpose,
    relyingParty: host,
    text: withValue(t('mobile.app.identifyAt'), 'host', host),
  });
}
