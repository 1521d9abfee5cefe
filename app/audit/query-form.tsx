import { Form, type FormProps, useNavigation } from '@remix-run/react';
import { createContext, type FormEvent, type ReactNode, useContext, useEffect, useState } from 'react';
import type { z } from 'zod';
import type { FieldErrors } from '~/forms/validation';
import { validateForm } from '~/forms/validation';
import { useT } from '~/i18n/use-translation';

const QueryErrorsContext = createContext<FieldErrors>({});

/**
 * A GET form (search, filters) checked with its zod schema in the browser; the loader checks the same schema
 * and hands back `errors`, shown next to the fields like ValidatedForm does for actions.
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
    <QueryErrorsContext.Provider value={clientErrors ?? serverErrors ?? {}}>
      <Form noValidate method="get" {...props} onSubmit={validate}>
        {children}
      </Form>
    </QueryErrorsContext.Provider>
  );
}

/** Empty filter fields mean "any", as they do in the URL the loader reads. */
export function nonEmptyValues(input: FormData | URLSearchParams): Record<string, string> {
  return Object.fromEntries(
    [...input.entries()].filter((entry): entry is [string, string] => entry[1] !== ''),
  );
}

type QueryFieldProps = { name: string; label: string; hint?: string } & (
  | ({ as?: 'input' } & React.InputHTMLAttributes<HTMLInputElement>)
  | ({ as: 'select'; children: ReactNode } & React.SelectHTMLAttributes<HTMLSelectElement>)
);

/** A labelled query field with its error below it, with the same ids and classes as the shared Field. */
export function QueryField({ name, label, hint, as = 'input', ...control }: QueryFieldProps) {
  const t = useT();
  const key = useContext(QueryErrorsContext)[name];
  const error = key ? t(key) : undefined;
  const id = `field-${name}`;
  const describedBy = [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(' ');
  const common = { id, name, 'aria-invalid': Boolean(error), 'aria-describedby': describedBy };
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
      {as === 'select' ? (
        <select {...common} {...(control as React.SelectHTMLAttributes<HTMLSelectElement>)} />
      ) : (
        <input {...common} {...(control as React.InputHTMLAttributes<HTMLInputElement>)} />
      )}
      <p id={`${id}-error`} className="field-error" role={error ? 'alert' : undefined}>
        {error}
      </p>
    </div>
  );
}
