/** How the dashboard writes numbers, times and durations (all text: never HTML). */

export function percent(fraction: number | null | undefined, digits = 2): string {
  return fraction === null || fraction === undefined ? '—' : `${(fraction * 100).toFixed(digits)}%`;
}

export function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${value.toFixed(1)} ms`;
}

/** A metric's value in its unit: a fraction as a percentage, latency in ms. */
export function metricText(metric: string, value: number | null | undefined): string {
  return metric === 'errorRate' ? percent(value) : ms(value);
}

export const METRIC_LABELS: Record<string, string> = {
  errorRate: 'Error rate',
  latencyMean: 'Mean latency',
  latencyQuantile: 'Latency quantile',
};

export function duration(milliseconds: number | null | undefined): string {
  if (milliseconds === null || milliseconds === undefined) return '—';
  const s = Math.round(milliseconds / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${s % 60 ? ` ${s % 60} s` : ''}`;
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function pValue(p: number | null | undefined): string {
  if (p === null || p === undefined) return '—';
  return p < 0.0001 ? p.toExponential(1) : p.toFixed(4);
}

/** An element with text content only. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
}

/** A phase badge: its text is the phase; its class colours it. */
export function phaseBadge(phase: string | null): HTMLElement {
  const tone =
    phase === 'Promoted'
      ? 'good'
      : phase === 'RolledBack' || phase === 'Failed' || phase === 'Rejected'
        ? 'bad'
        : phase === 'AwaitingApproval' || phase === 'Paused' || phase === 'RollbackRetrying'
          ? 'wait'
          : 'run';
  return el('span', { class: `badge ${tone}` }, phase ?? 'unknown');
}
