import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { useT } from '~/i18n/use-translation';
import { eidOverview } from '~/mina-sidor/eid-overview.server';
import { CardRow, EidDetails, EidTableHead, LoggedInWith } from '~/mina-sidor/eid-parts';
import { requireEndUser } from '~/mina-sidor/end-user.server';

export const meta: MetaFunction = () => [{ title: 'Mina SITHS eID - SITHS Mina sidor' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireEndUser(request, context);
  const overview = await eidOverview(context, user);
  return {
    loggedInWith: overview.loggedInWith,
    devices: overview.devices
      .filter((device) => device.state === 'active')
      .map((device) => ({ ...device, eids: device.eids.filter((eid) => eid.state === 'active') })),
    cards: overview.cards
      .filter((card) => card.state === 'active' || card.state === 'locked' || card.state === 'assigned')
      .map((card) => ({ ...card, eids: card.eids.filter((eid) => eid.state === 'active') })),
  };
}

/** "Mina SITHS eID": the Mobile SITHS devices and the cards of the logged-in person, with "Lås upp kort". */
export default function MyEids() {
  const { loggedInWith, devices, cards } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <section>
      <h1>{t('mina.eids.heading')}</h1>
      <LoggedInWith loggedInWith={loggedInWith} />
      <table className="table" aria-label={t('mina.eids.mobile')}>
        <EidTableHead first={t('mina.eids.mobile')} />
        <tbody>
          {devices.length === 0 ? (
            <tr>
              <td colSpan={4}>{t('mina.eids.noMobile')}</td>
            </tr>
          ) : (
            devices.map((device) => (
              <tr key={device.id}>
                <td>
                  {device.name}
                  <EidDetails eids={device.eids} organisation={device.organisation} />
                </td>
                <td data-label={t('mina.eids.trustLevel')}>{device.trustLevel}</td>
                <td data-label={t('mina.eids.organisation')}>{device.organisation}</td>
                <td className="date" data-label={t('mina.eids.validTo')}>
                  {device.validTo}
                </td>
              </tr>
            ))
          )}
        </tbody>
      </table>
      <h2>{t('mina.eids.otherHeading')}</h2>
      <table className="table" aria-label={t('mina.eids.otherHeading')}>
        <EidTableHead first={t('mina.eids.card')} />
        <tbody>
          {cards.length === 0 ? (
            <tr>
              <td colSpan={4}>{t('mina.eids.noCards')}</td>
            </tr>
          ) : (
            cards.map((card) => (
              <CardRow
                key={card.id}
                card={card}
                actions={
                  card.state === 'locked' ? (
                    <div>
                      <span className="badge">{t('mina.eids.locked')}</span>{' '}
                      <Link to={`/mina-sidor/las-upp/${card.id}`} className="mina-button">
                        {t('mina.eids.unlock')}
                      </Link>
                    </div>
                  ) : null
                }
              />
            ))
          )}
        </tbody>
      </table>
    </section>
  );
}
