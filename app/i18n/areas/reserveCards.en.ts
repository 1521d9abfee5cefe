import type { reserveCardsSv } from './reserveCards.sv';

export const reserveCardsEn: Record<keyof typeof reserveCardsSv, string> = {};
