import type { ActionFunctionArgs } from '@remix-run/node';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import {
  phoneAnswer,
  phoneApiNotFound,
  phoneRefusal,
  readPhoneRequest,
} from '~/mobile-siths/phone-api.server';
import { registerRequestSchema } from '~/mobile-siths/phone-schemas';
import { recordFoldedRefusal } from '../../db/audit';

export const loader = phoneApiNotFound;

/**
 * POST JSON { token, deviceName, publicKey, code, signature } — the phone registers as Mobile SITHS with
 * the token of the enrolment QR code, its new key (SPKI, base64), the code the user chose (6-8 digits) and
 * a signature over UTF-8 `siths-desk:mobile-enrol:<token>` with the new key (proof of possession).
 * Done: { ok, deviceId, deviceName, certificatePem, trustLevel, validTo, holderName, message }.
 * Refused: { ok: false, refusal, message }, e.g. too_many_devices for a fourth active device.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const input = await readPhoneRequest(request, registerRequestSchema);
  if (!input) {
    await recordFoldedRefusal(context.db, {
      actorUserId: null,
      actorLabel: 'mobilt-siths',
      action: 'mobile_enrol',
      objectType: 'client_address',
      objectId: context.clientAddress,
      detail: { reason: 'invalid_input', clientAddress: context.clientAddress },
    });
    return phoneRefusal(request, 'invalid_input');
  }
  const result = await context.mobileSiths.registerMobileDevice(
    {
      db: context.db,
      pki: context.pki,
      isSessionActive: (sessionId) => context.sessions.isActive(sessionId),
    },
    {
      token: input.token,
      deviceName: input.deviceName,
      publicKeySpki: Buffer.from(input.publicKey, 'base64'),
      code: input.code,
      signature: Buffer.from(input.signature, 'base64'),
      address: context.clientAddress,
      now: new Date(),
    },
  );
  if (!result.ok) return phoneRefusal(request, result.refusal);
  const t = translator(await localeOf(request));
  return phoneAnswer({
    deviceId: result.deviceId,
    deviceName: result.deviceName,
    certificatePem: result.certificatePem,
    trustLevel: result.trustLevel,
    validTo: result.validTo.toISOString(),
    holderName: result.holderName,
    message: t('mobile.app.registered'),
  });
}
