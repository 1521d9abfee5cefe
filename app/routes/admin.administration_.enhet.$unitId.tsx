import {
  type ActionFunctionArgs,
  json,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { refusalResponse, requireSystemAdmin } from '~/administration/access.server';
import { renameUnitSchema } from '~/administration/forms';
import { invalidInput } from '~/forms/invalid-input.server';
import { Field, SubmitButton, ValidatedForm } from '~/forms/validated-form';
import { validateForm } from '~/forms/validation';
import { translator } from '~/i18n/catalogue';
import { localeOf } from '~/i18n/locale.server';
import { useT } from '~/i18n/use-translation';
import areaStyles from '~/styles/administration.css';
import { findUnit, renameUnit } from '../../db/administration';

export const meta: MetaFunction = () => [{ title: 'Byt namn på enhet – SITHS eID-portalen' }];
export const links = () => [{ rel: 'stylesheet', href: areaStyles }];

const attemptOf = (unitId: string) => ({
  action: 'unit_rename' as const,
  objectType: 'unit',
  objectId: unitId,
});

async function existingUnit(request: Request, context: LoaderFunctionArgs['context'], unitId: string) {
  const unit = await findUnit(context.db, unitId);
  if (!unit) throw json({ message: translator(await localeOf(request))('error.notFound') }, { status: 404 });
  return unit;
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const unitId = params.unitId ?? '';
  await requireSystemAdmin(request, context, attemptOf(unitId));
  const unit = await existingUnit(request, context, unitId);
  return { unit: { id: unit.id, hsaId: unit.hsaId, name: unit.name } };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const unitId = params.unitId ?? '';
  const { principal, actor } = await requireSystemAdmin(request, context, attemptOf(unitId));
  await existingUnit(request, context, unitId);
  const form = validateForm(renameUnitSchema, await request.formData());
  if (!form.ok) return await invalidInput(context, principal, attemptOf(unitId), form.errors);
  const outcome = await renameUnit(context.db, unitId, form.data.name, actor);
  if (!outcome.ok) return refusalResponse(outcome.refusal);
  throw redirect('/admin/administration?klart=namn');
}

export default function RenameUnitPage() {
  const { unit } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <>
      <h1>{t('administration.rename.heading')}</h1>
      <p className="muted">
        {unit.name} <span className="hsa-id">{unit.hsaId}</span>
      </p>
      <section className="card administration-narrow">
        <ValidatedForm schema={renameUnitSchema} method="post" className="administration-form">
          <Field
            name="name"
            label={t('administration.rename.name')}
            defaultValue={unit.name}
            autoComplete="off"
          />
          <div className="button-row">
            <SubmitButton>{t('administration.rename.submit')}</SubmitButton>
            <Link to="/admin/administration">{t('administration.rename.cancel')}</Link>
          </div>
        </ValidatedForm>
      </section>
    </>
  );
}
