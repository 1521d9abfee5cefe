import { Link } from '@remix-run/react';
import { useT } from '~/i18n/use-translation';
import type { StockLevel } from '../../db/reserve-card-stock';

/** Stock per unit with its warnings; each unit links to its own page of cards. */
export function StockTable({ levels }: { levels: StockLevel[] }) {
  const t = useT();
  return (
    <table className="table stock-table">
      <thead>
        <tr>
          <th scope="col">{t('reserveCards.stock.unit')}</th>
          <th scope="col">{t('reserveCards.trustLevel.2')}</th>
          <th scope="col">{t('reserveCards.trustLevel.3')}</th>
          <th scope="col">{t('reserveCards.stock.total')}</th>
          <th scope="col">{t('reserveCards.stock.assigned')}</th>
          <th scope="col">{t('reserveCards.stock.threshold')}</th>
          <th scope="col">{t('reserveCards.stock.status')}</th>
        </tr>
      </thead>
      <tbody>
        {levels.map((level) => (
          <tr
            key={level.unitId}
            data-testid={`stock-${level.unitHsaId}`}
            className={level.low ? 'stock-low' : ''}
          >
            <th scope="row">
              <Link to={`/admin/reservkort/enhet/${level.unitId}`}>{level.unitName}</Link>
            </th>
            <td data-testid="stock-loa2">{level.inStock[2]}</td>
            <td data-testid="stock-loa3">{level.inStock[3]}</td>
            <td data-testid="stock-total">{level.total}</td>
            <td>{level.assigned}</td>
            <td>{level.threshold}</td>
            <td>
              <StockStatus level={level} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function StockStatus({ level }: { level: StockLevel }) {
  const t = useT();
  const warnings = [
    level.low && t('reserveCards.stock.low'),
    level.lowByTrustLevel[2] && t('reserveCards.stock.emptyLevel2'),
    level.lowByTrustLevel[3] && t('reserveCards.stock.emptyLevel3'),
  ].filter((warning): warning is string => Boolean(warning));
  if (warnings.length === 0) return <span className="badge ok">{t('reserveCards.stock.ok')}</span>;
  return (
    <span className="stock-warnings">
      {warnings.map((warning) => (
        <span key={warning} className="badge warn">
          {warning}
        </span>
      ))}
    </span>
  );
}
