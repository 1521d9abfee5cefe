import {
  type ActionFunctionArgs,
  json,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { requireUnitAccess } from '~/auth/staff.server';
import { invalidInput } from '~/forms/invalid-input.server';
import { SubmitButton, ValidatedForm } from '~/forms/validated-form';
import { validateForm } from '~/forms/validation';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import { useT } from '~/i18n/use-translation';
import { requireStockKeeper, stockKeeperRoles } from '~/reserve-cards/access.server';
import { withdrawReserveCardSchema } from '~/reserve-cards/forms';
import { cardStateBadges, cardStateLabels, trustLevelLabel } from '~/reserve-cards/labels';
import { refusalResponse } from '~/reserve-cards/refusals.server';
import areaStyles from '~/styles/reserve-cards.css';
import { findReserveCard, withdrawReserveCard } from '../../db/reserve-card-stock';

export const meta: MetaFunction = () => [{ title: 'Dra tillbaka reservkort – SITHS eID-portalen' }];
export const links = () => [{ rel: 'stylesheet', href: areaStyles }];

const attemptOf = (cardId: string) => ({
  action: 'reserve_card_withdraw',
  objectType: 'reserve_card',
  objectId: cardId,
});

/** The confirm step: withdrawing cannot be undone, so it has a page of its own. */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const cardId = params.cardId ?? '';
  const { principal } = await requireStockKeeper(request, context, attemptOf(cardId));
  const card = await findReserveCard(context.db, cardId);
  if (!card) throw json({ message: translator(await localeOf(request))('error.notFound') }, { status: 404 });
  await requireUnitAccess(request, context, principal, card.unitId, stockKeeperRoles, attemptOf(cardId));
  return { card };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const cardId = params.cardId ?? '';
  const { principal, actor } = await requireStockKeeper(request, context, attemptOf(cardId));
  const form = validateForm(withdrawReserveCardSchema, await request.formData());
  if (!form.ok || form.data.cardId !== cardId) {
    return await invalidInput(
      context,
      principal,
      attemptOf(cardId),
      form.ok ? { cardId: 'form.error.invalid' } : form.errors,
    );
  }
  const outcome = await withdrawReserveCard(context.db, { cardId }, actor);
  if (!outcome.ok) return refusalResponse(outcome.refusal, 'form');
  const card = (await findReserveCard(context.db, cardId))!;
  throw redirect(`/admin/reservkort/enhet/${card.unitId}?tillbakadraget=${card.serial}`);
}

export default function WithdrawReserveCardPage() {
  const { card } = useLoaderData<typeof loader>();
  const t = useT();
  const inStock = card.state === 'in_stock';
  return (
    <>
      <h1>{t('reserveCards.withdraw.heading')}</h1>
      <dl className="facts">
        <div>
          <dt>{t('reserveCards.column.serial')}</dt>
          <dd className="reserve-serial">{card.serial}</dd>
        </div>
        <div>
          <dt>{t('reserveCards.column.productCode')}</dt>
          <dd>{card.productCode}</dd>
        </div>
        <div>
          <dt>{t('reserveCards.column.trustLevel')}</dt>
          <dd>{t(trustLevelLabel(card.trustLevel))}</dd>
        </div>
        <div>
          <dt>{t('reserveCards.stock.unit')}</dt>
          <dd>{card.unitName}</dd>
        </div>
        <div>
          <dt>{t('reserveCards.column.state')}</dt>
          <dd>
            <span className={cardStateBadges[card.state]}>{t(cardStateLabels[card.state])}</span>
          </dd>
        </div>
      </dl>
      <div className="card notice">
        <p>{inStock ? t('reserveCards.withdraw.body') : t('reserveCards.withdraw.notInStock')}</p>
        <ValidatedForm schema={withdrawReserveCardSchema} method="post" className="button-row">
          <input type="hidden" name="cardId" value={card.id} />
          {inStock && (
            <SubmitButton className="primary danger">{t('reserveCards.withdraw.confirm')}</SubmitButton>
          )}
          <Link to={`/admin/reservkort/enhet/${card.unitId}`}>{t('reserveCards.withdraw.cancel')}</Link>
        </ValidatedForm>
      </div>
    </>
  );
}
