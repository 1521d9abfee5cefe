import type { directorySv } from './directory.sv';

export const directoryEn: Record<keyof typeof directorySv, string> = {};
