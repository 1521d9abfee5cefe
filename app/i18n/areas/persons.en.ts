import type { personsSv } from './persons.sv';

export const personsEn: Record<keyof typeof personsSv, string> = {};
