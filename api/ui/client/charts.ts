/**
 * The release page's charts, drawn with uPlot: per judged metric the canary and the baseline over
 * time, the step boundaries (where the weight changed) and a marker at every look coloured by its
 * decision; and the weight over time. Each chart's data is also on its figure as `data-chart`
 * (JSON), which the browser tests compare with the release's decisions.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ReleaseStatusResponse } from '../../schemas.js';
import type { ReleaseSeries } from '../../ui-schemas.js';
import {
  chartedMetrics,
  metricChart,
  stepBoundaries,
  weightSeries,
  type MetricChart,
  type StepBoundary,
} from './chart-data.js';
import { byId, el, METRIC_LABELS, metricText } from './format.js';

const COLORS = { canary: '#d9480f', baseline: '#1c7ed6', weight: '#5f3dc4' };
const VERDICT_COLORS: Record<string, string> = {
  pass: '#2b8a3e',
  fail: '#c92a2a',
  inconclusive: '#868e96',
};

/** Vertical lines for the step boundaries and the looks, drawn over the plot. */
function markersPlugin(steps: StepBoundary[], chart: MetricChart | null): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u) => {
          const { ctx, bbox } = u;
          const line = (t: number, color: string, dash: number[], label: string) => {
            const x = Math.round(u.valToPos(t, 'x', true));
            if (x < bbox.left || x > bbox.left + bbox.width) return;
            ctx.save();
            ctx.strokeStyle = color;
            ctx.fillStyle = color;
            ctx.setLineDash(dash);
            ctx.lineWidth = devicePixelRatio;
            ctx.beginPath();
            ctx.moveTo(x, bbox.top);
            ctx.lineTo(x, bbox.top + bbox.height);
            ctx.stroke();
            ctx.font = `${11 * devicePixelRatio}px sans-serif`;
            ctx.fillText(label, x + 3 * devicePixelRatio, bbox.top + 12 * devicePixelRatio);
            ctx.restore();
          };
          for (const s of steps) line(s.t, '#adb5bd', [], `weight ${s.weight}%`);
          for (const look of chart?.looks ?? [])
            line(
              look.t,
              VERDICT_COLORS[look.verdict] ?? '#000',
              [4 * devicePixelRatio, 3 * devicePixelRatio],
              `${look.verdict} (${look.step}.${look.look})`,
            );
        },
      ],
    },
  };
}

const scale = (metric: string) => (v: number | null) =>
  v === null ? null : metric === 'errorRate' ? v * 100 : v;

function width(container: HTMLElement): number {
  return Math.max(280, Math.min(container.clientWidth || 600, 1100));
}

const plots: uPlot[] = [];

function destroyAll(): void {
  for (const p of plots.splice(0)) p.destroy();
}

function metricFigure(chart: MetricChart, steps: StepBoundary[]): HTMLElement {
  const label = METRIC_LABELS[chart.metric] ?? chart.metric;
  const unit = chart.metric === 'errorRate' ? '%' : 'ms';
  const last = chart.looks[chart.looks.length - 1];
  const caption = last
    ? `${label}: canary ${metricText(chart.metric, last.canary)} vs baseline ${metricText(chart.metric, last.baseline)} at step ${last.step} look ${last.look} (${last.verdict})`
    : `${label}: no look yet`;
  const plotBox = el('div', { class: 'plot', role: 'img', 'aria-label': caption });
  const figure = el(
    'figure',
    {
      class: 'chart',
      'data-metric': chart.metric,
      'data-chart': JSON.stringify({
        metric: chart.metric,
        source: chart.source,
        buckets: chart.source === 'buckets' ? chart.x.length - chart.looks.length : 0,
        x: chart.x,
        canary: chart.canary,
        baseline: chart.baseline,
        looks: chart.looks,
      }),
    },
    plotBox,
    el('figcaption', {}, caption),
  );
  const options: uPlot.Options = {
    title: `${label} (${unit})`,
    width: width(byId('charts')),
    height: 220,
    plugins: [markersPlugin(steps, chart)],
    scales: { x: { time: true } },
    axes: [{}, { size: 60 }],
    series: [
      {},
      { label: 'canary', stroke: COLORS.canary, width: 2, spanGaps: true, points: { show: false } },
      {
        label: 'baseline',
        stroke: COLORS.baseline,
        width: 2,
        spanGaps: true,
        points: { show: false },
      },
      {
        label: 'looks (canary, as judged)',
        stroke: '#212529',
        fill: '#212529',
        paths: () => null,
        points: { show: true, size: 8 },
      },
    ],
  };
  const s = scale(chart.metric);
  plots.push(
    new uPlot(
      options,
      [chart.x, chart.canary.map(s), chart.baseline.map(s), chart.lookValues.map(s)],
      plotBox,
    ),
  );
  return figure;
}

function weightFigure(status: ReleaseStatusResponse, steps: StepBoundary[]): HTMLElement {
  const { x, weight } = weightSeries(status, Date.now());
  const plotBox = el('div', {
    class: 'plot',
    role: 'img',
    'aria-label': `Canary weight over time: ${weight.join('%, ')}%`,
  });
  const figure = el(
    'figure',
    { class: 'chart', 'data-chart': JSON.stringify({ x, weight }) },
    plotBox,
  );
  plots.push(
    new uPlot(
      {
        width: width(byId('weight-chart')),
        height: 160,
        plugins: [markersPlugin(steps, null)],
        scales: { x: { time: true }, y: { range: [0, 100] } },
        series: [
          {},
          {
            label: 'canary weight %',
            stroke: COLORS.weight,
            width: 2,
            paths: uPlot.paths.stepped?.({ align: 1 }),
          },
        ],
      },
      [x, weight],
      plotBox,
    ),
  );
  return figure;
}

/** Draws (again) every chart of the release. */
export function renderCharts(status: ReleaseStatusResponse, series: ReleaseSeries | null): void {
  destroyAll();
  const steps = stepBoundaries(status);
  const metrics = chartedMetrics(status, series);
  const note = byId('charts-note');
  note.textContent = series?.seriesProblem
    ? series.seriesProblem
    : series?.series
      ? `Per-bucket values (${series.bucketMs / 1000} s buckets)${series.series.truncated ? ', the latest buckets only' : ''}; the points are the cumulative means the judge compared at each look.`
      : 'The per-look numbers the judge compared.';
  byId('charts').replaceChildren(
    ...(metrics.length > 0
      ? metrics.map((m) => metricFigure(metricChart(status, series, m), steps))
      : [el('p', { class: 'meta' }, 'No analysis yet.')]),
  );
  byId('weight-chart').replaceChildren(weightFigure(status, steps));
}

let resizeTimer: number | undefined;
window.addEventListener('resize', () => {
  window.clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => {
    for (const p of plots) {
      const box = p.root.closest('.charts, #weight-chart') as HTMLElement | null;
      if (box) p.setSize({ width: width(box), height: p.height });
    }
  }, 150);
});
