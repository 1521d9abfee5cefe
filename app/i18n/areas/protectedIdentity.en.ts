import type { protectedIdentitySv } from './protectedIdentity.sv';

export const protectedIdentityEn: Record<keyof typeof protectedIdentitySv, string> = {};
