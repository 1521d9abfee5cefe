import type { protectedIdentitySv } from './protectedIdentity.sv';

export const protectedIdentityEn: Record<keyof typeof protectedIdentitySv, string> = {
  'protected.identity': 'Protected identity',
  'protected.badge.title':
    'The person has a protected identity: show nothing about them to anyone not entitled',
};
