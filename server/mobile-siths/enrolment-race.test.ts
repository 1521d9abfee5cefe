import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AppDatabase, AppTransaction } from '../../db/engine';
import { countActiveMobileDevices } from '../../db/mobile-devices';
import { enrolmentSignedMessage, registerMobileDevice, startMobileEnrolment } from './enrolment';
import { type MobileSithsFixture, mobileSithsFixture, TestPhone, testAddress } from './testing';

let fixture: MobileSithsFixture;
beforeAll(async () => {
  fixture = await mobileSithsFixture();
});
afterAll(() => fixture.db.close());

/**
 * On PostgreSQL the two registrations' transactions are held at their start until both have begun, so both
 * read the person's devices before either writes: without the lock on the person both would see two and take
 * the third place. SQLite runs one transaction at a time (the second cannot begin), so nothing is held there.
 */
function racingDatabase(db: AppDatabase): AppDatabase {
  if (db.engine !== 'postgres') return db;
  let waiting: (() => void) | undefined;
  const bothBegun = new Promise<void>((resolve) => {
    let begun = 0;
    waiting = () => {
      begun += 1;
      if (begun === 2) resolve();
    };
  });
  const transaction = ((work: (tx: AppTransaction) => Promise<unknown>) =>
    db.transaction(async (tx) => {
      waiting?.();
      await bothBegun;
      return await work(tx);
    })) as AppDatabase['transaction'];
  return new Proxy(db, {
    get: (target, property) => (property === 'transaction' ? transaction : Reflect.get(target, property)),
  });
}

const deps = (db: AppDatabase = fixture.db) => ({
  db,
  pki: fixture.pki,
  isSessionActive: (sessionId: string) => fixture.context.sessions.isActive(sessionId),
});

async function startedToken(): Promise<string> {
  const started = await startMobileEnrolment(
    fixture.db,
    { ...fixture.carina, loginMethod: 'card' },
    { address: testAddress, now: new Date() },
  );
  if (!started.ok) throw new Error(`refused: ${started.refusal}`);
  return started.qrContent.slice('mobilesiths-enrol.'.length);
}

function register(token: string, db?: AppDatabase) {
  const phone = new TestPhone();
  return registerMobileDevice(deps(db), {
    token,
    deviceName: phone.name,
    publicKeySpki: phone.spki(),
    code: '123456',
    signature: phone.sign(enrolmentSignedMessage(token)),
    address: testAddress,
    now: new Date(),
  });
}

it('gives the third place to exactly one of two phones registering at once', async () => {
  const { personId } = fixture.carina;
  while ((await countActiveMobileDevices(fixture.db, personId)) < 2) {
    expect(await register(await startedToken())).toMatchObject({ ok: true });
  }
  const tokens = [await startedToken(), await startedToken()];
  const racing = racingDatabase(fixture.db);
  const outcomes = await Promise.all(tokens.map((token) => register(token, racing)));

  expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(1);
  expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([{ ok: false, refusal: 'too_many_devices' }]);
  expect(await countActiveMobileDevices(fixture.db, personId)).toBe(3);
});
