import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { hasAnyRole, identityViewerOf } from '~/auth/permissions';
import { requireSection } from '~/auth/section.server';
import { dashboardSections } from '~/auth/sections';
import { SignedDecisionList } from '~/decisions/signed-decision-list';
import { useT } from '~/i18n/use-translation';
import { labelFor, useDateFormat } from '~/people/format';
import { requirePersonAccess, requireShownPerson } from '~/people/person-access.server';
import { CardTable, EidTable, MobileDeviceTable, OrderTable, type RevokeLink } from '~/people/person-tables';
import { HiddenIdentityName, ProtectedIdentityBadge } from '~/people/protected-identity';
import personsStyles from '~/styles/persons.css';
import { AssistedUnlockHistory } from '~/support/assisted-unlock-history';
import { listAssistedUnlocksOfPerson } from '../../db/assisted-unlocks';
import type { AuditEventView } from '../../db/audit';
import { findPersonProfile } from '../../db/persons';
import { listSignedDecisionsAboutAny } from '../../db/signed-decisions';

export const meta: MetaFunction = () => [{ title: 'Person – SITHS eID-portalen' }];
export const links = () => [{ rel: 'stylesheet', href: personsStyles }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'persons');
  const personId = params.personId ?? '';
  await requireShownPerson(request, context, principal, personId, 'person_view');
  await requirePersonAccess(request, context, principal, personId, 'person_view');
  const profile = (await findPersonProfile(context.db, personId, identityViewerOf(principal)))!;
  const now = Date.now();
  const isValid = (eid: (typeof profile.eids)[number]) => eid.state === 'active' && eid.validTo > now;
  return {
    ...profile,
    validEids: profile.eids.filter(isValid),
    invalidEids: profile.eids.filter((eid) => !isValid(eid)),
    signedDecisions: await listSignedDecisionsAboutAny(context.db, [
      { objectType: 'card', objectIds: profile.cards.map((card) => card.id) },
      { objectType: 'eid', objectIds: profile.eids.map((eid) => eid.id) },
    ]),
    canRevoke: hasAnyRole(principal, ['id_admin']),
    mayAssistUnlock: hasAnyRole(principal, dashboardSections.assistedUnlock.roles),
    assistedUnlocks: (await listAssistedUnlocksOfPerson(context.db, personId)).map((unlock) => ({
      ...unlock,
      pairedAt: unlock.pairedAt.getTime(),
    })),
    revoked: new URL(request.url).searchParams.get('sparrat'),
  };
}

function AuditTrail({ events }: { events: AuditEventView[] }) {
  const t = useT();
  const format = useDateFormat();
  if (events.length === 0) return <p className="muted">{t('persons.profile.noAudit')}</p>;
  return (
    <table className="table" data-testid="person-audit">
      <thead>
        <tr>
          <th>{t('persons.audit.at')}</th>
          <th>{t('persons.audit.actor')}</th>
          <th>{t('persons.audit.action')}</th>
          <th>{t('persons.audit.outcome')}</th>
        </tr>
      </thead>
      <tbody>
        {events.map((event) => (
          <tr key={event.id}>
            <td className="date">{format.dateTime(event.at)}</td>
            <td>{event.actorHidden ? <HiddenIdentityName /> : event.actorLabel}</td>
            <td>{labelFor(t, 'audit.action', event.action)}</td>
            <td>{labelFor(t, 'audit.outcome', event.outcome)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export default function PersonPage() {
  const data = useLoaderData<typeof loader>();
  const t = useT();
  const format = useDateFormat();
  const { person } = data;
  const revokeLink: RevokeLink = data.canRevoke
    ? (target) =>
        `/admin/personer/${person.id}/sparra?${target.kind === 'card' ? 'kort' : 'eid'}=${target.id}`
    : null;
  return (
    <>
      <p>
        <Link to="/admin/personer">{t('persons.backToSearch')}</Link>
      </p>
      <h1>
        {person.givenName} {person.surname} <ProtectedIdentityBadge shown={person.protectedIdentity} />
      </h1>
      {person.leftAt !== null && (
        <p className="card notice" data-testid="person-left">
          {t('directory.leftNotice')} {format.date(new Date(person.leftAt).getTime())}
        </p>
      )}
      {data.revoked && (
        <p className="card notice ok-text" role="status">
          {t(data.revoked === 'kort' ? 'persons.revoked.card' : 'persons.revoked.eid')}
        </p>
      )}
      <dl className="facts card">
        <div>
          <dt>{t('persons.profile.hsaId')}</dt>
          <dd>{person.hsaId}</dd>
        </div>
        <div>
          <dt>{t('persons.profile.personalIdentityNumber')}</dt>
          <dd>{person.personalIdentityNumber ?? '–'}</dd>
        </div>
        <div>
          <dt>{t('persons.profile.email')}</dt>
          <dd>{person.email ?? t('persons.profile.noEmail')}</dd>
        </div>
        <div>
          <dt>{t('persons.profile.units')}</dt>
          <dd>{data.units.map((unit) => unit.name).join(', ')}</dd>
        </div>
      </dl>
      <section className="profile-section">
        <h2>{t('persons.profile.cards')}</h2>
        <CardTable cards={data.cards} revokeLink={revokeLink} />
      </section>
      <section className="profile-section">
        <h2>{t('persons.profile.validEids')}</h2>
        {data.validEids.length === 0 ? (
          <p className="muted">{t('persons.profile.noValidEids')}</p>
        ) : (
          <EidTable eids={data.validEids} revokeLink={revokeLink} testId="valid-eids" />
        )}
        <details className="invalid-eids">
          <summary>{t('persons.profile.showInvalid')}</summary>
          <h3>{t('persons.profile.invalidEids')}</h3>
          {data.invalidEids.length === 0 ? (
            <p className="muted">{t('persons.profile.noInvalidEids')}</p>
          ) : (
            <EidTable eids={data.invalidEids} revokeLink={null} testId="invalid-eids" />
          )}
        </details>
      </section>
      <section className="profile-section">
        <h2>{t('persons.profile.mobileDevices')}</h2>
        <MobileDeviceTable devices={data.mobileDevices} />
      </section>
      <section className="profile-section">
        <h2>{t('persons.profile.orders')}</h2>
        <OrderTable orders={data.orders} />
      </section>
      <AssistedUnlockHistory
        personId={data.person.id}
        unlocks={data.assistedUnlocks}
        mayAssist={data.mayAssistUnlock}
      />
      {data.signedDecisions.length > 0 ? (
        <section className="profile-section">
          <h2>{t('persons.profile.signedDecisions')}</h2>
          <SignedDecisionList decisions={data.signedDecisions} />
        </section>
      ) : null}
      <section className="profile-section">
        <h2>{t('persons.profile.audit')}</h2>
        <AuditTrail events={data.audit} />
      </section>
    </>
  );
}
