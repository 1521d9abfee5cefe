import { z } from 'zod';
import type { MessageKey } from '~/i18n/catalogue';
import {
  type CardSerialProblem,
  cardSerialProblem,
  normalizeCardSerial,
  productCodePattern,
} from '../../db/card-serial';
import { nameProblem } from '../../protocol/safe-text';

const serialMessages: Record<CardSerialProblem, MessageKey> = {
  length: 'reserveCards.error.serialLength',
  digits: 'reserveCards.error.serialDigits',
  check_digit: 'reserveCards.error.serialCheckDigit',
};

const requiredText = (message: MessageKey) => z.string({ error: message }).trim().min(1, message);

/** A row's id from a select: never holds control characters (PostgreSQL cannot even compare a NUL). */
const requiredId = (message: MessageKey) =>
  requiredText(message).refine((id) => nameProblem(id) !== 'unsafe_character', message);

export const registerReserveCardSchema = z.object({
  serial: requiredText('reserveCards.error.serialRequired')
    .transform(normalizeCardSerial)
    .superRefine((serial, context) => {
      const problem = cardSerialProblem(serial);
      if (problem) context.addIssue({ code: 'custom', message: serialMessages[problem] });
    }),
  productCode: requiredText('reserveCards.error.productCode')
    .transform((code) => code.toUpperCase())
    .pipe(z.string().regex(productCodePattern, 'reserveCards.error.productCode')),
  trustLevel: z.enum(['2', '3'], { error: 'reserveCards.error.trustLevel' }).transform(Number),
  unitId: requiredId('reserveCards.error.unitRequired'),
});

export const lowStockThresholdSchema = z.object({
  threshold: z
    .string({ error: 'reserveCards.error.threshold' })
    .trim()
    .regex(/^\d{1,3}$/, 'reserveCards.error.threshold')
    .transform(Number),
});

export const assignReserveCardSchema = z.object({
  orderId: requiredId('reserveCards.error.orderRequired'),
  cardId: requiredId('reserveCards.error.cardRequired'),
});

export const withdrawReserveCardSchema = z.object({
  cardId: requiredId('reserveCards.error.cardRequired'),
});
