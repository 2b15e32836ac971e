/**
 * Steady generated traffic through the sandbox router: a fixed request rate, a cap on requests in
 * flight (when the cap is reached, the tick's requests are skipped and counted, never queued), and
 * a maximum running time after which it stops by itself.
 */
import { Agent, request as httpRequest } from 'node:http';

/**
 * Default total rate. At 80 req/s a canary at 25% gets 20 req/s: 80 requests per 4 s bucket, and
 * in a 40 s window about 700 canary and 2,100 baseline requests, well above the judge's minimum
 * of 200 per arm, with about 28 errors at 1% for the error-rate test (docs/sandbox.md has the
 * simulated power at this rate).
 */
export const DEFAULT_RATE_PER_SECOND = 80;
/** Default maximum time the generator runs before stopping by itself: 2 hours. */
export const DEFAULT_MAX_DURATION_MS = 2 * 60 * 60 * 1000;

export interface TrafficOptions {
  /** Base URL to send to, e.g. the router's http://127.0.0.1:8089. */
  url: string;
  /** Requests per second in total. Default 80. */
  ratePerSecond?: number;
  /** Requests in flight at most. Default 64 (at 80 req/s and ~150 ms, about 12 are in flight). */
  concurrency?: number;
  /** Path requested. Default "/". */
  path?: string;
  /** Headers sent with every request (e.g. a cohort's header); they override `x-user-id`. */
  headers?: Record<string, string>;
  /**
   * Simulated users: each request carries `x-user-id: user-<n>` for a random n below this, so a
   * user-bucket cohort or schedule gets its share of users. Default 10,000.
   */
  users?: number;
  /** Stops by itself after this long. Default 2 hours; Infinity runs until stop(). */
  maxDurationMs?: number;
  /** Per-request time limit. Default 5 s. */
  timeoutMs?: number;
}

export interface TrafficStats {
  /** Requests started. */
  sent: number;
  /** Requests answered, by status code. */
  byStatus: Record<number, number>;
  /** Requests that got no answer (connection refused, time limit). */
  failed: number;
  /** Requests not sent because `concurrency` requests were already in flight. */
  skipped: number;
  inFlight: number;
  running: boolean;
}

export interface TrafficGenerator {
  stats(): TrafficStats;
  /** Stops sending and waits (at most the request time limit) for requests in flight. Idempotent. */
  stop(): Promise<void>;
}

const TICK_MS = 25;
/** The header carrying a simulated user's id (what examples/sandbox-user-buckets.json buckets by). */
export const USER_ID_HEADER = 'x-user-id';
const DEFAULT_USERS = 10_000;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

/** Starts sending at once; throws RangeError for a rate, cap or address out of bounds. */
export function startTraffic(options: TrafficOptions): TrafficGenerator {
  const rate = options.ratePerSecond ?? DEFAULT_RATE_PER_SECOND;
  const concurrency = options.concurrency ?? 64;
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!(rate > 0 && rate <= 1000))
    throw new RangeError(`ratePerSecond must be in (0, 1000], got ${rate}`);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 512)
    throw new RangeError(`concurrency must be an integer from 1 to 512, got ${concurrency}`);
  const base = new URL(options.url);
  if (base.protocol !== 'http:' || !LOOPBACK_HOSTS.has(base.hostname)) {
    throw new RangeError(
      `generated traffic goes only to http:// URLs on the loopback interface, not ${options.url}`,
    );
  }
  const path = options.path ?? '/';
  const users = options.users ?? DEFAULT_USERS;
  if (!Number.isInteger(users) || users < 1)
    throw new RangeError(`users must be a positive integer, got ${users}`);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const stats: TrafficStats = {
    sent: 0,
    byStatus: {},
    failed: 0,
    skipped: 0,
    inFlight: 0,
    running: true,
  };
  const idle: (() => void)[] = [];

  const send = (): void => {
    stats.sent += 1;
    stats.inFlight += 1;
    let settled = false;
    /** Each request settles once: answered, or failed (refused, timed out, cut mid-answer). */
    const settle = (status: number | undefined): void => {
      if (settled) return;
      settled = true;
      if (status === undefined) stats.failed += 1;
      else stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
      stats.inFlight -= 1;
      if (stats.inFlight === 0) idle.splice(0).forEach((resolve) => resolve());
    };
    const req = httpRequest(
      {
        host: base.hostname,
        port: base.port || 80,
        path,
        method: 'GET',
        headers: {
          [USER_ID_HEADER]: `user-${Math.floor(Math.random() * users)}`,
          ...options.headers,
        },
        agent,
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        res.once('end', () => settle(res.statusCode ?? 0));
        res.once('error', () => settle(undefined));
      },
    );
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', () => settle(undefined));
    req.end();
  };

  let budget = 0;
  let last = performance.now();
  const tick = (): void => {
    const now = performance.now();
    // After a stall, catch up at most a quarter second of requests instead of bursting.
    budget = Math.min(budget + ((now - last) / 1000) * rate, Math.max(1, rate / 4));
    last = now;
    for (; budget >= 1; budget -= 1) {
      if (stats.inFlight < concurrency) send();
      else stats.skipped += 1;
    }
  };
  const ticker = setInterval(tick, TICK_MS);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      stats.running = false;
      clearInterval(ticker);
      if (deadline) clearTimeout(deadline);
      if (stats.inFlight > 0) {
        await new Promise<void>((resolve) => {
          idle.push(resolve);
          setTimeout(resolve, timeoutMs).unref();
        });
      }
      agent.destroy();
    })();
    return stopping;
  };
  // setTimeout treats delays beyond 2^31-1 ms (and Infinity) as 1 ms: no timer at all for those
  const maxDurationMs = options.maxDurationMs ?? DEFAULT_MAX_DURATION_MS;
  const deadline =
    maxDurationMs <= 2_147_483_647 ? setTimeout(() => void stop(), maxDurationMs) : undefined;
  deadline?.unref();

  return { stats: () => ({ ...stats, byStatus: { ...stats.byStatus } }), stop };
}
