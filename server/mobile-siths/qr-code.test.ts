import { describe, expect, it } from 'vitest';
import {
  checkLoginQr,
  enrolmentQrContent,
  loginQrContent,
  parseQrContent,
  qrAuthCode,
  qrElapsedSeconds,
} from './qr-code';

const order = {
  qrStartToken: '67df3917-fa0d-44e5-b327-edcc928297f8',
  qrStartSecret: 'd28db9a7-4cde-429e-a983-359be676944c',
  createdAt: new Date('2026-05-05T10:00:00.000Z'),
};
const at = (seconds: number) => new Date(order.createdAt.getTime() + seconds * 1000);

function scannedAt(seconds: number) {
  const parsed = parseQrContent(loginQrContent(order, at(seconds)));
  if (parsed?.kind !== 'login') throw new Error('not a login QR');
  return parsed;
}

describe('animated login QR', () => {
  it('is mobilesiths.<token>.<seconds>.<HMAC-SHA256(secret, seconds) hex>, as BankID computes it', () => {
    // BankID's published example: this secret gives these codes at 0 and 1 seconds.
    expect(qrAuthCode(order.qrStartSecret, 0)).toBe(
      'dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8',
    );
    expect(loginQrContent(order, at(1.9))).toBe(
      `mobilesiths.${order.qrStartToken}.1.949d559bf23403952a94d103e67743126381eda00f0b3cbddbf7c96b1adcbce2`,
    );
  });

  it('changes every whole second and counts from the order creation', () => {
    expect(qrElapsedSeconds(order.createdAt, at(0.999))).toBe(0);
    expect(qrElapsedSeconds(order.createdAt, at(1))).toBe(1);
    expect(loginQrContent(order, at(3.1))).not.toBe(loginQrContent(order, at(4.1)));
    expect(loginQrContent(order, at(4.1))).toBe(loginQrContent(order, at(4.9)));
  });

  it('accepts the second shown up to five seconds old and one second ahead', () => {
    expect(checkLoginQr(order, scannedAt(10), at(10.5))).toEqual({ ok: true });
    expect(checkLoginQr(order, scannedAt(10), at(15.9))).toEqual({ ok: true });
    expect(checkLoginQr(order, scannedAt(11), at(10.2))).toEqual({ ok: true });
  });

  it('refuses an old picture of the screen and a second not shown yet', () => {
    expect(checkLoginQr(order, scannedAt(10), at(16))).toEqual({ ok: false, reason: 'stale' });
    expect(checkLoginQr(order, scannedAt(12), at(10.9))).toEqual({ ok: false, reason: 'from_the_future' });
  });

  it('refuses a code made with another secret, or a second changed after the fact', () => {
    const forged = { seconds: 10, qrAuthCode: qrAuthCode('another secret', 10) };
    expect(checkLoginQr(order, forged, at(10))).toEqual({ ok: false, reason: 'bad_auth_code' });
    const moved = { ...scannedAt(10), seconds: 20 };
    expect(checkLoginQr(order, moved, at(20))).toEqual({ ok: false, reason: 'bad_auth_code' });
  });

  it('parses login and enrolment codes and nothing else', () => {
    expect(scannedAt(7)).toMatchObject({ kind: 'login', qrStartToken: order.qrStartToken, seconds: 7 });
    const token = 'A'.repeat(43);
    expect(parseQrContent(enrolmentQrContent(token))).toEqual({ kind: 'enrolment', token });
    for (const junk of [
      '',
      'mobilesiths',
      'bankid.x.1.y',
      `mobilesiths.${order.qrStartToken}.1.zz`,
      'https://x',
    ]) {
      expect(parseQrContent(junk)).toBeUndefined();
    }
  });
});
