/**
 * The operator's configuration of what the engine may call: named metrics sources (address,
 * credentials from an environment variable or a mounted file, extra headers, a TLS CA) and the
 * ad-hoc metrics addresses a spec may name instead. It is a JSON file named by
 * CANARY_ENGINE_CONFIG (the Helm chart renders it from `metricsSources`); without one, the
 * "default" source is CANARY_PROMETHEUS_URL, as before. The worker builds its providers from it
 * and the API checks specs against the capabilities derived from it, so both agree.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  DEFAULT_METRICS_SOURCE,
  wholeAddressPattern,
  type EngineCapabilities,
} from '../core/capabilities.js';
import { parseDuration } from '../core/duration.js';
import { durationString } from '../core/fields.js';
import { problemLines, problemsFromZod } from '../core/problems.js';
import type { MetricsSources } from '../activities/metrics/sources.js';
import { authConfigSchema } from '../api/oidc/config.js';
import { address, headerName, headerValue, secretRef } from './config-fields.js';
import { notificationSinksSchema } from './notification-config.js';

const sourceSchema = z.strictObject({
  address,
  auth: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('bearer'), token: secretRef }),
      z.strictObject({ type: z.literal('basic'), username: secretRef, password: secretRef }),
    ])
    .optional(),
  headers: z.record(headerName, headerValue).optional(),
  tlsCaFile: z.string().min(1).optional(),
  /**
   * How often the series behind this source are scraped ("15s"), when the operator knows: specs
   * whose analysis.bucket is shorter than 2 intervals are refused at submission. Without it the
   * pre-flight asks Prometheus.
   */
  scrapeInterval: durationString.optional(),
});

const sourceName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a metrics source name (a DNS label)');

const pattern = z
  .string()
  .min(1)
  .refine(
    (text) => {
      try {
        wholeAddressPattern(text);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be a regular expression' },
  );

export const engineConfigSchema = z.strictObject({
  /** Named metrics sources; a spec picks one with `analysis.metrics.source` (default "default"). */
  metricsSources: z.record(sourceName, sourceSchema).default({}),
  /** Regular expressions an ad-hoc `analysis.metrics.address` must match as a whole; default none. */
  adHocMetricsAddresses: z.array(pattern).default([]),
  /** Who may call the API besides static tokens: OIDC issuers and the dashboard's sign-in. */
  auth: authConfigSchema.default({}),
  notificationSinks: notificationSinksSchema, // Slack and signed webhooks: docs/notifications.md
});
export type EngineConfig = z.output<typeof engineConfigSchema>;

/** Validates a config object; throws one message listing every problem with its field. */
export function parseEngineConfig(input: unknown, origin = 'engine config'): EngineConfig {
  const parsed = engineConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const lines = problemLines(problemsFromZod(parsed.error)).map((line) => `  ${line}`);
  throw new Error(`invalid ${origin}:\n${lines.join('\n')}`);
}

/** The config the environment names (CANARY_ENGINE_CONFIG), or the empty one. */
export function loadEngineConfig(env: { CANARY_ENGINE_CONFIG?: string | undefined }): EngineConfig {
  const path = env.CANARY_ENGINE_CONFIG;
  if (!path) return parseEngineConfig({});
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(
      `CANARY_ENGINE_CONFIG ${path} cannot be read: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `CANARY_ENGINE_CONFIG ${path} is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return parseEngineConfig(json, `CANARY_ENGINE_CONFIG ${path}`);
}

/** The worker's metrics sources: the config's, with "default" at `prometheusUrl` unless it names one. */
export function metricsSourcesOf(config: EngineConfig, prometheusUrl: string): MetricsSources {
  return {
    sources: { [DEFAULT_METRICS_SOURCE]: { address: prometheusUrl }, ...config.metricsSources },
    adHocAddresses: config.adHocMetricsAddresses.map(wholeAddressPattern),
  };
}

/** What an engine with this config accepts: the API checks specs against it. */
export function engineCapabilities(
  config: EngineConfig,
  mode: { sandbox: boolean },
): EngineCapabilities {
  const metricsScrapeIntervalsMs: Record<string, number> = {};
  for (const [name, source] of Object.entries(config.metricsSources)) {
    const ms =
      source.scrapeInterval === undefined ? undefined : parseDuration(source.scrapeInterval);
    if (ms !== undefined) metricsScrapeIntervalsMs[name] = ms;
  }
  return {
    sandbox: mode.sandbox,
    metricsSources: Object.keys({ [DEFAULT_METRICS_SOURCE]: true, ...config.metricsSources }),
    adHocMetricsAddresses: config.adHocMetricsAddresses.map(wholeAddressPattern),
    metricsScrapeIntervalsMs,
    notificationSinks: Object.keys(config.notificationSinks),
  };
}

/** The capabilities of a process from its environment: the API's side of providerOptionsFromEnv. */
export function capabilitiesFromEnv(env: {
  CANARY_ENGINE_CONFIG?: string | undefined;
  CANARY_MODE?: 'sandbox' | 'cluster' | undefined;
}): EngineCapabilities {
  return engineCapabilities(loadEngineConfig(env), { sandbox: env.CANARY_MODE === 'sandbox' });
}
