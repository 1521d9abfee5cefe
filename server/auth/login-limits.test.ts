import { describe, expect, it } from 'vitest';
import { openMigratedDatabase } from '../../db/connection';
import { checkLoginAllowed, loginLimits, recordRateLimitedLogin, recordRefusedLogin } from './login-limits';

const limits = { windowMs: loginLimits.windowMs, maxRefusedPerPerson: 3, maxRefusedPerAddress: 5 };

function refuse(db: ReturnType<typeof openMigratedDatabase>, personId: string | null, address: string) {
  recordRefusedLogin(db, {
    action: 'login_mobile_siths',
    actorLabel: 'test',
    reason: 'wrong_code',
    address,
    personId,
    objectType: 'auth_order',
  });
}

describe('SITHS eID login limits', () => {
  it('refuses a person after too many refused attempts, from any address', () => {
    const db = openMigratedDatabase(':memory:');
    for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) refuse(db, 'person-1', address);
    expect(checkLoginAllowed(db, { personId: 'person-1', address: '10.0.0.9' }, new Date(), limits)).toEqual({
      ok: false,
      reason: 'too_many_for_person',
    });
    expect(checkLoginAllowed(db, { personId: 'person-2', address: '10.0.0.9' }, new Date(), limits)).toEqual({
      ok: true,
    });
  });

  it('refuses an address after too many refused attempts, whoever they were for', () => {
    const db = openMigratedDatabase(':memory:');
    for (let index = 0; index < 5; index++) refuse(db, `person-${index}`, '10.0.0.1');
    expect(checkLoginAllowed(db, { address: '10.0.0.1' }, new Date(), limits)).toEqual({
      ok: false,
      reason: 'too_many_for_address',
    });
    expect(checkLoginAllowed(db, { address: '10.0.0.2' }, new Date(), limits)).toEqual({ ok: true });
  });

  it('forgets attempts older than the window, and does not count its own refusals', () => {
    const db = openMigratedDatabase(':memory:');
    for (let index = 0; index < 5; index++) refuse(db, 'person-1', '10.0.0.1');
    for (let index = 0; index < 10; index++) {
      recordRateLimitedLogin(db, {
        method: 'mobile_siths',
        reason: 'too_many_for_address',
        address: '10.0.0.2',
      });
    }
    const later = new Date(Date.now() + loginLimits.windowMs + 1000);
    expect(checkLoginAllowed(db, { personId: 'person-1', address: '10.0.0.1' }, later, limits)).toEqual({
      ok: true,
    });
    expect(checkLoginAllowed(db, { address: '10.0.0.2' }, new Date(), limits)).toEqual({ ok: true });
  });
});
