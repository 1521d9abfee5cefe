import { Form, type FormProps, useActionData, useNavigation } from '@remix-run/react';
import { createContext, type FormEvent, type ReactNode, useContext, useState } from 'react';
import type { z } from 'zod';
import { useT } from '~/i18n/use-translation';
import { type FieldErrors, validateForm } from './validation';

/** The errors shown next to each Field; provided by ValidatedForm, and by GET forms that validate the same way. */
export const FormErrorsContext = createContext<FieldErrors>({});

/**
 * A Remix form checked with its zod schema in the browser before it is sent, showing the errors next to
 * the fields; the action checks the same schema again and returns `{ errors }` the same way.
 */
export function ValidatedForm<Schema extends z.ZodType>({
  schema,
  children,
  onSubmit,
  ...props
}: FormProps & { schema: Schema; children: ReactNode }) {
  const actionData = useActionData<{ errors?: FieldErrors }>();
  const [clientErrors, setClientErrors] = useState<FieldErrors | null>(null);
  const navigation = useNavigation();
  const submitting = navigation.state === 'submitting';
  const errors = clientErrors ?? (submitting ? {} : (actionData?.errors ?? {}));

  const validate = (event: FormEvent<HTMLFormElement>) => {
    const result = validateForm(schema, new FormData(event.currentTarget));
    if (!result.ok) {
      event.preventDefault();
      setClientErrors(result.errors);
      return;
    }
    setClientErrors(null);
    onSubmit?.(event);
  };

  return (
    <FormErrorsContext.Provider value={errors}>
      <Form noValidate {...props} onSubmit={validate}>
        <FormError />
        {children}
      </Form>
    </FormErrorsContext.Provider>
  );
}

export function useFieldError(name: string): string | undefined {
  const t = useT();
  const key = useContext(FormErrorsContext)[name];
  return key ? t(key) : undefined;
}

function FormError() {
  const message = useFieldError('form');
  if (!message) return null;
  return (
    <p className="form-error" role="alert">
      {message}
    </p>
  );
}

type FieldProps = {
  name: string;
  label: string;
  hint?: string;
} & (
  | ({ as?: 'input' } & React.InputHTMLAttributes<HTMLInputElement>)
  | ({ as: 'select'; children: ReactNode } & React.SelectHTMLAttributes<HTMLSelectElement>)
  | ({ as: 'textarea' } & React.TextareaHTMLAttributes<HTMLTextAreaElement>)
);

/** A labelled field with its error below it, wired for screen readers. */
export function Field({ name, label, hint, as = 'input', ...control }: FieldProps) {
  const error = useFieldError(name);
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
      ) : as === 'textarea' ? (
        <textarea {...common} {...(control as React.TextareaHTMLAttributes<HTMLTextAreaElement>)} />
      ) : (
        <input {...common} {...(control as React.InputHTMLAttributes<HTMLInputElement>)} />
      )}
      <p id={`${id}-error`} className="field-error" role={error ? 'alert' : undefined}>
        {error}
      </p>
    </div>
  );
}

export function SubmitButton({
  children,
  className = 'primary',
}: {
  children: ReactNode;
  className?: string;
}) {
  const submitting = useNavigation().state === 'submitting';
  return (
    <button type="submit" className={className} disabled={submitting}>
      {children}
    </button>
  );
}
