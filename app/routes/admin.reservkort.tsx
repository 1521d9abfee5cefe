import {
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from '@remix-run/node';
import { Link, useLoaderData, useSearchParams } from '@remix-run/react';
import { hasAnyRole, identityViewerOf, visibleUnits } from '~/auth/permissions';
import { requireSection } from '~/auth/section.server';
import { invalidInput } from '~/forms/invalid-input.server';
import { Field, SubmitButton, ValidatedForm } from '~/forms/validated-form';
import { validateForm } from '~/forms/validation';
import { useT } from '~/i18n/use-translation';
import { requireStockKeeper, stockKeeperRoles, stockReaderRoles } from '~/reserve-cards/access.server';
import { registerReserveCardSchema } from '~/reserve-cards/forms';
import { refusalResponse } from '~/reserve-cards/refusals.server';
import { StockTable } from '~/reserve-cards/stock-table';
import areaStyles from '~/styles/reserve-cards.css';
import { listAssignableOrders } from '../../db/reserve-card-assignment';
import { registerReserveCard, stockLevels } from '../../db/reserve-card-stock';
import { listUnits } from '../../db/units';

export const meta: MetaFunction = () => [{ title: 'Reservkort – SITHS eID-portalen' }];
export const links = () => [{ rel: 'stylesheet', href: areaStyles }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'reserveCards');
  const scope = visibleUnits(principal, stockReaderRoles);
  const keeperScope = visibleUnits(principal, stockKeeperRoles);
  const canChange = hasAnyRole(principal, stockKeeperRoles);
  return {
    levels: await stockLevels(context.db, scope),
    canChange,
    units: canChange ? await listUnits(context.db, keeperScope === 'all' ? undefined : keeperScope) : [],
    waitingOrders: (await listAssignableOrders(context.db, scope, identityViewerOf(principal))).length,
  };
}

const registerAttempt = { action: 'reserve_card_register', objectType: 'reserve_card' };

export async function action({ request, context }: ActionFunctionArgs) {
  const { principal, actor } = await requireStockKeeper(request, context, registerAttempt);
  const form = validateForm(registerReserveCardSchema, await request.formData());
  if (!form.ok) return await invalidInput(context, principal, registerAttempt, form.errors);
  const outcome = await registerReserveCard(context.db, form.data, actor);
  if (!outcome.ok) {
    return refusalResponse(outcome.refusal, outcome.refusal === 'other_unit' ? 'unitId' : undefined);
  }
  throw redirect(
    `/admin/reservkort/enhet/${form.data.unitId}?registrerat=${encodeURIComponent(form.data.serial)}`,
  );
}

export default function ReserveCardStockPage() {
  const { levels, canChange, units, waitingOrders } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <>
      <h1>{t('reserveCards.heading')}</h1>
      <p className="muted">{canChange ? t('reserveCards.intro') : t('reserveCards.readOnly')}</p>
      <div className="stock-actions">
        <Link className="button" to="/admin/reservkort/aktivera">
          {t('reserveCards.assignLink')}
        </Link>
        <span className="muted" data-testid="waiting-orders">
          {t('reserveCards.assignWaiting')} {waitingOrders}
        </span>
      </div>
      <div className={canChange ? 'stock-layout' : undefined}>
        <section aria-labelledby="stock-heading">
          <h2 id="stock-heading">{t('reserveCards.stock.heading')}</h2>
          {levels.length === 0 ? <p>{t('reserveCards.stock.none')}</p> : <StockTable levels={levels} />}
        </section>
        {canChange && <RegisterCardForm units={units} />}
      </div>
    </>
  );
}

function RegisterCardForm({ units }: { units: Array<{ id: string; name: string }> }) {
  const t = useT();
  const [searchParams] = useSearchParams();
  return (
    <section aria-labelledby="register-heading" className="card">
      <h2 id="register-heading">{t('reserveCards.register.heading')}</h2>
      <ValidatedForm schema={registerReserveCardSchema} method="post" className="reserve-form">
        <Field
          name="serial"
          label={t('reserveCards.register.serial')}
          hint={t('reserveCards.register.serialHint')}
          inputMode="numeric"
          autoComplete="off"
          className="reserve-serial"
        />
        <Field
          name="productCode"
          label={t('reserveCards.register.productCode')}
          hint={t('reserveCards.register.productCodeHint')}
          autoComplete="off"
        />
        <Field as="select" name="trustLevel" label={t('reserveCards.register.trustLevel')} defaultValue="2">
          <option value="2">{t('reserveCards.trustLevel.2')}</option>
          <option value="3">{t('reserveCards.trustLevel.3')}</option>
        </Field>
        <Field
          as="select"
          name="unitId"
          label={t('reserveCards.register.unit')}
          defaultValue={searchParams.get('enhet') ?? ''}
        >
          <option value="">{t('reserveCards.register.chooseUnit')}</option>
          {units.map((unit) => (
            <option key={unit.id} value={unit.id}>
              {unit.name}
            </option>
          ))}
        </Field>
        <SubmitButton>{t('reserveCards.register.submit')}</SubmitButton>
      </ValidatedForm>
    </section>
  );
}
