/**
 * What a Mobile SITHS phone signs, shared by the server that verifies and the phone (simulator) that signs.
 * Both are UTF-8 text signed with ECDSA P-256 over SHA-256 (IEEE P1363, as WebCrypto makes it).
 */

/** Login or re-authentication: binds the signature to one order and its challenge. */
export function mobileAuthMessage(orderId: string, challenge: string): string {
  return `siths-desk:mobile:${orderId}:${challenge}`;
}

/** Enrolment: proves the phone holds the private key of the public key it registers, for this enrolment. */
export function mobileEnrolmentMessage(token: string): string {
  return `siths-desk:mobile-enrol:${token}`;
}

/** QR content prefixes: `mobilesiths.<qrStartToken>.<seconds>.<qrAuthCode>` and `mobilesiths-enrol.<token>`. */
export const loginQrPrefix = 'mobilesiths';
export const enrolmentQrPrefix = 'mobilesiths-enrol';
