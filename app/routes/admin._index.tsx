import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { hasAnyRole, identityViewerOf, type Principal, visibleUnits } from '~/auth/permissions';
import { requireSection } from '~/auth/section.server';
import { barChartLinks } from '~/components/charts/bar-chart';
import type { MessageKey } from '~/i18n/catalogue';
import { useT } from '~/i18n/use-translation';
import { labelFor, useDateFormat } from '~/people/format';
import { HiddenIdentityName } from '~/people/protected-identity';
import { WeeklyCharts } from '~/reserve-cards/weekly-charts';
import reserveCardStyles from '~/styles/reserve-cards.css';
import { todoCountsFor } from '~/todo/todo-scope.server';
import { listAuditEvents } from '../../db/audit';
import { countOverview } from '../../db/overview';
import type { TodoCounts } from '../../db/todo-list';
import { listRoleAssignments } from '../../db/users';
import { ordersPlacedPerWeek, reserveStockPerWeek, type WeekPoint } from '../../db/weekly-series';

export const meta: MetaFunction = () => [{ title: 'Översikt – SITHS eID-portalen' }];
export const links = () => [...barChartLinks, { rel: 'stylesheet', href: reserveCardStyles }];

const weekly = (series: WeekPoint[]) => series.map(({ isoWeek, value }) => ({ isoWeek, value }));

const breakGlassWindowMs = 30 * 24 * 3_600_000;

/**
 * Every break-glass password login of the last 30 days, refused ones too, for the system administrators; an
 * account that is a protected identity is named only to a reader with the right.
 */
async function recentBreakGlassLogins(context: LoaderFunctionArgs['context'], principal: Principal) {
  const { events } = await listAuditEvents(
    context.db,
    {
      action: 'login_break_glass',
      from: new Date(Date.now() - breakGlassWindowMs),
      scope: 'all',
      viewer: identityViewerOf(principal),
    },
    { page: 1, pageSize: 20 },
  );
  return events.map((event) => ({
    id: event.id,
    at: event.at,
    account: event.actorLabel,
    accountHidden: event.actorHidden,
    outcome: event.outcome,
    address: typeof event.detail?.clientAddress === 'string' ? event.detail.clientAddress : null,
  }));
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await requireSection(request, context, 'overview');
  const scope = visibleUnits(principal);
  return {
    breakGlassLogins: hasAnyRole(principal, ['system_admin'])
      ? await recentBreakGlassLogins(context, principal)
      : null,
    counts: await countOverview(context.db, scope),
    todo: await todoCountsFor(context, principal, new Date()),
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
  const { counts, todo, allUnits, roles, charts, breakGlassLogins } = useLoaderData<typeof loader>();
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
      {todo ? <TodoTiles counts={todo} /> : null}
      {breakGlassLogins ? <BreakGlassLogins logins={breakGlassLogins} /> : null}
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

const todoTiles: Array<{ key: keyof TodoCounts; label: MessageKey }> = [
  { key: 'expiringEids', label: 'reminders.overview.expiringEids' },
  { key: 'expiringCards', label: 'reminders.overview.expiringCards' },
  { key: 'lowStockUnits', label: 'reminders.overview.lowStockUnits' },
  { key: 'expiringOrders', label: 'reminders.overview.expiringOrders' },
  { key: 'notActivatedReserveCards', label: 'reminders.overview.notActivatedReserveCards' },
];

/** What needs action in one's units, counted; the list itself is on Att göra. */
function TodoTiles({ counts }: { counts: TodoCounts }) {
  const t = useT();
  return (
    <section aria-labelledby="todo-heading">
      <h2 id="todo-heading">{t('reminders.overview.heading')}</h2>
      <ul className="tiles">
        {todoTiles.map((tile) => (
          <li key={tile.key} className="tile" data-testid={`todo-count-${tile.key}`}>
            <span className="tile-value">{counts[tile.key]}</span>
            <span className="tile-label">{t(tile.label)}</span>
          </li>
        ))}
      </ul>
      <p>
        <Link to="/admin/att-gora">{t('reminders.overview.open')}</Link>
      </p>
    </section>
  );
}

function BreakGlassLogins({
  logins,
}: {
  logins: Array<{
    id: number;
    at: number;
    account: string;
    accountHidden: boolean;
    outcome: string;
    address: string | null;
  }>;
}) {
  const t = useT();
  const format = useDateFormat();
  return (
    <section className="break-glass" aria-labelledby="break-glass-heading">
      <h2 id="break-glass-heading">{t('overview.breakGlass.heading')}</h2>
      {logins.length === 0 ? (
        <p className="muted">{t('overview.breakGlass.none')}</p>
      ) : (
        <table className="data-table">
          <thead>
            <tr>
              <th>{t('overview.breakGlass.at')}</th>
              <th>{t('overview.breakGlass.account')}</th>
              <th>{t('overview.breakGlass.address')}</th>
              <th>{t('overview.breakGlass.outcome')}</th>
            </tr>
          </thead>
          <tbody>
            {logins.map((login) => (
              <tr key={login.id}>
                <td className="date">{format.dateTime(login.at)}</td>
                <td>{login.accountHidden ? <HiddenIdentityName /> : login.account}</td>
                <td>{login.address ?? '–'}</td>
                <td>{labelFor(t, 'audit.outcome', login.outcome)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
