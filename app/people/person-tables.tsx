import { Link } from '@remix-run/react';
import { useT } from '~/i18n/use-translation';
import type { PersonCard, PersonEid, PersonMobileDevice } from '../../db/person-read-model';
import type { ProfileOrder } from '../../db/persons';
import { labelFor, useDateFormat } from './format';

/** Where revocation links go; null when the viewer may not revoke. */
export type RevokeLink = ((target: { kind: 'card' | 'eid'; id: string }) => string) | null;

export function CardTable({ cards, revokeLink }: { cards: PersonCard[]; revokeLink: RevokeLink }) {
  const t = useT();
  const format = useDateFormat();
  if (cards.length === 0) return <p className="muted">{t('persons.profile.noCards')}</p>;
  return (
    <table className="table" data-testid="cards">
      <thead>
        <tr>
          <th>{t('persons.card.serial')}</th>
          <th>{t('persons.card.kind')}</th>
          <th>{t('persons.card.trustLevel')}</th>
          <th>{t('persons.card.state')}</th>
          <th>{t('persons.card.unit')}</th>
          <th>{t('persons.card.validTo')}</th>
          {revokeLink && <th />}
        </tr>
      </thead>
      <tbody>
        {cards.map((card) => (
          <tr key={card.id} data-serial={card.serial}>
            <td>{card.serial}</td>
            <td>{labelFor(t, 'persons.cardKind', card.kind)}</td>
            <td>{card.trustLevel}</td>
            <td>
              <span
                className={`badge ${card.state === 'active' ? 'ok' : card.state === 'revoked' ? 'error' : 'info'}`}
              >
                {labelFor(t, 'persons.cardState', card.state)}
              </span>
            </td>
            <td>{card.unitName}</td>
            <td className="date">{format.date(card.validTo)}</td>
            {revokeLink && (
              <td>
                {['assigned', 'active', 'locked'].includes(card.state) && (
                  <Link className="link-small danger" to={revokeLink({ kind: 'card', id: card.id })}>
                    {t('persons.revokeCard')}
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

function holderOf(t: ReturnType<typeof useT>, eid: PersonEid): string {
  if (eid.cardSerial) return `${t('persons.eid.card')} ${eid.cardSerial}`;
  return `${t('persons.eid.mobile')} ${eid.mobileDeviceName ?? ''}`.trim();
}

export function EidTable({
  eids,
  revokeLink,
  testId,
}: {
  eids: PersonEid[];
  revokeLink: RevokeLink;
  testId: string;
}) {
  const t = useT();
  const format = useDateFormat();
  const invalid = eids.some((eid) => eid.state !== 'active' || eid.revokedAt !== null);
  return (
    <table className="table" data-testid={testId}>
      <thead>
        <tr>
          <th>{t('persons.eid.purpose')}</th>
          <th>{t('persons.eid.holder')}</th>
          <th>{t('persons.card.trustLevel')}</th>
          <th>{t('persons.eid.certificateSerial')}</th>
          <th>{t('persons.eid.validTo')}</th>
          <th>{t('persons.eid.state')}</th>
          {invalid && <th>{t('persons.eid.revocationReason')}</th>}
          {revokeLink && <th />}
        </tr>
      </thead>
      <tbody>
        {eids.map((eid) => (
          <tr
            key={eid.id}
            data-certificate-serial={eid.certificateSerial}
            data-card-serial={eid.cardSerial ?? ''}
          >
            <td>{labelFor(t, 'persons.eidPurpose', eid.purpose)}</td>
            <td>{holderOf(t, eid)}</td>
            <td>{eid.trustLevel}</td>
            <td className="mono">{eid.certificateSerial}</td>
            <td className="date">{format.date(eid.validTo)}</td>
            <td>
              {labelFor(t, 'persons.eidState', eid.state)}
              {eid.revokedAt !== null && ` ${format.date(eid.revokedAt)}`}
            </td>
            {invalid && (
              <td>{eid.revocationReason ? labelFor(t, 'persons.reason', eid.revocationReason) : ''}</td>
            )}
            {revokeLink && (
              <td>
                <Link className="link-small danger" to={revokeLink({ kind: 'eid', id: eid.id })}>
                  {t('persons.revokeEid')}
                </Link>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function MobileDeviceTable({ devices }: { devices: PersonMobileDevice[] }) {
  const t = useT();
  const format = useDateFormat();
  if (devices.length === 0) return <p className="muted">{t('persons.profile.noMobileDevices')}</p>;
  return (
    <table className="table" data-testid="mobile-devices">
      <thead>
        <tr>
          <th>{t('persons.device.name')}</th>
          <th>{t('persons.card.trustLevel')}</th>
          <th>{t('persons.device.registeredAt')}</th>
          <th>{t('persons.eid.validTo')}</th>
          <th>{t('persons.device.state')}</th>
        </tr>
      </thead>
      <tbody>
        {devices.map((device) => (
          <tr key={device.id}>
            <td>{device.name}</td>
            <td>{device.trustLevel}</td>
            <td className="date">{format.date(device.registeredAt)}</td>
            <td className="date">{format.date(device.validTo)}</td>
            <td>{labelFor(t, 'persons.deviceState', device.state)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function OrderTable({ orders }: { orders: ProfileOrder[] }) {
  const t = useT();
  const format = useDateFormat();
  if (orders.length === 0) return <p className="muted">{t('persons.profile.noOrders')}</p>;
  return (
    <table className="table" data-testid="orders">
      <thead>
        <tr>
          <th>{t('persons.order.type')}</th>
          <th>{t('persons.order.state')}</th>
          <th>{t('persons.order.unit')}</th>
          <th>{t('persons.order.placedBy')}</th>
          <th>{t('persons.order.createdAt')}</th>
        </tr>
      </thead>
      <tbody>
        {orders.map((order) => (
          <tr key={order.id}>
            <td>
              <Link to={`/admin/bestallningar/${order.id}`}>
                {labelFor(t, 'persons.orderType', order.type)}
              </Link>
            </td>
            <td>{labelFor(t, 'persons.orderState', order.state)}</td>
            <td>{order.unitName}</td>
            <td>{order.placedBy}</td>
            <td className="date">{format.date(order.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
