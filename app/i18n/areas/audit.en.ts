import type { auditSv } from './audit.sv';

export const auditEn: Record<keyof typeof auditSv, string> = {};
