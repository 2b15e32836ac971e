/**
 * A Temporal dev server with canary-engine's search attributes registered, for the local stack,
 * the test harness, the benchmarks and the history recorder.
 */
import { startTemporalDevServer } from '../scripts/lib/temporal-server.mjs';
import { SEARCH_ATTRIBUTES } from '../workflows/messages.js';

export type DevServerOptions = Omit<
  Parameters<typeof startTemporalDevServer>[0],
  'searchAttributes'
>;
export type DevServer = Awaited<ReturnType<typeof startTemporalDevServer>>;

export function startDevServer(options: DevServerOptions): Promise<DevServer> {
  return startTemporalDevServer({ ...options, searchAttributes: SEARCH_ATTRIBUTES });
}
