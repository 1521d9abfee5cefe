import { describe, expect, it } from 'vitest';
import { agentVersionVerdict, compareVersions } from './agent-version';

describe('agent versions', () => {
  it('compare by number, not as text', () => {
    expect(compareVersions('0.10.0', '0.9.0')).toBeGreaterThan(0);
    expect(compareVersions('1.2.3', '1.2.3')).toBe(0);
    expect(compareVersions('1.2.3', '1.3.0')).toBeLessThan(0);
    expect(compareVersions('1.2', '1.2.0')).toBeUndefined();
    expect(compareVersions('test', '1.2.0')).toBeUndefined();
  });

  it('are unsupported below the minimum, outdated below current, and a version the server cannot read is both', () => {
    const policy = { minimum: '0.2.0', current: '0.4.1' };
    expect(agentVersionVerdict('0.1.9', policy)).toBe('unsupported');
    expect(agentVersionVerdict('0.2.0', policy)).toBe('outdated');
    expect(agentVersionVerdict('0.4.1', policy)).toBe('current');
    expect(agentVersionVerdict('1.0.0', policy)).toBe('current');
    expect(agentVersionVerdict('x', policy)).toBe('unsupported');
    expect(agentVersionVerdict('x', { minimum: null, current: '0.4.1' })).toBe('outdated');
    expect(agentVersionVerdict('0.0.1', { minimum: null, current: '0.4.1' })).toBe('outdated');
  });
});
