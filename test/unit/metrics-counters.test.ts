/**
 * The counting rules of core/metrics/counters.ts and which templates are counters
 * (core/metrics/counter-form.ts), without Prometheus.
 */
import { describe, expect, it } from 'vitest';
import { counterForm } from '../../core/metrics/counter-form.js';
import {
  COUNTER_ANCHOR_LOOKBACK_MS,
  counterBuckets,
  counterWindowSpan,
  type CounterSample,
} from '../../core/metrics/counters.js';

const B = 60_000;
const T0 = 1_700_000_040_000; // a multiple of 60 s
const ends = [T0 + B, T0 + 2 * B, T0 + 3 * B];
const window = { ends, bucketMs: B };
const samples = (...points: [number, number][]): CounterSample[] =>
  points.map(([timestampMs, value]) => ({ timestampMs, value }));
const byEnd = (totals: Map<number, number>) => ends.map((end) => totals.get(end) ?? null);

describe('counterBuckets', () => {
  it('puts each increment in the bucket of the later sample, so consecutive buckets tile time', () => {
    // scraped every 15 s at a 7 s phase, 10 events between consecutive scrapes; 30 before the window
    const points: [number, number][] = [];
    for (let t = T0 + 7000, v = 40; t <= T0 + 3 * B + 30_000; t += 15_000, v += 10)
      points.push([t, v]);
    const totals = counterBuckets([{ anchor: 30, samples: samples(...points) }], window);
    expect(byEnd(totals)).toEqual([40, 40, 40]);
    // every increment after the anchor is in exactly one bucket
    const last = points.filter(([t]) => t <= T0 + 3 * B).at(-1)?.[1] ?? 0;
    expect([...totals.values()].reduce((a, b) => a + b, 0)).toBe(last - 30);
  });

  it('counts a sample exactly at a bucket end in the bucket that ends there, and ignores samples outside the window', () => {
    const totals = counterBuckets(
      [
        {
          anchor: 5,
          samples: samples([T0, 5], [T0 + B, 8], [T0 + B + 1, 9], [T0 + 3 * B + 1, 99]),
        },
      ],
      window,
    );
    expect(byEnd(totals)).toEqual([3, 1, null]);
  });

  it('counts a counter reset as the new value, as Prometheus does, also against the anchor', () => {
    const totals = counterBuckets(
      [{ anchor: 100, samples: samples([T0 + 20_000, 130], [T0 + 40_000, 7], [T0 + 80_000, 12]) }],
      window,
    );
    expect(byEnd(totals)).toEqual([37, 5, null]);
    const restarted = counterBuckets(
      [{ anchor: 1000, samples: samples([T0 + 20_000, 4]) }],
      window,
    );
    expect(byEnd(restarted)).toEqual([4, null, null]);
  });

  it('counts a series without an anchor from 0 (a new error series, a new pod)', () => {
    const totals = counterBuckets(
      [{ samples: samples([T0 + 90_000, 2], [T0 + 150_000, 3]) }],
      window,
    );
    expect(byEnd(totals)).toEqual([null, 2, 1]);
  });

  it('sums the series of a query and leaves a bucket without any sample absent (missing, not 0)', () => {
    const totals = counterBuckets(
      [
        { anchor: 10, samples: samples([T0 + 30_000, 10], [T0 + 150_000, 25]) },
        { anchor: 1, samples: samples([T0 + 30_000, 4]) },
      ],
      window,
    );
    expect(byEnd(totals)).toEqual([3, null, 15]);
  });

  it('skips samples that are not numbers, differencing the next against the last countable one', () => {
    const totals = counterBuckets(
      [{ anchor: 10, samples: samples([T0 + 30_000, Number.NaN], [T0 + 70_000, 14]) }],
      window,
    );
    expect(byEnd(totals)).toEqual([null, 4, null]);
  });

  it('spans from the first bucket’s start to the last end, and anchors up to an hour back', () => {
    expect(counterWindowSpan(window)).toEqual({ startMs: T0, endMs: T0 + 3 * B });
    expect(counterWindowSpan({ ends: [], bucketMs: B })).toBeUndefined();
    expect(COUNTER_ANCHOR_LOOKBACK_MS).toBe(3_600_000);
  });
});

describe('counterForm', () => {
  it('reads a plain selector, optionally scaled, as a counter', () => {
    expect(counterForm('requests', 'http_requests_total{version="{{version}}"}')).toEqual({
      selector: 'http_requests_total{version="{{version}}"}',
      scale: 1,
    });
    expect(counterForm('latencySum', 'x_seconds_sum{a="b", v=~"{{version}}"} * 1000')).toEqual({
      selector: 'x_seconds_sum{a="b", v=~"{{version}}"}',
      scale: 1000,
    });
  });

  it('reads sum(increase(selector[{{bucket}}])) as the same counter', () => {
    expect(
      counterForm('errors', 'sum(increase(req_total{v="{{version}}",code=~"5.."}[{{bucket}}]))'),
    ).toEqual({ selector: 'req_total{v="{{version}}",code=~"5.."}', scale: 1 });
  });

  it('leaves other expressions, and the quantile, to be evaluated as written', () => {
    for (const text of [
      'sum(rate(req_total{v="{{version}}"}[{{bucket}}])) * 60',
      'sum by (pod) (increase(req_total{v="{{version}}"}[{{bucket}}]))',
      'sum(increase(req_total{v="{{version}}"}[5m]))',
      'req_total{v="{{version}}"} / 2',
      'sum',
    ])
      expect(counterForm('requests', text), text).toBeUndefined();
    expect(counterForm('latencyQuantile', 'lat_bucket{v="{{version}}"}')).toBeUndefined();
  });
});
