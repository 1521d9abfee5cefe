import { useT } from '~/i18n/use-translation';
import type { EidOverview, EidSummary } from './eid-overview.server';

/** "Inloggad med Xiaomi 22126RN91Y - Västra Götalandsregionen", or the card the user logged in with. */
export function LoggedInWith({ loggedInWith }: { loggedInWith: EidOverview['loggedInWith'] }) {
  const t = useT();
  const what =
    loggedInWith.kind === 'mobile' || loggedInWith.kind === 'password'
      ? loggedInWith.label
      : `${t('mina.eids.card')} ${loggedInWith.kind === 'reserve' ? t('mina.eids.reserveCard') : t('mina.eids.ordinaryCard')} ${loggedInWith.label}`;
  return (
    <p className="logged-in-with">
      {t('mina.eids.loggedInWith')} {what} - {loggedInWith.organisation}
    </p>
  );
}

/** The "SITHS eID" line under a card or device: organisation, valid from and to, trust level. */
export function EidDetails({ eids, organisation }: { eids: EidSummary[]; organisation: string }) {
  const t = useT();
  const eid = eids.find((candidate) => candidate.purpose === 'authentication') ?? eids[0];
  if (!eid) return null;
  return (
    <dl className="eid-details">
      <dt>{t('mina.eids.eidHeading')}</dt>
      <dd>
        {t('mina.eids.organisation')} {organisation} {t('mina.eids.validFrom')}{' '}
        <span className="date">{eid.validFrom}</span> {t('mina.eids.validTo')}{' '}
        <span className="date">{eid.validTo}</span> {t('mina.eids.trustLevel')} {eid.trustLevel}
      </dd>
    </dl>
  );
}

/** The guide's table head: what (Mobilt SITHS or SITHS-kort), Tillitsnivå, Organisation, Giltig till. */
export function EidTableHead({ first }: { first: string }) {
  const t = useT();
  return (
    <thead>
      <tr>
        <th>{first}</th>
        <th>{t('mina.eids.trustLevel')}</th>
        <th>{t('mina.eids.organisation')}</th>
        <th>{t('mina.eids.validTo')}</th>
      </tr>
    </thead>
  );
}

/** A card's row under that head; `actions` goes under its serial (e.g. "Lås upp kort"). */
export function CardRow({
  card,
  actions,
}: {
  card: EidOverview['cards'][number];
  actions?: React.ReactNode;
}) {
  const t = useT();
  return (
    <tr data-card-serial={card.serial}>
      <td>
        {card.kind === 'reserve' ? t('mina.eids.reserveCard') : t('mina.eids.ordinaryCard')}
        <div>
          {t('mina.eids.serial')} {card.serial}
        </div>
        {actions}
        <EidDetails eids={card.eids} organisation={card.organisation} />
      </td>
      <td data-label={t('mina.eids.trustLevel')}>{card.trustLevel}</td>
      <td data-label={t('mina.eids.organisation')}>{card.organisation}</td>
      <td className="date" data-label={t('mina.eids.validTo')}>
        {card.validTo}
      </td>
    </tr>
  );
}
