/** Release specs for tests: short windows so a whole release takes seconds, a unique service each. */
import {
  hasStableVersion,
  validateReleaseSpec,
  type ReleaseSpec,
  type SubmittedSpec,
} from '../../core/spec.js';

let counter = 0;

/** A spec as a client would send it (defaults not yet filled), for a service no other test uses. */
export function testSpecBody(
  overrides: Record<string, unknown> = {},
  prefix = 'svc',
): Record<string, unknown> {
  counter += 1;
  return {
    service: `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`,
    stableVersion: 'v1',
    canaryVersion: 'v2',
    router: { type: 'sandbox' },
    schedule: {
      steps: [
        { weight: 10, observe: '1s' },
        { weight: 50, observe: '1s' },
      ],
    },
    analysis: { bucket: '1s' },
    ...overrides,
  };
}

/** The same, validated, with every default filled in. */
export function testSpec(overrides: Record<string, unknown> = {}): ReleaseSpec {
  const result = validateReleaseSpec(testSpecBody(overrides));
  if (!result.ok) throw new Error(`test spec is invalid: ${JSON.stringify(result.problems)}`);
  return withStableVersion(result.spec);
}

/** A validated spec that names its stable version, as activities receive it (throws otherwise). */
export function withStableVersion(spec: SubmittedSpec): ReleaseSpec {
  if (!hasStableVersion(spec)) throw new Error('test spec has no stableVersion');
  return spec;
}
