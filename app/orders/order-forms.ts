import { z } from 'zod';
import { hsaIdSchema, normalizePersonalIdentityNumber } from '../../protocol/identifiers';
import { safeTextSchema } from '../../protocol/safe-text';
import { orderStateValues, orderTypeValues } from './order-values';

const isPersonIdentifier = (value: string) =>
  normalizePersonalIdentityNumber(value) !== null || hsaIdSchema.safeParse(value).success;

/** "Ny beställning": the person by HSA-id or personnummer, and what to order. */
export const newOrderSchema = z.object({
  person: z
    .string({ message: 'orders.error.personIdentifier' })
    .trim()
    .refine(isPersonIdentifier, 'orders.error.personIdentifier'),
  type: z.enum(orderTypeValues, { message: 'orders.error.type' }),
});

export const orderIntents = ['approve', 'cancel', 'review', 'sign', 'confirm'] as const;

/**
 * An action on an order page; `expectedState` is the state the user saw when they confirmed. The second
 * approval of a trust-level-3 reserve card is a signed decision in three steps: `review` checks that it may
 * be given, `sign` starts the signing of its statement with the ID-administrator's SITHS eID (`method`),
 * `confirm` approves with that signature (`orderId`, the signing order). `approve` is the first approval.
 */
export const orderActionSchema = z.object({
  intent: z.enum(orderIntents, { message: 'orders.error.intent' }),
  expectedState: z.enum(orderStateValues, { message: 'orders.error.stale' }),
  note: z
    .string()
    .trim()
    .max(500, 'orders.error.note')
    .pipe(safeTextSchema)
    .optional()
    .transform((value) => value || undefined),
  method: z.enum(['card', 'mobile_siths'], { message: 'form.error.invalid' }).optional(),
  orderId: z.uuid({ message: 'form.error.invalid' }).optional(),
});

export type OrderActionForm = z.infer<typeof orderActionSchema>;
