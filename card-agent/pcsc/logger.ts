import { pino } from 'pino';

export type { Logger } from 'pino';

/**
 * The card layer's default logger. Callers may pass their own; whichever is used, this layer only
 * ever logs APDU headers, lengths and status words, never data fields (PINs travel in them).
 */
export const cardLogger = pino({ name: 'card-agent', level: process.env.LOG_LEVEL ?? 'info' });
