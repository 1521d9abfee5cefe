import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAuthOrder } from '../../db/auth-orders';
import { findMobileDevice } from '../../db/mobile-devices';
import { auditEvents, eids } from '../../db/schema';
import {
  mobileAuthOrderStatus,
  mobileAuthSignedMessage,
  type ScanResult,
  scanLoginQr,
  signMobileAuthOrder,
  startMobileAuthOrder,
} from './auth-orders';
import { loginQrContent } from './qr-code';
import { type MobileSithsFixture, mobileSithsFixture, TestPhone, testAddress } from './testing';

let fixture: MobileSithsFixture;
const carinasPhone = new TestPhone('Xiaomi 22126RN91Y');
const olofsPhone = new TestPhone('Google Pixel 8');

beforeAll(async () => {
  fixture = await mobileSithsFixture();
  await fixture.enrol(fixture.carina, carinasPhone, '246810');
  await fixture.enrol(fixture.olof, olofsPhone, '13579135');
});
afterAll(() => fixture.db.close());

let address = 0;
/** Each test its own phone address, so the per-address login limit of one test does not reach another. */
const nextAddress = () => `198.51.100.${++address}`;

function startLogin(now = new Date()) {
  return startMobileAuthOrder(fixture.db, { purpose: 'login', remoteAddress: testAddress, now });
}

async function shownQr(orderId: string, now = new Date()): Promise<string> {
  const status = mobileAuthOrderStatus((await findAuthOrder(fixture.db, orderId))!, now);
  if (status.state !== 'pending') throw new Error(`order is ${status.state}`);
  return status.qrContent;
}

async function scan(
  phone: TestPhone,
  content: string,
  phoneAddress: string,
  now = new Date(),
): Promise<ScanResult> {
  return scanLoginQr(fixture.db, { content, deviceId: phone.deviceId, address: phoneAddress, now });
}

function signScanned(phone: TestPhone, scanned: ScanResult, code: string, phoneAddress: string) {
  if (!scanned.ok) throw new Error(`scan refused: ${scanned.refusal}`);
  return signMobileAuthOrder(fixture, {
    orderId: scanned.orderId,
    deviceId: phone.deviceId,
    code,
    signature: phone.sign(mobileAuthSignedMessage(scanned.orderId, scanned.challenge)),
    address: phoneAddress,
    now: new Date(),
  });
}

const stateOf = async (orderId: string) =>
  mobileAuthOrderStatus((await findAuthOrder(fixture.db, orderId))!, new Date());

describe('login with Mobile SITHS', () => {
  it('completes the order for the device holder after QR, code and signature, and audits each step', async () => {
    const phoneAddress = nextAddress();
    const { orderId } = await startLogin();
    expect(await stateOf(orderId)).toMatchObject({ state: 'pending', secondsLeft: 120 });
    const scanned = await scan(carinasPhone, await shownQr(orderId), phoneAddress);
    expect(scanned).toMatchObject({ ok: true, kind: 'login', orderId, purpose: 'login' });
    expect((await stateOf(orderId)).state).toBe('scanned');

    expect(await signScanned(carinasPhone, scanned, '246810', phoneAddress)).toEqual({
      ok: true,
      purpose: 'login',
      personId: fixture.carina.personId,
    });
    expect(await findAuthOrder(fixture.db, orderId)).toMatchObject({
      state: 'completed',
      personId: fixture.carina.personId,
      mobileDeviceId: carinasPhone.deviceId,
    });
    const audited = (
      await fixture.db.select().from(auditEvents).where(eq(auditEvents.objectId, carinasPhone.deviceId))
    ).filter((event) => event.detail?.authOrderId === orderId);
    expect(audited.map((event) => [event.action, event.outcome])).toEqual([
      ['mobile_siths_scan', 'success'],
      ['login_mobile_siths', 'success'],
    ]);
  });

  it('refuses a second scan of the same QR code (replay) and leaves the order with the first phone', async () => {
    const phoneAddress = nextAddress();
    const { orderId } = await startLogin();
    const content = await shownQr(orderId);
    const first = await scan(carinasPhone, content, phoneAddress);
    expect(await scan(olofsPhone, content, phoneAddress)).toEqual({ ok: false, refusal: 'order_used' });
    expect(await scan(carinasPhone, content, phoneAddress)).toEqual({ ok: false, refusal: 'order_used' });
    expect(await signScanned(carinasPhone, first, '246810', phoneAddress)).toMatchObject({ ok: true });
  });

  it('refuses an old picture of the QR code, a forged code and a token nobody issued, without ending the order', async () => {
    const phoneAddress = nextAddress();
    const now = new Date();
    const { orderId } = await startLogin(new Date(now.getTime() - 30_000));
    const order = (await findAuthOrder(fixture.db, orderId))!;
    const key = {
      qrStartToken: order.qrStartToken!,
      qrStartSecret: order.qrStartSecret!,
      createdAt: order.createdAt,
    };
    const tenSecondsAgo = loginQrContent(key, new Date(now.getTime() - 10_000));
    expect(await scan(carinasPhone, tenSecondsAgo, phoneAddress, now)).toEqual({
      ok: false,
      refusal: 'stale_qr',
    });
    const forged = loginQrContent({ ...key, qrStartSecret: 'guessed' }, now);
    expect(await scan(carinasPhone, forged, phoneAddress, now)).toEqual({ ok: false, refusal: 'invalid_qr' });
    const foreign = loginQrContent({ ...key, qrStartToken: '00000000-0000-4000-8000-000000000000' }, now);
    expect(await scan(carinasPhone, foreign, phoneAddress, now)).toEqual({
      ok: false,
      refusal: 'invalid_qr',
    });
    expect(await scan(carinasPhone, 'bankid.x.1.y', phoneAddress, now)).toEqual({
      ok: false,
      refusal: 'invalid_qr',
    });
    expect((await stateOf(orderId)).state).toBe('pending');
  });

  it('refuses a QR code of an expired order', async () => {
    const { orderId } = await startLogin(new Date(Date.now() - 3 * 60_000));
    const order = (await findAuthOrder(fixture.db, orderId))!;
    const key = {
      qrStartToken: order.qrStartToken!,
      qrStartSecret: order.qrStartSecret!,
      createdAt: order.createdAt,
    };
    expect((await stateOf(orderId)).state).toBe('expired');
    expect(await scan(carinasPhone, loginQrContent(key, new Date()), nextAddress())).toEqual({
      ok: false,
      refusal: 'order_expired',
    });
  });

  it('lets the user try again after a wrong code while the order is open, and resets the count on success', async () => {
    const phoneAddress = nextAddress();
    const { orderId } = await startLogin();
    const scanned = await scan(carinasPhone, await shownQr(orderId), phoneAddress);
    expect(await signScanned(carinasPhone, scanned, '000000', phoneAddress)).toEqual({
      ok: false,
      refusal: 'wrong_code',
      attemptsLeft: 4,
    });
    expect((await stateOf(orderId)).state).toBe('scanned');
    expect((await findMobileDevice(fixture.db, carinasPhone.deviceId))?.failedCodeAttempts).toBe(1);
    expect(await signScanned(carinasPhone, scanned, '246810', phoneAddress)).toMatchObject({ ok: true });
    expect((await findMobileDevice(fixture.db, carinasPhone.deviceId))?.failedCodeAttempts).toBe(0);
  });

  it('refuses a signature the device key did not make, and ends the order', async () => {
    const phoneAddress = nextAddress();
    const { orderId } = await startLogin();
    const scanned = await scan(carinasPhone, await shownQr(orderId), phoneAddress);
    if (!scanned.ok) throw new Error('scan refused');
    const impostor = new TestPhone();
    const result = await signMobileAuthOrder(fixture, {
      orderId,
      deviceId: carinasPhone.deviceId,
      code: '246810',
      signature: impostor.sign(mobileAuthSignedMessage(orderId, scanned.challenge)),
      address: phoneAddress,
      now: new Date(),
    });
    expect(result).toEqual({ ok: false, refusal: 'bad_signature' });
    expect(await stateOf(orderId)).toEqual({ state: 'failed', refusal: 'bad_signature' });
    expect((await findMobileDevice(fixture.db, carinasPhone.deviceId))?.failedCodeAttempts).toBe(0);
  });

  it('refuses a device whose certificate is revoked', async () => {
    const phone = new TestPhone('iPhone 14');
    await fixture.enrol(fixture.olof, phone, '112233');
    await fixture.db
      .update(eids)
      .set({ state: 'revoked', revokedAt: new Date(), revocationReason: 'lost' })
      .where(eq(eids.mobileDeviceId, phone.deviceId));
    const phoneAddress = nextAddress();
    const { orderId } = await startLogin();
    const result = await signScanned(
      phone,
      await scan(phone, await shownQr(orderId), phoneAddress),
      '112233',
      phoneAddress,
    );
    expect(result).toEqual({ ok: false, refusal: 'certificate_invalid' });
    expect(await stateOf(orderId)).toEqual({ state: 'failed', refusal: 'certificate_invalid' });
  });

  it('locks the device at the fifth wrong code in a row: the order fails and later scans are refused', async () => {
    const phone = new TestPhone('Samsung Galaxy S23');
    await fixture.enrol(fixture.olof, phone, '55667788');
    const phoneAddress = nextAddress();
    const { orderId } = await startLogin();
    const scanned = await scan(phone, await shownQr(orderId), phoneAddress);
    for (const attemptsLeft of [4, 3, 2, 1]) {
      expect(await signScanned(phone, scanned, '00000000', phoneAddress)).toEqual({
        ok: false,
        refusal: 'wrong_code',
        attemptsLeft,
      });
    }
    expect(await signScanned(phone, scanned, '00000000', phoneAddress)).toEqual({
      ok: false,
      refusal: 'device_locked',
    });
    expect(await stateOf(orderId)).toEqual({ state: 'failed', refusal: 'device_locked' });
    expect(await findMobileDevice(fixture.db, phone.deviceId)).toMatchObject({
      state: 'active',
      failedCodeAttempts: 5,
    });

    const next = await startLogin();
    expect(await scan(phone, await shownQr(next.orderId), phoneAddress)).toEqual({
      ok: false,
      refusal: 'device_locked',
    });
    expect(await stateOf(next.orderId)).toEqual({ state: 'failed', refusal: 'device_locked' });
  });
});

describe('re-authentication for unlocking a card', () => {
  const startReauth = () =>
    startMobileAuthOrder(fixture.db, {
      purpose: 'unlock_reauth',
      expectedPersonId: fixture.carina.personId,
      sessionId: fixture.carina.sessionId,
      remoteAddress: testAddress,
      now: new Date(),
    });

  it('is completed by a device of the logged-in person', async () => {
    const phoneAddress = nextAddress();
    const { orderId } = await startReauth();
    const scanned = await scan(carinasPhone, await shownQr(orderId), phoneAddress);
    expect(scanned).toMatchObject({ ok: true, purpose: 'unlock_reauth' });
    expect(await signScanned(carinasPhone, scanned, '246810', phoneAddress)).toMatchObject({
      ok: true,
      purpose: 'unlock_reauth',
    });
    expect(await findAuthOrder(fixture.db, orderId)).toMatchObject({
      state: 'completed',
      personId: fixture.carina.personId,
    });
  });

  it("refuses another person's device, ends the order and audits the refusal", async () => {
    const phoneAddress = nextAddress();
    const { orderId } = await startReauth();
    const scanned = await scan(olofsPhone, await shownQr(orderId), phoneAddress);
    expect(await signScanned(olofsPhone, scanned, '13579135', phoneAddress)).toEqual({
      ok: false,
      refusal: 'wrong_person',
    });
    expect(await stateOf(orderId)).toEqual({ state: 'failed', refusal: 'wrong_person' });
    const refusal = (
      await fixture.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.action, 'reauth_mobile_siths'), eq(auditEvents.outcome, 'refused')))
    ).find((event) => event.detail?.authOrderId === orderId);
    expect(refusal?.detail).toMatchObject({ reason: 'wrong_person', personId: fixture.olof.personId });
  });
});
