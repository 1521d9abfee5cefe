import type { ActionFunctionArgs } from '@remix-run/node';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import {
  phoneAnswer,
  phoneApiNotFound,
  phoneRefusal,
  readPhoneRequest,
} from '~/mobile-siths/phone-api.server';
import { signRequestSchema } from '~/mobile-siths/phone-schemas';

export const loader = phoneApiNotFound;

/**
 * POST JSON { orderId, deviceId, code, signature } — the user entered their code and the phone signed
 * UTF-8 `siths-desk:mobile:<orderId>:<challenge>`, or for a decision the statement the scan answer carried
 * (ECDSA P-256 SHA-256, IEEE P1363, base64). Done: { ok, purpose, message: "Du är nu legitimerad" or
 * "Du har undertecknat" }. Refused: { ok: false, refusal, message, attemptsLeft? } (a wrong code with
 * attempts left leaves the order open for another try).
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const input = await readPhoneRequest(request, signRequestSchema);
  if (!input) {
    await context.loginLimits.recordRefusedLogin(context.db, {
      action: 'login_mobile_siths',
      actorLabel: 'mobilt-siths',
      reason: 'invalid_input',
      address: context.clientAddress,
      objectType: 'client_address',
      objectId: context.clientAddress,
    });
    return phoneRefusal(request, 'invalid_input');
  }
  const result = await context.mobileSiths.signMobileAuthOrder(context, {
    orderId: input.orderId,
    deviceId: input.deviceId,
    code: input.code,
    signature: Buffer.from(input.signature, 'base64'),
    address: context.clientAddress,
    now: new Date(),
  });
  if (!result.ok) {
    return phoneRefusal(request, result.refusal, {
      ...(result.attemptsLeft === undefined ? {} : { attemptsLeft: result.attemptsLeft }),
      ...(result.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: result.retryAfterSeconds }),
    });
  }
  const t = translator(await localeOf(request));
  const done = result.purpose === 'sign_decision' ? t('mobile.app.signed') : t('mobile.app.done');
  return phoneAnswer({ purpose: result.purpose, message: done });
}
