import { z } from 'zod';
import type { MessageKey } from '~/i18n/catalogue';
import { safeNameSchema } from '../../protocol/safe-text';

/** The server's limits on enrolment codes (db/agent-enrolment.ts), handed to the page by its loader. */
export interface EnrolmentCodeLimits {
  singleMs: number;
  batchMaxMs: number;
  maxBatchSize: number;
}

/** How long a code may be valid, as the forms offer it: hours for one computer, days for a rollout. */
export const singleValidHours = ['1', '8', '24'] as const;
export const batchValidDays = ['1', '7', '14'] as const;

const hourMs = 60 * 60_000;
const invalid: MessageKey = 'computers.error.invalid';

export const computerNameSchema = z
  .string({ error: 'computers.error.nameRequired' })
  .trim()
  .min(1, 'computers.error.nameRequired')
  .max(100, 'computers.error.nameLength')
  .pipe(safeNameSchema);

const validityMessage: MessageKey = 'computers.error.validity';

/** The list page's forms: a code for one named computer, one for a rollout (system administrators), withdraw. */
export function enrolmentCodeSchema(limits: EnrolmentCodeLimits) {
  const countMessage: MessageKey = 'computers.error.count';
  return z.discriminatedUnion(
    'intent',
    [
      z.object({
        intent: z.literal('create_code'),
        computerName: computerNameSchema,
        validHours: z
          .enum(singleValidHours, { error: validityMessage })
          .transform((hours) => Number(hours) * hourMs)
          .refine((ms) => ms <= limits.singleMs, validityMessage),
      }),
      z.object({
        intent: z.literal('create_batch'),
        count: z
          .string({ error: countMessage })
          .trim()
          .regex(/^\d{1,6}$/, countMessage)
          .transform(Number)
          .pipe(z.number().int().min(2, countMessage).max(limits.maxBatchSize, countMessage)),
        validDays: z
          .enum(batchValidDays, { error: validityMessage })
          .transform((days) => Number(days) * 24 * hourMs)
          .refine((ms) => ms <= limits.batchMaxMs, validityMessage),
      }),
      z.object({
        intent: z.literal('withdraw_code'),
        codeId: z.string({ error: invalid }).trim().min(1, invalid).max(64, invalid).pipe(safeNameSchema),
      }),
    ],
    { error: invalid },
  );
}

/** The computer page's forms: rename and revoke (system administrators). */
export const computerChangeSchema = z.discriminatedUnion(
  'intent',
  [
    z.object({ intent: z.literal('rename'), name: computerNameSchema }),
    z.object({ intent: z.literal('revoke') }),
  ],
  { error: invalid },
);

/** The list's filters, as the URL carries them. */
export const computerStates = ['all', 'connected', 'not_connected', 'revoked', 'outdated'] as const;
export type ComputerStateChoice = (typeof computerStates)[number];
