import { describe, expect, it } from 'vitest';
import { demoPasswordLogins, loadConfig } from './config';

describe('the demo accounts’ passwords (DEMO_PASSWORD_LOGINS)', () => {
  it('are off in production unless turned on, and on elsewhere unless turned off', () => {
    expect(demoPasswordLogins(loadConfig({ NODE_ENV: 'production' }))).toBe(false);
    expect(demoPasswordLogins(loadConfig({ NODE_ENV: 'production', DEMO_PASSWORD_LOGINS: 'true' }))).toBe(
      true,
    );
    expect(demoPasswordLogins(loadConfig({ NODE_ENV: 'development' }))).toBe(true);
    expect(demoPasswordLogins(loadConfig({ NODE_ENV: 'test', DEMO_PASSWORD_LOGINS: 'false' }))).toBe(false);
  });

  it('refuses a value that is neither true nor false', () => {
    expect(() => loadConfig({ DEMO_PASSWORD_LOGINS: 'yes' })).toThrow(/DEMO_PASSWORD_LOGINS/);
  });
});

describe('the reminder sweep interval (REMINDER_SWEEP_INTERVAL_MINUTES)', () => {
  it('is an hour by default and takes whole minutes up to a day', () => {
    expect(loadConfig({}).REMINDER_SWEEP_INTERVAL_MINUTES).toBe(60);
    expect(loadConfig({ REMINDER_SWEEP_INTERVAL_MINUTES: '15' }).REMINDER_SWEEP_INTERVAL_MINUTES).toBe(15);
  });

  it('refuses zero, fractions and more than a day', () => {
    for (const value of ['0', '1.5', '1441', 'hourly']) {
      expect(() => loadConfig({ REMINDER_SWEEP_INTERVAL_MINUTES: value })).toThrow(
        /REMINDER_SWEEP_INTERVAL_MINUTES/,
      );
    }
  });
});
