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
