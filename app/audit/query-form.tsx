import { Form, type FormProps, useNavigation } from '@remix-run/react';
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import type { z } from 'zod';
import { FormErrorsContext } from '~/forms/validated-form';
import type { FieldErrors } from '~/forms/validation';
import { validateForm } from '~/forms/validation';

/**
 * A GET form (search, filters) checked with its zod schema in the browser; the loader checks the same schema
 * and hands back `errors`, shown next to the fields (the shared Field) like ValidatedForm does for actions.
 */
export function QueryForm<Schema extends z.ZodType>({
  schema,
  serverErrors,
  children,
  ...props
}: Omit<FormProps, 'method' | 'onSubmit'> & {
  schema: Schema;
  serverErrors?: FieldErrors;
  children: ReactNode;
}) {
  const [clientErrors, setClientErrors] = useState<FieldErrors | null>(null);
  const navigation = useNavigation();
  useEffect(() => {
    if (navigation.state === 'loading') setClientErrors(null);
  }, [navigation.state]);
  const validate = (event: FormEvent<HTMLFormElement>) => {
    const result = validateForm(schema, nonEmptyValues(new FormData(event.currentTarget)));
    setClientErrors(result.ok ? null : result.errors);
    if (!result.ok) event.preventDefault();
  };
  return (
    <FormErrorsContext.Provider value={clientErrors ?? serverErrors ?? {}}>
      <Form noValidate method="get" {...props} onSubmit={validate}>
        {children}
      </Form>
    </FormErrorsContext.Provider>
  );
}

/** Empty filter fields mean "any", as they do in the URL the loader reads. */
export function nonEmptyValues(input: FormData | URLSearchParams): Record<string, string> {
  return Object.fromEntries(
    [...input.entries()].filter((entry): entry is [string, string] => entry[1] !== ''),
  );
}
