import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { identityViewerOf } from '~/auth/permissions';
import { requireSection } from '~/auth/section.server';
import { useT } from '~/i18n/use-translation';
import { useDateFormat } from '~/people/format';
import { HiddenIdentityName, ProtectedIdentityBadge } from '~/people/protected-identity';
import { countLeaversToRevoke, listLeaversToRevoke } from '../../db/leavers-to-revoke';

export const meta: MetaFunction = () => [{ title: 'Att spärra – SITHS eID-portalen' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'toRevoke');
  const [leavers, total] = await Promise.all([
    listLeaversToRevoke(context.db, identityViewerOf(principal)),
    countLeaversToRevoke(context.db),
  ]);
  return {
    total,
    leavers: leavers.map((leaver) => ({ ...leaver, leftAt: leaver.leftAt.getTime() })),
  };
}

export default function ToRevokePage() {
  const { leavers, total } = useLoaderData<typeof loader>();
  const t = useT();
  const { date } = useDateFormat();
  return (
    <>
      <h1>
        {t('directory.toRevoke.heading')} ({total})
      </h1>
      <p>{t('directory.toRevoke.intro')}</p>
      {leavers.length === 0 ? (
        <p className="card notice">{t('directory.toRevoke.none')}</p>
      ) : (
        <table className="table" data-testid="leavers-to-revoke">
          <thead>
            <tr>
              <th scope="col">{t('directory.toRevoke.person')}</th>
              <th scope="col">{t('directory.report.hsaId')}</th>
              <th scope="col">{t('directory.toRevoke.leftAt')}</th>
              <th scope="col">{t('directory.toRevoke.eids')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('directory.toRevoke.open')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {leavers.map((leaver) => (
              <tr key={leaver.personId}>
                {leaver.identity.hidden ? (
                  <>
                    <td>
                      <HiddenIdentityName />
                    </td>
                    <td />
                  </>
                ) : (
                  <>
                    <td>
                      {leaver.identity.givenName} {leaver.identity.surname}{' '}
                      <ProtectedIdentityBadge shown={leaver.identity.protectedIdentity} />
                    </td>
                    <td>{leaver.identity.hsaId}</td>
                  </>
                )}
                <td className="date">{date(leaver.leftAt)}</td>
                <td>
                  {leaver.activeCards > 0 && `${leaver.activeCards} ${t('directory.toRevoke.cards')}`}
                  {leaver.activeCards > 0 && leaver.activeDevices > 0 && ', '}
                  {leaver.activeDevices > 0 && `${leaver.activeDevices} ${t('directory.toRevoke.devices')}`}
                </td>
                <td>
                  {!leaver.identity.hidden && (
                    <Link to={`/admin/personer/${leaver.personId}`}>{t('directory.toRevoke.open')}</Link>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
