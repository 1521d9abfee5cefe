import { z } from 'zod';
import type { PersonQuery } from '../../db/persons';
import { hsaIdSchema, normalizePersonalIdentityNumber } from '../../protocol/identifiers';

const looksLikePersonalIdentityNumber = /^[\d\s+-]+$/;
const looksLikeHsaId = /^[A-Za-z]{2,6}\d/;

/**
 * The person search field, in the browser and the loader: digits are a personnummer (checked for a real date
 * and its check digit), a country code followed by digits an HSA-id, anything else part of a name.
 */
export const personSearchSchema = z.object({
  q: z
    .string({ message: 'persons.search.error.required' })
    .trim()
    .min(1, 'persons.search.error.required')
    .max(100, 'persons.search.error.tooLong')
    .transform((value, context): PersonQuery => {
      if (looksLikePersonalIdentityNumber.test(value)) {
        const number = normalizePersonalIdentityNumber(value);
        if (!number)
          context.addIssue({ code: 'custom', message: 'persons.search.error.personalIdentityNumber' });
        return { kind: 'personalIdentityNumber', value: number ?? '' };
      }
      if (looksLikeHsaId.test(value)) {
        const hsaId = hsaIdSchema.safeParse(value);
        if (!hsaId.success) context.addIssue({ code: 'custom', message: 'persons.search.error.hsaId' });
        return { kind: 'hsaId', value: hsaId.data ?? '' };
      }
      if (value.length < 2)
        context.addIssue({ code: 'custom', message: 'persons.search.error.nameTooShort' });
      return { kind: 'name', value };
    }),
});
