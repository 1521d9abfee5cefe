import { BarChart } from '~/components/charts/bar-chart';
import { useT } from '~/i18n/use-translation';

export interface WeeklyValue {
  isoWeek: number;
  value: number;
}

/** The overview's charts: reserve cards in stock and orders placed, per week for the last 12 weeks. */
export function WeeklyCharts({ stock, orders }: { stock: WeeklyValue[]; orders: WeeklyValue[] }) {
  const t = useT();
  const points = (series: WeeklyValue[]) =>
    series.map((week) => ({
      label: `${t('reserveCards.chart.weekShort')} ${week.isoWeek}`,
      value: week.value,
    }));
  return (
    <section aria-labelledby="weekly-charts-heading">
      <h2 id="weekly-charts-heading">{t('reserveCards.chart.heading')}</h2>
      <div className="weekly-charts">
        <BarChart
          id="chart-reserve-stock"
          title={t('reserveCards.chart.stockTitle')}
          labelHeading={t('reserveCards.chart.week')}
          valueHeading={t('reserveCards.chart.cards')}
          points={points(stock)}
        />
        <BarChart
          id="chart-orders"
          title={t('reserveCards.chart.ordersTitle')}
          labelHeading={t('reserveCards.chart.week')}
          valueHeading={t('reserveCards.chart.orders')}
          points={points(orders)}
        />
      </div>
    </section>
  );
}
