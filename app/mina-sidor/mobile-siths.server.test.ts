import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAuthOrder } from '../../db/auth-orders';
import {
  mobileAuthOrderStatus,
  mobileAuthSignedMessage,
  scanLoginQr,
  signMobileAuthOrder,
} from '../../server/mobile-siths/auth-orders';
import {
  type MobileSithsFixture,
  mobileSithsFixture,
  TestPhone,
  testAddress,
} from '../../server/mobile-siths/testing';
import type { EndUser } from './end-user.server';
import { consumeMobileReauth, startMobileReauth } from './mobile-siths.server';

let fixture: MobileSithsFixture;
let carina: EndUser;
const phone = new TestPhone();

beforeAll(async () => {
  fixture = await mobileSithsFixture();
  await fixture.enrol(fixture.carina, phone, '864209');
  carina = { ...fixture.carina, loginMethod: 'mobile_siths', loginCredential: phone.deviceId };
});
afterAll(async () => {
  await fixture.db.close();
});

async function completeWithPhone(orderId: string) {
  const status = mobileAuthOrderStatus((await findAuthOrder(fixture.db, orderId))!, new Date());
  if (status.state !== 'pending') throw new Error(status.state);
  const scanned = await scanLoginQr(fixture.db, {
    content: status.qrContent,
    deviceId: phone.deviceId,
    address: testAddress,
    now: new Date(),
  });
  if (!scanned.ok) throw new Error(scanned.refusal);
  if (scanned.kind !== 'login') throw new Error('not a login order');
  return signMobileAuthOrder(fixture, {
    orderId,
    deviceId: phone.deviceId,
    code: '864209',
    signature: phone.sign(mobileAuthSignedMessage(orderId, scanned.challenge)),
    address: testAddress,
    now: new Date(),
  });
}

describe('re-authentication for the unlock flow', () => {
  it('is consumed once, by the session that started it, after the person completed it', async () => {
    const started = await startMobileReauth(fixture.context, carina);
    expect(await consumeMobileReauth(fixture.context, carina, started.orderId)).toEqual({
      ok: false,
      reason: 'not_completed',
    });
    expect(await completeWithPhone(started.orderId)).toMatchObject({ ok: true, purpose: 'unlock_reauth' });
    const otherSession = { ...carina, sessionId: fixture.olof.sessionId };
    expect(await consumeMobileReauth(fixture.context, otherSession, started.orderId)).toEqual({
      ok: false,
      reason: 'not_found',
    });
    expect(await consumeMobileReauth(fixture.context, carina, started.orderId)).toMatchObject({
      ok: true,
      mobileDeviceId: phone.deviceId,
    });
    expect(await consumeMobileReauth(fixture.context, carina, started.orderId)).toEqual({
      ok: false,
      reason: 'already_used',
    });
  });
});
