import type { LoaderFunctionArgs } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { isMessageKey } from '~/i18n/catalogue';
import { useT } from '~/i18n/use-translation';
import { eidOverview } from '~/mina-sidor/eid-overview.server';
import { requireEndUser } from '~/mina-sidor/end-user.server';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireEndUser(request, context);
  const overview = await eidOverview(context, user);
  const invalid = [
    ...overview.cards.flatMap((card) =>
      card.eids
        .filter((eid) => eid.state !== 'active')
        .map((eid) => ({
          ...eid,
          holder: card.serial,
          holderKind: card.kind,
          organisation: card.organisation,
        })),
    ),
    ...overview.devices.flatMap((device) =>
      device.eids
        .filter((eid) => eid.state !== 'active' || device.state !== 'active')
        .map((eid) => ({
          ...eid,
          state: device.state === 'revoked' ? ('revoked' as const) : eid.state,
          holder: device.name,
          holderKind: 'mobile' as const,
          organisation: device.organisation,
        })),
    ),
  ];
  return { invalid };
}

/** "Visa ogiltiga SITHS eID": revoked and expired eIDs on the person's cards and devices. */
export default function InvalidEids() {
  const { invalid } = useLoaderData<typeof loader>();
  const t = useT();
  const label = (key: string) => (isMessageKey(key) ? t(key) : key);
  return (
    <section>
      <h1>{t('mina.eids.invalidHeading')}</h1>
      {invalid.length === 0 ? (
        <p>{t('mina.eids.noInvalid')}</p>
      ) : (
        <table className="table" aria-label={t('mina.eids.invalidHeading')}>
          <thead>
            <tr>
              <th>{t('mina.eids.card')}</th>
              <th>{t('mina.eids.purpose')}</th>
              <th>{t('mina.eids.state')}</th>
              <th>{t('mina.eids.trustLevel')}</th>
              <th>{t('mina.eids.organisation')}</th>
              <th>{t('mina.eids.validFrom')}</th>
              <th>{t('mina.eids.validTo')}</th>
            </tr>
          </thead>
          <tbody>
            {invalid.map((eid) => (
              <tr key={eid.id}>
                <td>
                  {eid.holderKind === 'mobile'
                    ? eid.holder
                    : `${eid.holderKind === 'reserve' ? t('mina.eids.reserveCard') : t('mina.eids.ordinaryCard')} ${eid.holder}`}
                </td>
                <td data-label={t('mina.eids.purpose')}>{label(`mina.purpose.${eid.purpose}`)}</td>
                <td data-label={t('mina.eids.state')}>{label(`mina.eidState.${eid.state}`)}</td>
                <td data-label={t('mina.eids.trustLevel')}>{eid.trustLevel}</td>
                <td data-label={t('mina.eids.organisation')}>{eid.organisation}</td>
                <td className="date" data-label={t('mina.eids.validFrom')}>
                  {eid.validFrom}
                </td>
                <td className="date" data-label={t('mina.eids.validTo')}>
                  {eid.validTo}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
