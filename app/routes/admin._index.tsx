import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { visibleUnits } from '~/auth/permissions';
import { requireSection } from '~/auth/section.server';
import { barChartLinks } from '~/components/charts/bar-chart';
import type { MessageKey } from '~/i18n/catalogue';
import { useT } from '~/i18n/use-translation';
import { WeeklyCharts } from '~/reserve-cards/weekly-charts';
import reserveCardStyles from '~/styles/reserve-cards.css';
import { countOverview } from '../../db/overview';
import { listRoleAssignments } from '../../db/users';
import { ordersPlacedPerWeek, reserveStockPerWeek, type WeekPoint } from '../../db/weekly-series';

export const meta: MetaFunction = () => [{ title: 'Översikt – SITHS eID-portalen' }];
export const links = () => [...barChartLinks, { rel: 'stylesheet', href: reserveCardStyles }];

const weekly = (series: WeekPoint[]) => series.map(({ isoWeek, value }) => ({ isoWeek, value }));

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'overview');
  const scope = visibleUnits(principal);
  return {
    counts: await countOverview(context.db, scope),
    allUnits: scope === 'all',
    roles: await listRoleAssignments(context.db, principal.userId),
    charts: {
      stock: weekly(await reserveStockPerWeek(context.db, scope)),
      orders: weekly(await ordersPlacedPerWeek(context.db, scope)),
    },
  };
}

const tiles: Array<{ key: keyof Awaited<ReturnType<typeof countOverview>>; label: MessageKey }> = [
  { key: 'persons', label: 'overview.persons' },
  { key: 'activeCards', label: 'overview.activeCards' },
  { key: 'lockedCards', label: 'overview.lockedCards' },
  { key: 'reserveCardsInStock', label: 'overview.reserveCardsInStock' },
  { key: 'openOrders', label: 'overview.openOrders' },
  { key: 'ordersAwaitingSecondApproval', label: 'overview.awaitingSecondApproval' },
];

export default function OverviewPage() {
  const { counts, allUnits, roles, charts } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <>
      <h1>{t('overview.heading')}</h1>
      <p className="muted">{allUnits ? t('overview.scopeAll') : t('overview.scopeUnits')}</p>
      <ul className="tiles">
        {tiles.map((tile) => (
          <li key={tile.key} className="tile" data-testid={`count-${tile.key}`}>
            <span className="tile-value">{counts[tile.key]}</span>
            <span className="tile-label">{t(tile.label)}</span>
          </li>
        ))}
      </ul>
      <WeeklyCharts stock={charts.stock} orders={charts.orders} />
      <h2>{t('overview.yourRoles')}</h2>
      <ul className="roles">
        {roles.map((assignment) => (
          <li key={`${assignment.role}-${assignment.unitId ?? 'all'}`}>
            {t(`role.${assignment.role}`)} – {assignment.unitName ?? t('role.allUnits')}
          </li>
        ))}
      </ul>
    </>
  );
}
