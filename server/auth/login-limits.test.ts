import { describe, expect, it, onTestFinished } from 'vitest';
import type { AppDatabase } from '../../db/connection';
import { openTestDatabase } from '../../test-support/test-database';
import {
  backoffMs,
  checkLoginAllowed,
  loginLimits,
  recordFailedLogin,
  recordRateLimitedLogin,
  recordRefusedLogin,
} from './login-limits';

type Db = AppDatabase;

async function testDatabase(): Promise<Db> {
  const db = await openTestDatabase();
  onTestFinished(() => db.close());
  return db;
}

const attempt = (personId: string | null, address: string, reason = 'wrong_code') => ({
  action: 'login_mobile_siths' as const,
  actorLabel: 'test',
  reason,
  address,
  personId,
  objectType: 'auth_order',
});

const fail = async (db: Db, personId: string | null, address: string) =>
  await recordFailedLogin(db, attempt(personId, address));

const seconds = (ms: number) => new Date(Date.now() + ms);

describe('SITHS eID login limits', () => {
  it('backs off per person: five failures free, then 30 s doubling up to 15 minutes', () => {
    const rule = loginLimits.perPerson;
    expect([4, 5, 6, 7, 8, 9, 10, 11, 20].map((failures) => backoffMs(failures, rule) / 1000)).toEqual([
      0, 30, 60, 120, 240, 480, 900, 900, 900,
    ]);
  });

  it('backs off per address: twenty failures free, then 2 s doubling up to a minute', () => {
    const rule = loginLimits.perAddress;
    expect([19, 20, 21, 24, 25, 100].map((failures) => backoffMs(failures, rule) / 1000)).toEqual([
      0, 2, 4, 32, 60, 60,
    ]);
  });

  it('makes a person wait after their fifth failure, from any address, and lets them try after the wait', async () => {
    const db = await testDatabase();
    for (let index = 1; index <= 5; index++) await fail(db, 'person-1', `10.0.0.${index}`);
    const refused = await checkLoginAllowed(db, { personId: 'person-1', address: '10.0.0.9' }, new Date());
    expect(refused).toMatchObject({ ok: false, reason: 'too_many_for_person' });
    expect(refused.ok ? 0 : refused.retryAfterSeconds).toBeGreaterThan(25);
    expect(await checkLoginAllowed(db, { personId: 'person-2', address: '10.0.0.9' }, new Date())).toEqual({
      ok: true,
    });
    expect(
      await checkLoginAllowed(db, { personId: 'person-1', address: '10.0.0.9' }, seconds(31_000)),
    ).toEqual({
      ok: true,
    });
  });

  it('slows an address after twenty failures for different people, for seconds, not a lockout', async () => {
    const db = await testDatabase();
    for (let index = 0; index < 20; index++) await fail(db, `person-${index}`, '10.0.0.1');
    const refused = await checkLoginAllowed(db, { address: '10.0.0.1' }, new Date());
    expect(refused).toMatchObject({ ok: false, reason: 'too_many_for_address', retryAfterSeconds: 2 });
    expect(await checkLoginAllowed(db, { address: '10.0.0.1' }, seconds(2_500))).toEqual({ ok: true });
    expect(await checkLoginAllowed(db, { address: '10.0.0.2' }, new Date())).toEqual({ ok: true });
  });

  it('does not count refusals that prove nothing, nor its own', async () => {
    const db = await testDatabase();
    for (let index = 0; index < 100; index++) {
      await recordRefusedLogin(
        db,
        attempt('person-1', '10.0.0.1', index % 2 ? 'invalid_input' : 'order_closed'),
      );
      await recordRateLimitedLogin(db, {
        method: 'mobile_siths',
        reason: 'too_many_for_address',
        address: '10.0.0.1',
      });
    }
    expect(await checkLoginAllowed(db, { personId: 'person-1', address: '10.0.0.1' }, new Date())).toEqual({
      ok: true,
    });
  });

  it('forgets failures older than the window', async () => {
    const db = await testDatabase();
    for (let index = 0; index < 30; index++) await fail(db, 'person-1', '10.0.0.1');
    const later = seconds(loginLimits.windowMs + 1000);
    expect(await checkLoginAllowed(db, { personId: 'person-1', address: '10.0.0.1' }, later)).toEqual({
      ok: true,
    });
  });
});
