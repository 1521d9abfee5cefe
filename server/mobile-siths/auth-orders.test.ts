import { execFile } from 'node:child_process';
import { verify, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAuthOrder } from '../../db/auth-orders';
import { findMobileDevice } from '../../db/mobile-devices';
import { auditEvents, eids, mobileDevices } from '../../db/schema';
import {
  mobileAuthOrderStatus,
  mobileAuthSignedMessage,
  mobileSignedMessage,
  type ScanResult,
  scanLoginQr,
  signMobileAuthOrder,
  startMobileAuthOrder,
} from './auth-orders';
import { loginQrContent } from './qr-code';
import {
  type MobileSithsFixture,
  mobileSithsFixture,
  type TestEndUser,
  TestPhone,
  testAddress,
} from './testing';

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

/** What the phone signs, from the scan answer alone: a login's challenge, or the statement it was shown. */
function signedByPhone(phone: TestPhone, scanned: ScanResult): Buffer {
  if (!scanned.ok) throw new Error(`scan refused: ${scanned.refusal}`);
  return phone.sign(
    scanned.kind === 'sign'
      ? Buffer.from(scanned.statement, 'utf8')
      : mobileAuthSignedMessage(scanned.orderId, scanned.challenge),
  );
}

function signScanned(phone: TestPhone, scanned: ScanResult, code: string, phoneAddress: string) {
  if (!scanned.ok) throw new Error(`scan refused: ${scanned.refusal}`);
  return signMobileAuthOrder(fixture, {
    orderId: scanned.orderId,
    deviceId: phone.deviceId,
    code,
    signature: signedByPhone(phone, scanned),
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
    if (!scanned.ok || scanned.kind !== 'login') throw new Error('scan refused');
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

/**
 * Carina decides. Her refused signatures count toward her login limit (five free failed attempts, two of them
 * spent above), so the tests that complete an order come before those that are refused.
 */
describe('signing a decision statement', () => {
  const statementOf = (orderId: string) =>
    `Jag godkänner som andra ID-administratör beställningen av reservkort med tillitsnivå 3 för Olof Ödmark.\nUnderskriften gäller underskriftsordern ${orderId} och inget annat.`;
  const startSigning = (
    now = new Date(),
    statementFor = statementOf,
    decider: TestEndUser = fixture.carina,
  ) =>
    startMobileAuthOrder(fixture.db, {
      purpose: 'sign_decision',
      expectedPersonId: decider.personId,
      sessionId: decider.sessionId,
      statementFor,
      remoteAddress: testAddress,
      now,
    });
  /** The phone sends `signature` with its holder's right code (Carina's unless `code`). */
  const submit = (
    phone: TestPhone,
    orderId: string,
    signature: Buffer,
    phoneAddress: string,
    code = '246810',
  ) =>
    signMobileAuthOrder(fixture, {
      orderId,
      deviceId: phone.deviceId,
      code,
      signature,
      address: phoneAddress,
      now: new Date(),
    });
  const scanToSign = async (phone: TestPhone, orderId: string, phoneAddress: string, now = new Date()) => {
    const scanned = await scan(phone, await shownQr(orderId, now), phoneAddress, now);
    if (!scanned.ok || scanned.kind !== 'sign') throw new Error('no statement to sign');
    return scanned;
  };
  const storedOrder = async (orderId: string) => (await findAuthOrder(fixture.db, orderId))!;
  const refusalsAudited = async (action: string, orderId: string) =>
    (
      await fixture.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.action, action), eq(auditEvents.outcome, 'refused')))
    ).filter((event) => event.detail?.authOrderId === orderId || event.objectId === orderId);

  it("shows the decider's phone the stored statement and completes the order with a signature of exactly that text, verifiable with the device key and certificate", async () => {
    const phoneAddress = nextAddress();
    const { orderId } = await startSigning();
    const statement = statementOf(orderId);
    expect((await storedOrder(orderId)).statement).toBe(statement);

    const scanned = await scan(carinasPhone, await shownQr(orderId), phoneAddress);
    expect(scanned).toEqual({ ok: true, kind: 'sign', orderId, purpose: 'sign_decision', statement });
    expect(await signScanned(carinasPhone, scanned, '246810', phoneAddress)).toEqual({
      ok: true,
      purpose: 'sign_decision',
      personId: fixture.carina.personId,
    });

    const order = await storedOrder(orderId);
    expect(order).toMatchObject({
      state: 'completed',
      personId: fixture.carina.personId,
      mobileDeviceId: carinasPhone.deviceId,
    });
    const signature = Buffer.from(order.signature!, 'base64');
    const text = Buffer.from(statement, 'utf8');
    expect(
      verify('sha256', text, { key: carinasPhone.publicKey, dsaEncoding: 'ieee-p1363' }, signature),
    ).toBe(true);
    const certificate = new X509Certificate(Buffer.from(order.signerCertificate!, 'base64'));
    expect(verify('sha256', text, { key: certificate.publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(
      true,
    );
    const [deviceEid] = await fixture.db
      .select()
      .from(eids)
      .where(eq(eids.mobileDeviceId, carinasPhone.deviceId));
    expect(certificate.toString().trim()).toBe(deviceEid!.certificatePem!.trim());

    const audited = (
      await fixture.db.select().from(auditEvents).where(eq(auditEvents.objectId, carinasPhone.deviceId))
    ).filter((event) => event.detail?.authOrderId === orderId);
    expect(audited.map((event) => [event.action, event.outcome])).toEqual([
      ['mobile_siths_scan', 'success'],
      ['sign_decision_mobile_siths', 'success'],
    ]);
    expect(audited[1]?.detail).toMatchObject({ eidId: deviceEid!.id });
  });

  /** What `openssl dgst -verify` says of the signature (P1363 turned into DER) over `text`, with the certificate's key. */
  async function opensslVerdict(certificateDer: Buffer, p1363: Buffer, text: string): Promise<string> {
    const folder = await mkdtemp(join(tmpdir(), 'mobile-sign-'));
    try {
      const publicKey = new X509Certificate(certificateDer).publicKey.export({ type: 'spki', format: 'pem' });
      await writeFile(join(folder, 'key.pem'), publicKey);
      await writeFile(join(folder, 'signature.der'), p1363ToDer(p1363));
      await writeFile(join(folder, 'statement.txt'), text, 'utf8');
      const args = ['dgst', '-sha256', '-verify', 'key.pem', '-signature', 'signature.der', 'statement.txt'];
      const { stdout } = await promisify(execFile)('openssl', args, { cwd: folder });
      return stdout.trim();
    } catch (error) {
      return String((error as { stdout?: string }).stdout ?? error).trim();
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }

  it('stores a signature that openssl verifies against the statement text with the stored certificate, and not against an altered text', async () => {
    const phoneAddress = nextAddress();
    const { orderId } = await startSigning();
    const scanned = await scanToSign(carinasPhone, orderId, phoneAddress);
    expect(await signScanned(carinasPhone, scanned, '246810', phoneAddress)).toMatchObject({ ok: true });
    const order = await storedOrder(orderId);
    const certificate = Buffer.from(order.signerCertificate!, 'base64');
    const signature = Buffer.from(order.signature!, 'base64');
    expect(await opensslVerdict(certificate, signature, order.statement!)).toBe('Verified OK');
    expect(await opensslVerdict(certificate, signature, order.statement!.replace('Ödmark', 'Odmark'))).toBe(
      'Verification failure',
    );
  });

  it("refuses another person's device at the scan, before the statement reaches it, ends the order and audits the refusal", async () => {
    const phoneAddress = nextAddress();
    const { orderId } = await startSigning();
    expect(await scan(olofsPhone, await shownQr(orderId), phoneAddress)).toEqual({
      ok: false,
      refusal: 'wrong_person',
    });
    expect(await stateOf(orderId)).toEqual({ state: 'failed', refusal: 'wrong_person' });
    expect(
      await submit(
        olofsPhone,
        orderId,
        olofsPhone.sign(mobileSignedMessage(await storedOrder(orderId))),
        phoneAddress,
        '13579135',
      ),
    ).toEqual({
      ok: false,
      refusal: 'order_closed',
    });
    const [refusal] = await refusalsAudited('mobile_siths_scan', orderId);
    expect(refusal?.detail).toMatchObject({ reason: 'wrong_person', personId: fixture.olof.personId });
    expect((await storedOrder(orderId)).signature).toBeNull();
  });

  it('refuses a signature of another text (the statement altered on its way to the phone), ends the order and audits it as a failed attempt', async () => {
    const phoneAddress = nextAddress();
    const { orderId } = await startSigning();
    const scanned = await scanToSign(carinasPhone, orderId, phoneAddress);
    const altered = scanned.statement.replace('godkänner', 'avslår');
    expect(altered).not.toBe(scanned.statement);
    expect(
      await submit(carinasPhone, orderId, carinasPhone.sign(Buffer.from(altered, 'utf8')), phoneAddress),
    ).toEqual({
      ok: false,
      refusal: 'statement_mismatch',
    });
    expect(await stateOf(orderId)).toEqual({ state: 'failed', refusal: 'statement_mismatch' });
    expect(await storedOrder(orderId)).toMatchObject({
      signature: null,
      signerCertificate: null,
      personId: null,
    });
    const [refusal] = await refusalsAudited('sign_decision_mobile_siths', orderId);
    expect(refusal?.detail).toMatchObject({
      reason: 'statement_mismatch',
      personId: fixture.carina.personId,
      countsTowardLimit: true,
    });
  });

  it("refuses the login's challenge-style signature on a decision order", async () => {
    const phoneAddress = nextAddress();
    const { orderId } = await startSigning();
    await scanToSign(carinasPhone, orderId, phoneAddress);
    const challengeStyle = carinasPhone.sign(
      mobileAuthSignedMessage(orderId, (await storedOrder(orderId)).challenge),
    );
    expect(await submit(carinasPhone, orderId, challengeStyle, phoneAddress)).toEqual({
      ok: false,
      refusal: 'statement_mismatch',
    });
    expect(await stateOf(orderId)).toEqual({ state: 'failed', refusal: 'statement_mismatch' });
  });

  it('refuses a signature replayed from another decision order', async () => {
    const phoneAddress = nextAddress();
    const signed = await startSigning();
    const first = await scanToSign(carinasPhone, signed.orderId, phoneAddress);
    expect(await signScanned(carinasPhone, first, '246810', phoneAddress)).toMatchObject({ ok: true });
    const replayed = Buffer.from((await storedOrder(signed.orderId)).signature!, 'base64');

    const next = await startSigning();
    await scanToSign(carinasPhone, next.orderId, phoneAddress);
    expect(await submit(carinasPhone, next.orderId, replayed, phoneAddress)).toEqual({
      ok: false,
      refusal: 'statement_mismatch',
    });
    expect(await storedOrder(next.orderId)).toMatchObject({ state: 'failed', signature: null });
  });

  /**
   * A decider of their own for the devices these tests spoil: each needs a Mobile SITHS of its own, more than
   * Carina may hold (three active), and her refused signatures above have used up her free failed attempts.
   */
  let idAdmin: TestEndUser;
  const enrolledForIdAdmin = async (name: string) => {
    idAdmin ??= await fixture.cardLogin('idadmin1');
    const phone = new TestPhone(name);
    await fixture.enrol(idAdmin, phone, '97531246');
    return phone;
  };

  /** The phone scans, then `change` happens, then the phone signs what it was shown: refused, nothing stored. */
  async function refusedAfterScan(phone: TestPhone, change: () => Promise<unknown>, refusal: string) {
    const phoneAddress = nextAddress();
    const { orderId } = await startSigning(new Date(), statementOf, idAdmin);
    const scanned = await scanToSign(phone, orderId, phoneAddress);
    await change();
    expect(await submit(phone, orderId, signedByPhone(phone, scanned), phoneAddress, '97531246')).toEqual({
      ok: false,
      refusal,
    });
    expect(await storedOrder(orderId)).toMatchObject({
      state: 'failed',
      errorCode: refusal,
      signature: null,
    });
  }

  it('refuses a device whose eID was revoked', async () => {
    const phone = await enrolledForIdAdmin('iPhone 15');
    const revoke = () =>
      fixture.db
        .update(eids)
        .set({ state: 'revoked', revokedAt: new Date(), revocationReason: 'lost' })
        .where(eq(eids.mobileDeviceId, phone.deviceId));
    await refusedAfterScan(phone, revoke, 'certificate_invalid');
  });

  it('refuses a revoked device', async () => {
    const phone = await enrolledForIdAdmin('Fairphone 5');
    const revoke = () =>
      fixture.db.update(mobileDevices).set({ state: 'revoked' }).where(eq(mobileDevices.id, phone.deviceId));
    await refusedAfterScan(phone, revoke, 'device_revoked');
  });

  it('refuses a device past its validity', async () => {
    const phone = await enrolledForIdAdmin('Nokia G42');
    const expire = () =>
      fixture.db
        .update(mobileDevices)
        .set({ validTo: new Date(Date.now() - 1000) })
        .where(eq(mobileDevices.id, phone.deviceId));
    await refusedAfterScan(phone, expire, 'certificate_invalid');
  });

  it('refuses a signature once the order has expired', async () => {
    const phoneAddress = nextAddress();
    const startedAt = new Date(Date.now() - 3 * 60_000);
    const { orderId } = await startSigning(startedAt);
    const scannedAt = new Date(startedAt.getTime() + 10_000);
    const scanned = await scanToSign(carinasPhone, orderId, phoneAddress, scannedAt);
    expect(await submit(carinasPhone, orderId, signedByPhone(carinasPhone, scanned), phoneAddress)).toEqual({
      ok: false,
      refusal: 'order_expired',
    });
    expect(await storedOrder(orderId)).toMatchObject({ personId: null, signature: null });
  });

  it('is not started with a statement that is empty or not in Unicode NFC', async () => {
    await expect(startSigning(new Date(), () => '  ')).rejects.toThrow(RangeError);
    await expect(startSigning(new Date(), (orderId) => `Jag godka\u0308nner ${orderId}`)).rejects.toThrow(
      RangeError,
    );
  });
});

/** An ECDSA signature as r | s (WebCrypto, IEEE P1363) in the DER Ecdsa-Sig-Value that openssl reads. */
function p1363ToDer(signature: Buffer): Buffer {
  const integer = (value: Buffer) => {
    let start = 0;
    while (start < value.length - 1 && value[start] === 0) start++;
    const trimmed = value.subarray(start);
    const positive = trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
    return Buffer.concat([Buffer.from([0x02, positive.length]), positive]);
  };
  const body = Buffer.concat([integer(signature.subarray(0, 32)), integer(signature.subarray(32))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}
