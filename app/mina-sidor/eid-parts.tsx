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

/** The "SITHS EID" line under a card or device: organisation, valid from and to, trust level. */
export function EidDetails({ eids, organisation }: { eids: EidSummary[]; organisation: string }) {
  const t = useT();
  const eid = eids.find((candidate) => candidate.purpose === 'authentication') ?? eids[0];
  if (!eid) return null;
  return (
    <dl className="eid-details">
      <dt>{t('mina.eids.eidHeading')}</dt>
      <dd>
        {t('mina.eids.organisation')} {organisation} {t('mina.eids.validFrom')} {eid.validFrom}{' '}
        {t('mina.eids.validTo')} {eid.validTo} {t('mina.eids.trustLevel')} {eid.trustLevel}
      </dd>
    </dl>
  );
}
