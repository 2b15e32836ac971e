/**
 * Where a release's metrics come from: one of the operator's named metrics sources (address,
 * credentials from the worker's environment or a mounted file, extra headers, a TLS CA), or — only
 * where the operator allows it by pattern — an ad-hoc address from the spec, which never receives
 * credentials or the operator's headers. A spec chooses a source by name and can neither choose
 * nor redirect a credential. worker/engine-config.ts loads and validates the operator's config.
 */
import {
  defaultSecretReader as defaultReader,
  readSecret,
  type SecretReader,
  type SecretRef,
} from '../secrets.js';
import { DEFAULT_METRICS_SOURCE } from '../../core/capabilities.js';
import type { MetricsSpec } from '../../core/metrics/config.js';
import { MetricsConfigError } from './errors.js';
import type { PrometheusAuth } from './prometheus-client.js';

export type { SecretReader, SecretRef } from '../secrets.js';

/** One metrics source as the operator configured it. */
export interface MetricsSourceConfig {
  /** Prometheus (or Thanos/Mimir query frontend) base URL, including any base path. */
  address: string;
  auth?:
    | { type: 'bearer'; token: SecretRef }
    | { type: 'basic'; username: SecretRef; password: SecretRef };
  /** Sent on every request to this source (e.g. `X-Scope-OrgID`); they win over a spec's headers. */
  headers?: Readonly<Record<string, string>>;
  /** PEM file of the CA that signed the source's certificate, for https addresses. */
  tlsCaFile?: string;
}

/** The operator's metrics sources and the ad-hoc addresses a spec may name instead. */
export interface MetricsSources {
  sources: Readonly<Record<string, MetricsSourceConfig>>;
  /** Whole-address patterns (core/capabilities.ts wholeAddressPattern); none: no ad-hoc address. */
  adHocAddresses: readonly RegExp[];
}

/** Where and how one release's queries are sent. */
export interface PrometheusEndpoint {
  address: string;
  auth?: PrometheusAuth;
  headers: Record<string, string>;
  /** PEM text of the CA to trust, when the source names one. */
  ca?: string;
  /** An operator's source (its explanations may appear in messages) or an ad-hoc address. */
  trusted: boolean;
}

const secret = (ref: SecretRef, field: string, io: SecretReader): string =>
  readSecret(ref, field, io, (message, options) => new MetricsConfigError(message, options));

/** A source's credentials, read now (so a rotated Secret is picked up by the next release step). */
export function resolveSourceAuth(
  name: string,
  auth: MetricsSourceConfig['auth'],
  io: SecretReader = defaultReader(),
): PrometheusAuth | undefined {
  if (auth === undefined) return undefined;
  const at = `metrics source "${name}": auth`;
  if (auth.type === 'bearer')
    return { type: 'bearer', token: secret(auth.token, `${at}.token`, io) };
  return {
    type: 'basic',
    username: secret(auth.username, `${at}.username`, io),
    password: secret(auth.password, `${at}.password`, io),
  };
}

/**
 * The endpoint for `analysis.metrics` of a validated spec. The API refuses what is not allowed at
 * submission; the worker checks again (a spec may come straight from `temporal workflow start`)
 * and throws a non-retryable MetricsConfigError naming the field.
 */
export function resolveEndpoint(
  spec: MetricsSpec,
  config: MetricsSources,
  io: SecretReader = defaultReader(),
): PrometheusEndpoint {
  if (spec.address !== undefined) {
    if (!config.adHocAddresses.some((pattern) => pattern.test(spec.address as string)))
      throw new MetricsConfigError(
        `analysis.metrics.address ${spec.address} is not an ad-hoc address this engine's operator allows`,
      );
    return { address: spec.address, headers: { ...spec.headers }, trusted: false };
  }
  const name = spec.source ?? DEFAULT_METRICS_SOURCE;
  const source = Object.hasOwn(config.sources, name) ? config.sources[name] : undefined;
  if (!source)
    throw new MetricsConfigError(
      `analysis.metrics.source "${name}" is not a metrics source of this worker (it has: ${Object.keys(config.sources).join(', ') || 'none'})`,
    );
  let ca: string | undefined;
  if (source.tlsCaFile !== undefined) {
    try {
      ca = io.readFile(source.tlsCaFile);
    } catch (error) {
      throw new MetricsConfigError(
        `metrics source "${name}": tlsCaFile ${source.tlsCaFile} cannot be read`,
        { cause: error },
      );
    }
  }
  const auth = resolveSourceAuth(name, source.auth, io);
  return {
    address: source.address,
    ...(auth ? { auth } : {}),
    headers: { ...spec.headers, ...source.headers },
    ...(ca !== undefined ? { ca } : {}),
    trusted: true,
  };
}
