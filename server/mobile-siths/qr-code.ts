import { createHmac, timingSafeEqual } from 'node:crypto';
import { enrolmentQrPrefix, loginQrPrefix } from '../../protocol/mobile-siths';

/**
 * The time window a scanned login QR must fall in. The phone sends the second it read; that second may be at
 * most `maxAgeSeconds` behind the server's elapsed seconds (one second of display, polling and scanning
 * latency, and the round trip to the server fit well inside it) and at most `clockSkewSeconds` ahead of it
 * (a second that has not been shown yet cannot have been read, but the page and server may round apart).
 * Anything outside is a picture of an old screen, or a forgery, and is refused.
 */
export const qrTimeWindow = { maxAgeSeconds: 5, clockSkewSeconds: 1 } as const;

export interface QrKeyedOrder {
  qrStartToken: string;
  qrStartSecret: string;
  createdAt: Date;
}

export type ScannedQr =
  | { kind: 'login'; qrStartToken: string; seconds: number; qrAuthCode: string }
  | { kind: 'enrolment'; token: string };

/** Whole seconds since the order was created: the counter the QR animates with. */
export function qrElapsedSeconds(createdAt: Date, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - createdAt.getTime()) / 1000));
}

/** HMAC-SHA256 with the order's QR secret as key over the decimal seconds, lower-case hex (as BankID does). */
export function qrAuthCode(qrStartSecret: string, seconds: number): string {
  return createHmac('sha256', qrStartSecret).update(String(seconds), 'utf8').digest('hex');
}

/** What the login page shows as QR code at `now`. */
export function loginQrContent(order: QrKeyedOrder, now: Date): string {
  const seconds = qrElapsedSeconds(order.createdAt, now);
  return [loginQrPrefix, order.qrStartToken, seconds, qrAuthCode(order.qrStartSecret, seconds)].join('.');
}

export function enrolmentQrContent(token: string): string {
  return `${enrolmentQrPrefix}.${token}`;
}

const loginQrPattern = /^mobilesiths\.([0-9a-f-]{36})\.(\d{1,6})\.([0-9a-f]{64})$/;
const enrolmentQrPattern = /^mobilesiths-enrol\.([A-Za-z0-9_-]{43})$/;

/** The parts of a scanned QR code, or undefined when it is no Mobile SITHS code of ours. */
export function parseQrContent(content: string): ScannedQr | undefined {
  const text = content.trim();
  const login = loginQrPattern.exec(text);
  if (login) {
    return { kind: 'login', qrStartToken: login[1]!, seconds: Number(login[2]), qrAuthCode: login[3]! };
  }
  const enrolment = enrolmentQrPattern.exec(text);
  return enrolment ? { kind: 'enrolment', token: enrolment[1]! } : undefined;
}

export type QrCheck = { ok: true } | { ok: false; reason: 'bad_auth_code' | 'stale' | 'from_the_future' };

/** Checks the HMAC (in constant time) and that the second shown lies in `qrTimeWindow` around `now`. */
export function checkLoginQr(
  order: QrKeyedOrder,
  scanned: { seconds: number; qrAuthCode: string },
  now: Date,
  window: { maxAgeSeconds: number; clockSkewSeconds: number } = qrTimeWindow,
): QrCheck {
  const expected = Buffer.from(qrAuthCode(order.qrStartSecret, scanned.seconds), 'hex');
  const given = Buffer.from(scanned.qrAuthCode, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad_auth_code' };
  }
  const age = qrElapsedSeconds(order.createdAt, now) - scanned.seconds;
  if (age > window.maxAgeSeconds) return { ok: false, reason: 'stale' };
  if (age < -window.clockSkewSeconds) return { ok: false, reason: 'from_the_future' };
  return { ok: true };
}
