/**
 * The release page: summary and buttons, the step plan with the current step and the time left,
 * the charts, every decision with its numbers (expandable to the full record), the actions with
 * their actors and the timeline. Live through the event stream: each event re-reads the status;
 * decisions and the passing of buckets re-read the series.
 */
import type { Decision as JudgeRecord } from '../../../core/judge/decision.js';
import type { ReleaseStatusResponse } from '../../schemas.js';
import type { Me, ReleaseSeries } from '../../ui-schemas.js';
import { renderActions } from './actions.js';
import { renderCharts } from './charts.js';
import {
  byId,
  duration,
  el,
  metricText,
  phaseBadge,
  pValue,
  when,
  METRIC_LABELS,
} from './format.js';
import { ApiProblem, apiJson } from './http.js';
import { follow } from './stream.js';

type Decision = ReleaseStatusResponse['decisions'][number];

function renderSummary(status: ReleaseStatusResponse): void {
  const facts = byId('release-facts');
  facts.replaceChildren(
    phaseBadge(status.phase),
    ` ${status.namespace}/${status.service}: ${status.stableVersion ?? '(reading)'} → ${status.canaryVersion}, canary weight ${status.weights.canary}%, started ${when(status.startedAt)}`,
    status.finishedAt ? `, ended ${when(status.finishedAt)}` : '',
  );
  byId('release-outcome').textContent = status.outcome ?? '';
  const gate = status.pendingGate;
  byId('release-gate').textContent = gate
    ? `Waiting for approval (${gate.kind}${gate.step ? ` before step ${gate.step}` : ''}): ${gate.reason}; times out ${when(gate.deadline)}`
    : '';
  const link = byId<HTMLAnchorElement>('temporal-link');
  link.href = status.links.temporalUi;
  link.hidden = false;
}

function renderPlan(status: ReleaseStatusResponse, series: ReleaseSeries | null): void {
  const plan = byId('plan');
  const steps = series?.plan ?? [];
  const items = steps.length
    ? steps.map((s) => {
        const current = s.index === status.step && status.running;
        const done = s.index < status.step || (!status.running && s.index <= status.step);
        const item = el(
          'li',
          { class: current ? 'current' : done ? 'done' : 'todo', 'data-step': String(s.index) },
          `${s.weight}% for ${duration(s.observeMs)}${s.approval ? ', approval first' : ''}`,
        );
        if (current) {
          item.setAttribute('aria-current', 'step');
          item.append(el('span', { class: 'left', id: 'time-left' }));
        }
        return item;
      })
    : [el('li', {}, `step ${status.step} of ${status.totalSteps}`)];
  plan.replaceChildren(...items);
}

function metricTable(d: Decision): HTMLElement | string {
  const metrics = (d.decision as JudgeRecord).metrics ?? [];
  if (metrics.length === 0) return '';
  const rows = metrics.map((m) =>
    el(
      'tr',
      {},
      el('th', { scope: 'row' }, METRIC_LABELS[m.metric] ?? m.metric),
      el('td', {}, metricText(m.metric, m.canary.mean)),
      el('td', {}, metricText(m.metric, m.baseline.mean)),
      el('td', {}, metricText(m.metric, m.effect)),
      el('td', {}, `${m.test}: p ${pValue(m.p)} vs ${pValue(m.alphaThreshold)}`),
      el('td', {}, m.sufficient ? (m.significant ? 'worse' : 'not worse') : 'not enough data'),
    ),
  );
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      { class: 'numbers' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...['Metric', 'Canary', 'Baseline', 'Difference', 'Test', 'Finding'].map((h) =>
            el('th', { scope: 'col' }, h),
          ),
        ),
      ),
      el('tbody', {}, ...rows),
    ),
  );
}

function renderDecisions(status: ReleaseStatusResponse): void {
  const list = byId('decisions');
  if (status.decisions.length === 0) {
    list.replaceChildren(el('li', { class: 'meta' }, 'No analysis yet.'));
    return;
  }
  list.replaceChildren(
    ...status.decisions.map((d, i) =>
      el(
        'li',
        { class: `decision ${d.decision.verdict}`, 'data-decision': String(i) },
        el(
          'p',
          {},
          el('span', { class: `verdict ${d.decision.verdict}` }, d.decision.verdict),
          ` step ${d.step}, look ${d.look}/${d.plannedLooks}, ${when(d.at)} → ${d.action}: `,
          d.decision.explanation,
        ),
        metricTable(d),
        el(
          'details',
          {},
          el('summary', {}, 'Full decision record'),
          el('pre', {}, JSON.stringify(d, null, 2)),
        ),
      ),
    ),
  );
}

function renderPeople(status: ReleaseStatusResponse): void {
  byId('action-rows').replaceChildren(
    ...(status.actions.length
      ? status.actions.map((a) =>
          el(
            'tr',
            {},
            el('td', {}, when(a.at)),
            el('td', {}, a.action),
            el('td', {}, a.actor),
            el('td', {}, a.context),
            el('td', {}, a.comment ?? ''),
          ),
        )
      : [el('tr', {}, el('td', { colspan: '5', class: 'empty' }, 'No actions.'))]),
  );
  byId('timeline').replaceChildren(
    ...status.timeline.map((e) =>
      el('li', { class: e.type }, el('time', { datetime: e.at }, when(e.at)), ` ${e.message}`),
    ),
  );
}

export function startRelease(releaseId: string, me: Me | null): void {
  const base = `/v1/releases/${encodeURIComponent(releaseId)}`;
  let status: ReleaseStatusResponse | null = null;
  let series: ReleaseSeries | null = null;
  let statusAt = 0;
  let seriesAt = 0;
  let pending: number | undefined;

  const render = () => {
    if (!status) return;
    renderSummary(status);
    renderPlan(status, series);
    renderCharts(status, series);
    renderDecisions(status);
    renderPeople(status);
    renderActions(status, me, (next) => {
      status = next;
      render();
      void refresh(true);
    });
    tick();
    // for bench/ui.ts: when the page first stood complete (charts drawn)
    if (performance.getEntriesByName('dashboard-rendered').length === 0)
      performance.mark('dashboard-rendered');
    document.body.dataset.loaded = 'true';
    document.body.dataset.phase = status.phase;
  };

  const tick = () => {
    const left = document.getElementById('time-left');
    if (!left || !status) return;
    const ms =
      status.timeLeftMs === null
        ? null
        : status.paused
          ? status.timeLeftMs
          : Math.max(0, status.timeLeftMs - (Date.now() - statusAt));
    left.textContent =
      ms === null ? '' : ` · ${duration(ms)} left${status.paused ? ' (paused)' : ''}`;
  };
  window.setInterval(tick, 1000);

  const refresh = async (withSeries: boolean) => {
    try {
      const [s, sr] = await Promise.all([
        apiJson<ReleaseStatusResponse>(base),
        withSeries ? apiJson<ReleaseSeries>(`${base}/series`) : Promise.resolve(series),
      ]);
      status = s;
      statusAt = Date.now();
      if (withSeries) {
        series = sr;
        seriesAt = Date.now();
      }
      byId('action-error').textContent = '';
      render();
    } catch (e) {
      byId('action-error').textContent =
        e instanceof ApiProblem ? e.detail : 'The API cannot be reached.';
    }
  };

  /** Events arrive in bursts: one re-read per burst; the series at most once a bucket. */
  const schedule = (name: string) => {
    window.clearTimeout(pending);
    pending = window.setTimeout(() => {
      const bucketMs = series?.bucketMs ?? 10_000;
      const withSeries =
        name === 'decision' ||
        name === 'verdict' ||
        Date.now() - seriesAt > Math.max(5000, bucketMs);
      void refresh(withSeries);
    }, 250);
  };

  void refresh(true).then(() => {
    if (!status?.running) {
      byId('live').textContent = 'Ended.';
      return;
    }
    const live = byId('live');
    void follow(
      releaseId,
      {
        event: schedule,
        state: (state) => {
          live.textContent =
            state === 'live' ? '● Live' : state === 'ended' ? 'Ended.' : 'Reconnecting…';
        },
      },
      new AbortController().signal,
    );
  });
}
