import type { z } from 'zod';
import { isMessageKey, type MessageKey } from '~/i18n/catalogue';

/** Errors by field name; `form` holds errors that belong to no single field. Values are catalogue keys. */
export type FieldErrors = Partial<Record<string, MessageKey>>;

export type FormValidation<Data> = { ok: true; data: Data } | { ok: false; errors: FieldErrors };

/**
 * Checks form input against a zod schema whose messages are catalogue keys. The same schema runs in the
 * browser (before the form is sent) and in the action (which never trusts the browser).
 */
export function validateForm<Schema extends z.ZodType>(
  schema: Schema,
  input: FormData | Record<string, unknown>,
): FormValidation<z.infer<Schema>> {
  const values = input instanceof FormData ? formDataValues(input) : input;
  const parsed = schema.safeParse(values);
  if (parsed.success) return { ok: true, data: parsed.data };
  const errors: FieldErrors = {};
  for (const issue of parsed.error.issues) {
    const field = typeof issue.path[0] === 'string' ? issue.path[0] : 'form';
    errors[field] ??= isMessageKey(issue.message) ? issue.message : 'form.error.invalid';
  }
  return { ok: false, errors };
}

/** Repeated names (checkbox groups, multi-selects) become arrays; everything else a single string. */
function formDataValues(formData: FormData): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const key of new Set(formData.keys())) {
    const all = formData.getAll(key).filter((value): value is string => typeof value === 'string');
    values[key] = all.length > 1 ? all : all[0];
  }
  return values;
}
