import { describe, expect, it } from 'vitest';
import { agentDeviceTokens, demoPasswordLogins, loadConfig } from './config';

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

describe('device tokens for agents (AGENT_DEVICE_TOKENS)', () => {
  it('are refused in production unless accepted, and accepted elsewhere unless refused', () => {
    expect(agentDeviceTokens(loadConfig({ NODE_ENV: 'production' }))).toBe('refuse');
    expect(agentDeviceTokens(loadConfig({ NODE_ENV: 'production', AGENT_DEVICE_TOKENS: 'accept' }))).toBe(
      'accept',
    );
    expect(agentDeviceTokens(loadConfig({ NODE_ENV: 'development' }))).toBe('accept');
    expect(agentDeviceTokens(loadConfig({ NODE_ENV: 'test', AGENT_DEVICE_TOKENS: 'refuse' }))).toBe('refuse');
    expect(() => loadConfig({ AGENT_DEVICE_TOKENS: 'sometimes' })).toThrow(/AGENT_DEVICE_TOKENS/);
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

describe('the directory (DIRECTORY_*)', () => {
  it('is off unless DIRECTORY_URL is set, and then needs the sync account', () => {
    expect(loadConfig({}).DIRECTORY_URL).toBeUndefined();
    expect(() => loadConfig({ DIRECTORY_URL: 'ldap://127.0.0.1:389' })).toThrow(
      /DIRECTORY_URL needs DIRECTORY_BIND_DN and DIRECTORY_BIND_PASSWORD/,
    );
    const config = loadConfig({
      DIRECTORY_URL: 'ldaps://hsa.example.se:636',
      DIRECTORY_BIND_DN: 'cn=siths-desk,c=SE',
      DIRECTORY_BIND_PASSWORD: 'secret',
    });
    expect(config).toMatchObject({
      DIRECTORY_BASE_DN: 'c=SE',
      DIRECTORY_SYNC_INTERVAL_MINUTES: 15,
      DIRECTORY_FULL_SYNC_HOURS: 24,
    });
  });

  it('refuses an address that is no LDAP URL', () => {
    expect(() =>
      loadConfig({ DIRECTORY_URL: 'http://hsa', DIRECTORY_BIND_DN: 'cn=x', DIRECTORY_BIND_PASSWORD: 'y' }),
    ).toThrow(/DIRECTORY_URL: an ldap:\/\/ or ldaps:\/\/ URL/);
  });
});
