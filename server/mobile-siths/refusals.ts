/**
 * Why Mobile SITHS refused something. The codes travel to the phone and the browser, which show the
 * catalogue's text for them (`mobile.refusal.<code>`); the English descriptions go to the audit log and
 * `auth_orders.error_message`, for staff reading them.
 */
export const mobileSithsRefusals = {
  invalid_input: 'the request was malformed',
  invalid_qr: 'the QR code is not a Mobile SITHS code of this service',
  stale_qr: 'the QR code was read too long ago (an old picture of the screen)',
  order_expired: 'the login order has expired',
  order_used: 'the QR code has already been scanned',
  order_closed: 'the login order is no longer open',
  unknown_device: 'the device is not registered',
  device_revoked: 'the device is revoked',
  device_locked: 'the device is locked after too many wrong codes',
  wrong_code: 'wrong Mobile SITHS code',
  bad_signature: 'the signature does not verify with the device certificate',
  statement_mismatch:
    "the signature does not verify for the order's statement with the device certificate (another text was signed)",
  certificate_invalid: 'the device certificate is not valid',
  wrong_person: 'the device belongs to another person than the one who must re-authenticate or sign',
  rate_limited: 'too many refused login attempts',
  enrolment_invalid: 'unknown enrolment code',
  enrolment_used: 'the enrolment code has already been used',
  enrolment_expired: 'the enrolment code has expired',
  card_login_required: 'fetching Mobile SITHS needs a card login',
  session_ended: 'the card login session that started the enrolment has ended',
  too_many_devices: 'the person already has three active Mobile SITHS',
  bad_key: 'the device key is not an ECDSA P-256 public key',
  no_holder: 'the person has no unit to name in a certificate',
} as const;

export type MobileSithsRefusal = keyof typeof mobileSithsRefusals;

export function isMobileSithsRefusal(code: string): code is MobileSithsRefusal {
  return Object.hasOwn(mobileSithsRefusals, code);
}
