import {
  type ActionFunctionArgs,
  json,
  type LinksFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from '@remix-run/node';
import { Link, useActionData, useLoaderData } from '@remix-run/react';
import { identityViewerOf, type Principal, visibleUnits } from '~/auth/permissions';
import { requireSection } from '~/auth/section.server';
import { requireRole } from '~/auth/staff.server';
import { Field, SubmitButton, ValidatedForm } from '~/forms/validated-form';
import { type FieldErrors, validateForm } from '~/forms/validation';
import { useT } from '~/i18n/use-translation';
import { orderTypeLabel } from '~/orders/labels';
import { newOrderSchema } from '~/orders/order-forms';
import { orderTypeValues } from '~/orders/order-values';
import { placeOrderRefusals } from '~/orders/refusals';
import { auditRefusedInput } from '~/orders/refused-input.server';
import ordersStyles from '~/styles/orders.css';
import { placeOrder } from '../../db/orders';

export const meta: MetaFunction = () => [{ title: 'Ny beställning – SITHS eID-portalen' }];
export const links: LinksFunction = () => [{ rel: 'stylesheet', href: ordersStyles }];

const placers = ['manager', 'contact_person'] as const;

async function requirePlacer(request: Request, context: LoaderFunctionArgs['context']): Promise<Principal> {
  const principal = await requireSection(request, context, 'orders');
  await requireRole(request, context, principal, placers, { action: 'order_place', objectType: 'order' });
  return principal;
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePlacer(request, context);
  return { person: new URL(request.url).searchParams.get('person')?.slice(0, 40) ?? '' };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const principal = await requirePlacer(request, context);
  const form = validateForm(newOrderSchema, await request.formData());
  if (!form.ok) {
    await auditRefusedInput(context, principal, { action: 'order_place' }, form.errors);
    return json({ errors: form.errors }, { status: 400 });
  }
  const result = await placeOrder(context.db, {
    actor: { userId: principal.userId, label: principal.username },
    personIdentifier: form.data.person,
    type: form.data.type,
    scope: visibleUnits(principal, placers),
    viewer: identityViewerOf(principal),
    now: new Date(),
  });
  if (result.ok) return redirect(`/admin/bestallningar/${result.orderId}`);
  const { field, status } = placeOrderRefusals[result.reason];
  const errors: FieldErrors = { [field]: `orders.error.${result.reason}` };
  return json({ errors, existingOrderId: result.existingOrderId ?? null }, { status });
}

export default function NewOrderPage() {
  const { person } = useLoaderData<typeof loader>();
  const actionData = useActionData<{ existingOrderId?: string | null }>();
  const t = useT();
  const existingOrderId = actionData?.existingOrderId ?? null;
  return (
    <div className="orders-new">
      <h1>{t('orders.new.heading')}</h1>
      <p className="muted">{t('orders.new.intro')}</p>
      <ValidatedForm schema={newOrderSchema} method="post" className="card">
        <Field
          name="person"
          label={t('orders.new.person')}
          hint={t('orders.new.personHint')}
          defaultValue={person}
          autoComplete="off"
          required
        />
        <Field name="type" as="select" label={t('orders.new.type')} defaultValue="" required>
          <option value="" disabled>
            {t('orders.new.chooseType')}
          </option>
          {orderTypeValues.map((type) => (
            <option key={type} value={type}>
              {orderTypeLabel(t, type)}
            </option>
          ))}
        </Field>
        {existingOrderId && (
          <p>
            <Link to={`/admin/bestallningar/${existingOrderId}`}>{t('orders.new.existing')}</Link>
          </p>
        )}
        <SubmitButton>{t('orders.new.submit')}</SubmitButton>
      </ValidatedForm>
    </div>
  );
}
