import type { ordersSv } from './orders.sv';

export const ordersEn: Record<keyof typeof ordersSv, string> = {};
