/** Why a card or SITHS eID is revoked: the fixed list staff choose from (labels live in the UI catalogue). */
export const revocationReasons = [
  'lost',
  'stolen',
  'compromised',
  'employment_ended',
  'incorrect_data',
  'replaced',
] as const;

export type RevocationReason = (typeof revocationReasons)[number];

export function isRevocationReason(value: unknown): value is RevocationReason {
  return typeof value === 'string' && (revocationReasons as readonly string[]).includes(value);
}
