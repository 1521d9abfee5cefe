/**
 * The SITHS eID-app's release in this source tree: what the agent reports in its hello, the version of its
 * Debian package, and the server's default "current version" for its notice to older agents.
 */
export const agentReleaseVersion = '0.2.0';

/** Where an agent's reported version stands against the server's policy. */
export type AgentVersionVerdict = 'current' | 'outdated' | 'unsupported';

export interface AgentVersionPolicy {
  /** Below this, no card jobs; null: every version may run them. */
  minimum: string | null;
  /** Below this, the agent shows a notice to update. */
  current: string;
}

const versionPattern = /^(\d{1,5})\.(\d{1,5})\.(\d{1,5})$/;

/** Major, minor, patch of "1.2.3"; undefined for anything else. */
function parts(version: string): [number, number, number] | undefined {
  const match = versionPattern.exec(version.trim());
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

/** Negative, zero or positive as `a` is older than, the same as or newer than `b`; undefined if either is not x.y.z. */
export function compareVersions(a: string, b: string): number | undefined {
  const left = parts(a);
  const right = parts(b);
  if (!left || !right) return undefined;
  for (let index = 0; index < 3; index += 1) {
    const difference = left[index]! - right[index]!;
    if (difference !== 0) return difference;
  }
  return 0;
}

/** A version the server cannot read is below any minimum, and outdated. */
export function agentVersionVerdict(reported: string, policy: AgentVersionPolicy): AgentVersionVerdict {
  if (policy.minimum !== null) {
    const againstMinimum = compareVersions(reported, policy.minimum);
    if (againstMinimum === undefined || againstMinimum < 0) return 'unsupported';
  }
  const againstCurrent = compareVersions(reported, policy.current);
  return againstCurrent === undefined || againstCurrent < 0 ? 'outdated' : 'current';
}
