import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { first } from '../../db/engine';
import { countActiveMobileDevices, findMobileDevice } from '../../db/mobile-devices';
import { cards, eids } from '../../db/schema';
import {
  checkEnrolmentToken,
  enrolmentSignedMessage,
  enrolmentStatus,
  type RegisterDeviceInput,
  registerMobileDevice,
  startMobileEnrolment,
} from './enrolment';
import {
  type MobileSithsFixture,
  mobileSithsFixture,
  type TestEndUser,
  TestPhone,
  testAddress,
} from './testing';

let fixture: MobileSithsFixture;
beforeAll(async () => {
  fixture = await mobileSithsFixture();
});
afterAll(() => fixture.db.close());

const now = () => new Date();
const deps = () => ({
  db: fixture.db,
  pki: fixture.pki,
  isSessionActive: (sessionId: string) => fixture.context.sessions.isActive(sessionId),
});

async function start(user: TestEndUser, loginMethod = 'card') {
  const started = await startMobileEnrolment(
    fixture.db,
    { ...user, loginMethod },
    { address: testAddress, now: now() },
  );
  if (!started.ok) throw new Error(`refused: ${started.refusal}`);
  return { ...started, token: started.qrContent.slice('mobilesiths-enrol.'.length) };
}

function registration(token: string, phone: TestPhone, overrides: Partial<RegisterDeviceInput> = {}) {
  return {
    token,
    deviceName: phone.name,
    publicKeySpki: phone.spki(),
    code: '123456',
    signature: phone.sign(enrolmentSignedMessage(token)),
    address: testAddress,
    now: now(),
    ...overrides,
  };
}

describe('Hämta Mobilt SITHS', () => {
  it('registers the phone, issues its certificate at the card trust level and marks the QR code used', async () => {
    const { enrolmentId, token } = await start(fixture.carina);
    const owner = { personId: fixture.carina.personId, sessionId: fixture.carina.sessionId };
    expect(await enrolmentStatus(fixture.db, enrolmentId, owner, now())).toMatchObject({ state: 'waiting' });
    expect(await checkEnrolmentToken(fixture.db, { token, address: testAddress, now: now() })).toMatchObject({
      ok: true,
    });

    const phone = new TestPhone('Xiaomi 22126RN91Y');
    const registered = await registerMobileDevice(deps(), registration(token, phone));
    if (!registered.ok) throw new Error(registered.refusal);
    expect(registered).toMatchObject({ deviceName: 'Xiaomi 22126RN91Y', trustLevel: 3 });
    expect(registered.certificatePem).toContain('BEGIN CERTIFICATE');
    const device = await findMobileDevice(fixture.db, registered.deviceId);
    expect(device).toMatchObject({ personId: fixture.carina.personId, state: 'active', trustLevel: 3 });
    expect(device?.codeHash).toMatch(/^scrypt\$/);
    const eid = first(
      await fixture.db.select().from(eids).where(eq(eids.mobileDeviceId, registered.deviceId)).limit(1),
    );
    expect(eid).toMatchObject({
      state: 'active',
      purpose: 'authentication',
      certificatePem: registered.certificatePem,
    });

    expect(await enrolmentStatus(fixture.db, enrolmentId, owner, now())).toEqual({
      state: 'done',
      deviceName: 'Xiaomi 22126RN91Y',
    });
    const again = await registerMobileDevice(deps(), registration(token, new TestPhone()));
    expect(again).toEqual({ ok: false, refusal: 'enrolment_used' });
  });

  it('gives a trust-level-2 certificate when the card login was with a trust-level-2 card', async () => {
    await fixture.db.update(cards).set({ trustLevel: 2 }).where(eq(cards.serial, fixture.olof.cardSerial));
    try {
      const { token } = await start(fixture.olof);
      const registered = await registerMobileDevice(
        deps(),
        registration(token, new TestPhone('iPhone 13 mini')),
      );
      expect(registered).toMatchObject({ ok: true, trustLevel: 2 });
    } finally {
      await fixture.db.update(cards).set({ trustLevel: 3 }).where(eq(cards.serial, fixture.olof.cardSerial));
    }
  });

  it('is only for a card login', async () => {
    for (const loginMethod of ['mobile_siths', 'password']) {
      expect(
        await startMobileEnrolment(
          fixture.db,
          { ...fixture.olof, loginMethod },
          { address: testAddress, now: now() },
        ),
      ).toEqual({ ok: false, refusal: 'card_login_required' });
    }
  });

  it('refuses the fourth active device, at the start and at a registration started before the third', async () => {
    const user = fixture.carina;
    const pending = await start(user);
    while ((await countActiveMobileDevices(fixture.db, user.personId)) < 3) {
      const { token } = await start(user);
      expect(await registerMobileDevice(deps(), registration(token, new TestPhone()))).toMatchObject({
        ok: true,
      });
    }
    expect(
      await startMobileEnrolment(
        fixture.db,
        { ...user, loginMethod: 'card' },
        { address: testAddress, now: now() },
      ),
    ).toEqual({ ok: false, refusal: 'too_many_devices' });
    expect(await registerMobileDevice(deps(), registration(pending.token, new TestPhone()))).toEqual({
      ok: false,
      refusal: 'too_many_devices',
    });
    expect(await countActiveMobileDevices(fixture.db, user.personId)).toBe(3);
  });

  it('refuses a key the phone cannot prove, a key that is not P-256, and a code nobody issued', async () => {
    const { token } = await start(fixture.olof);
    const phone = new TestPhone();
    const proofByAnother = registration(token, phone, {
      signature: new TestPhone().sign(enrolmentSignedMessage(token)),
    });
    expect(await registerMobileDevice(deps(), proofByAnother)).toEqual({
      ok: false,
      refusal: 'bad_signature',
    });
    expect(
      await registerMobileDevice(deps(), registration(token, phone, { publicKeySpki: Buffer.from('junk') })),
    ).toEqual({
      ok: false,
      refusal: 'bad_key',
    });
    expect(await registerMobileDevice(deps(), registration('x'.repeat(43), phone))).toEqual({
      ok: false,
      refusal: 'enrolment_invalid',
    });
  });

  it('refuses an expired enrolment QR code and one whose card login has ended', async () => {
    const { token } = await start(fixture.olof);
    const later = new Date(Date.now() + 16 * 60_000);
    expect(await registerMobileDevice(deps(), registration(token, new TestPhone(), { now: later }))).toEqual({
      ok: false,
      refusal: 'enrolment_expired',
    });

    const session = await fixture.context.sessions.create({
      userId: fixture.olof.userId,
      loginMethod: 'card',
      loginCredential: fixture.olof.cardSerial,
    });
    const ended = await start({ ...fixture.olof, sessionId: session.sessionId });
    await fixture.context.sessions.invalidate(session.sessionId);
    expect(await registerMobileDevice(deps(), registration(ended.token, new TestPhone()))).toEqual({
      ok: false,
      refusal: 'session_ended',
    });
  });

  it("shows nobody else's enrolment", async () => {
    const { enrolmentId } = await start(fixture.olof);
    expect(
      await enrolmentStatus(
        fixture.db,
        enrolmentId,
        { personId: fixture.carina.personId, sessionId: fixture.carina.sessionId },
        now(),
      ),
    ).toBeUndefined();
  });
});
