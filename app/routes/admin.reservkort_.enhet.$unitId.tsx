import {
  type ActionFunctionArgs,
  json,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
  type SerializeFrom,
} from '@remix-run/node';
import { Form, Link, useLoaderData, useSearchParams } from '@remix-run/react';
import { canAccessUnit, identityViewerOf } from '~/auth/permissions';
import { requireSection } from '~/auth/section.server';
import { requireUnitAccess } from '~/auth/staff.server';
import { invalidInput } from '~/forms/invalid-input.server';
import { Field, SubmitButton, ValidatedForm } from '~/forms/validated-form';
import { validateForm } from '~/forms/validation';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import { useT } from '~/i18n/use-translation';
import { HiddenIdentityName, ProtectedIdentityBadge } from '~/people/protected-identity';
import { requireStockKeeper, stockKeeperRoles, stockReaderRoles } from '~/reserve-cards/access.server';
import { lowStockThresholdSchema } from '~/reserve-cards/forms';
import { cardStateBadges, cardStateLabels, formatDate, trustLevelLabel } from '~/reserve-cards/labels';
import { refusalResponse } from '~/reserve-cards/refusals.server';
import { StockStatus } from '~/reserve-cards/stock-table';
import areaStyles from '~/styles/reserve-cards.css';
import { listStock, type StockFilters, setLowStockThreshold, stockLevels } from '../../db/reserve-card-stock';
import { type CardState, cardStates } from '../../protocol/domain-values';

export const meta: MetaFunction = () => [{ title: 'Reservkort på enheten – SITHS eID-portalen' }];
export const links = () => [{ rel: 'stylesheet', href: areaStyles }];

function filtersOf(url: URL): StockFilters {
  const state = url.searchParams.get('status');
  const trustLevel = url.searchParams.get('tillitsniva');
  return {
    state: cardStates.includes(state as CardState) ? (state as CardState) : undefined,
    trustLevel: trustLevel === '2' || trustLevel === '3' ? (Number(trustLevel) as 2 | 3) : undefined,
  };
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'reserveCards');
  const unitId = params.unitId ?? '';
  const level = (await stockLevels(context.db, [unitId]))[0];
  if (!level) {
    throw json({ message: translator(await localeOf(request))('error.notFound') }, { status: 404 });
  }
  await requireUnitAccess(request, context, principal, unitId, stockReaderRoles, {
    action: 'view_reserve_stock',
    objectType: 'unit',
    objectId: unitId,
  });
  return {
    level,
    cards: await listStock(context.db, unitId, filtersOf(new URL(request.url)), identityViewerOf(principal)),
    canChange: canAccessUnit(principal, unitId, stockKeeperRoles),
  };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const unitId = params.unitId ?? '';
  const attempted = { action: 'low_stock_threshold_set', objectType: 'unit', objectId: unitId };
  const { principal, actor } = await requireStockKeeper(request, context, attempted);
  const form = validateForm(lowStockThresholdSchema, await request.formData());
  if (!form.ok) return await invalidInput(context, principal, attempted, form.errors);
  const outcome = await setLowStockThreshold(context.db, { unitId, threshold: form.data.threshold }, actor);
  if (!outcome.ok) return refusalResponse(outcome.refusal, 'threshold');
  throw redirect(`/admin/reservkort/enhet/${unitId}?sparat=1`);
}

export default function UnitStockPage() {
  const { level, cards, canChange } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <>
      <p>
        <Link to="/admin/reservkort">{t('reserveCards.unit.back')}</Link>
      </p>
      <h1>
        {t('reserveCards.unit.heading')}: {level.unitName}
      </h1>
      <Notices />
      <dl className="facts" data-testid="unit-stock">
        <div>
          <dt>{t('reserveCards.trustLevel.2')}</dt>
          <dd data-testid="unit-stock-loa2">{level.inStock[2]}</dd>
        </div>
        <div>
          <dt>{t('reserveCards.trustLevel.3')}</dt>
          <dd data-testid="unit-stock-loa3">{level.inStock[3]}</dd>
        </div>
        <div>
          <dt>{t('reserveCards.stock.total')}</dt>
          <dd data-testid="unit-stock-total">{level.total}</dd>
        </div>
        <div>
          <dt>{t('reserveCards.stock.status')}</dt>
          <dd>
            <StockStatus level={level} />
          </dd>
        </div>
      </dl>
      {canChange && <ThresholdForm threshold={level.threshold} />}
      <h2>{t('reserveCards.unit.cards')}</h2>
      <CardFilters />
      <CardList cards={cards} canChange={canChange} />
    </>
  );
}

function Notices() {
  const t = useT();
  const [searchParams] = useSearchParams();
  const notices = [
    ['registrerat', t('reserveCards.register.done')],
    ['tilldelat', t('reserveCards.assign.done')],
    ['tillbakadraget', t('reserveCards.withdraw.done')],
  ] as const;
  return (
    <>
      {notices.map(([param, text]) => {
        const serial = searchParams.get(param);
        return serial ? (
          <p key={param} className="card notice" role="status">
            {text} <strong className="reserve-serial">{serial}</strong>
          </p>
        ) : null;
      })}
      {searchParams.get('sparat') && (
        <p className="card notice" role="status">
          {t('reserveCards.unit.thresholdSaved')}
        </p>
      )}
    </>
  );
}

function ThresholdForm({ threshold }: { threshold: number }) {
  const t = useT();
  return (
    <ValidatedForm schema={lowStockThresholdSchema} method="post" className="card reserve-form">
      <Field
        name="threshold"
        label={t('reserveCards.unit.threshold')}
        hint={t('reserveCards.unit.thresholdHint')}
        inputMode="numeric"
        defaultValue={String(threshold)}
      />
      <SubmitButton>{t('reserveCards.unit.saveThreshold')}</SubmitButton>
    </ValidatedForm>
  );
}

function CardFilters() {
  const t = useT();
  const [searchParams] = useSearchParams();
  return (
    <Form method="get" className="filters">
      <label>
        {t('reserveCards.filter.state')}
        <select name="status" defaultValue={searchParams.get('status') ?? ''}>
          <option value="">{t('reserveCards.filter.all')}</option>
          {cardStates.map((state) => (
            <option key={state} value={state}>
              {t(cardStateLabels[state])}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('reserveCards.filter.trustLevel')}
        <select name="tillitsniva" defaultValue={searchParams.get('tillitsniva') ?? ''}>
          <option value="">{t('reserveCards.filter.all')}</option>
          <option value="2">{t('reserveCards.trustLevel.2')}</option>
          <option value="3">{t('reserveCards.trustLevel.3')}</option>
        </select>
      </label>
      <button type="submit" className="small">
        {t('reserveCards.filter.apply')}
      </button>
    </Form>
  );
}

type CardRow = SerializeFrom<typeof loader>['cards'][number];

function CardList({ cards, canChange }: { cards: CardRow[]; canChange: boolean }) {
  const t = useT();
  if (cards.length === 0) return <p>{t('reserveCards.noCards')}</p>;
  return (
    <table className="table" data-testid="reserve-card-list">
      <thead>
        <tr>
          <th scope="col">{t('reserveCards.column.serial')}</th>
          <th scope="col">{t('reserveCards.column.productCode')}</th>
          <th scope="col">{t('reserveCards.column.trustLevel')}</th>
          <th scope="col">{t('reserveCards.column.state')}</th>
          <th scope="col">{t('reserveCards.column.holder')}</th>
          <th scope="col">{t('reserveCards.column.validTo')}</th>
          {canChange && <td />}
        </tr>
      </thead>
      <tbody>
        {cards.map((card) => (
          <tr key={card.id} data-testid={`card-${card.serial}`}>
            <td className="reserve-serial">{card.serial}</td>
            <td>{card.productCode}</td>
            <td>{t(trustLevelLabel(card.trustLevel))}</td>
            <td>
              <span className={cardStateBadges[card.state]}>{t(cardStateLabels[card.state])}</span>
            </td>
            <td>
              {card.holder === null ? (
                '–'
              ) : card.holder.hidden ? (
                <HiddenIdentityName />
              ) : (
                <>
                  {card.holder.name} <ProtectedIdentityBadge shown={card.holder.protectedIdentity} />
                </>
              )}
            </td>
            <td>{formatDate(card.validTo)}</td>
            {canChange && (
              <td>
                {card.state === 'in_stock' && (
                  <Link to={`/admin/reservkort/kort/${card.id}/dra-tillbaka`}>
                    {t('reserveCards.withdraw')}
                  </Link>
                )}
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
