import chartStyles from './bar-chart.css';

export const barChartLinks = [{ rel: 'stylesheet', href: chartStyles }];

export interface BarChartPoint {
  label: string;
  value: number;
}

const width = 480;
const height = 200;
const margin = { top: 20, right: 8, bottom: 28, left: 8 };

/**
 * A plain SVG bar chart. The picture has a title for screen readers, and the same numbers are in a
 * visually hidden table, so nobody has to read values off bar heights.
 */
export function BarChart({
  id,
  title,
  labelHeading,
  valueHeading,
  points,
}: {
  id: string;
  title: string;
  labelHeading: string;
  valueHeading: string;
  points: BarChartPoint[];
}) {
  const max = Math.max(1, ...points.map((point) => point.value));
  const plotHeight = height - margin.top - margin.bottom;
  const slot = (width - margin.left - margin.right) / Math.max(1, points.length);
  const barWidth = slot * 0.7;
  return (
    <figure className="bar-chart" data-testid={id}>
      <figcaption id={`${id}-title`}>{title}</figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby={`${id}-title`}>
        <title>{title}</title>
        <line
          className="bar-chart-axis"
          x1={margin.left}
          x2={width - margin.right}
          y1={height - margin.bottom}
          y2={height - margin.bottom}
        />
        {points.map((point, index) => {
          const barHeight = (point.value / max) * plotHeight;
          const x = margin.left + index * slot + (slot - barWidth) / 2;
          const y = height - margin.bottom - barHeight;
          return (
            <g key={point.label}>
              <rect className="bar-chart-bar" x={x} y={y} width={barWidth} height={barHeight} />
              <text className="bar-chart-value" x={x + barWidth / 2} y={y - 4} textAnchor="middle">
                {point.value}
              </text>
              <text className="bar-chart-label" x={x + barWidth / 2} y={height - 10} textAnchor="middle">
                {point.label}
              </text>
            </g>
          );
        })}
      </svg>
      <table className="visually-hidden">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">{labelHeading}</th>
            <th scope="col">{valueHeading}</th>
          </tr>
        </thead>
        <tbody>
          {points.map((point) => (
            <tr key={point.label}>
              <th scope="row">{point.label}</th>
              <td>{point.value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
