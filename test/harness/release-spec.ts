/** Release specs for tests: short windows so a whole release takes seconds. */
import { validateReleaseSpec, type ReleaseSpec } from '../../core/spec.js';

let counter = 0;

export function testSpec(overrides: Record<string, unknown> = {}): ReleaseSpec {
  counter += 1;
  const result = validateReleaseSpec({
    service: `svc-${process.pid}-${Date.now().toString(36)}-${counter}`,
    stableVersion: 'v1',
    canaryVersion: 'v2',
    router: { type: 'sandbox', url: 'http://127.0.0.1:1' },
    schedule: { steps: [{ weight: 10, observe: '1s' }, { weight: 50, observe: '1s' }] },
    analysis: { bucket: '1s' },
    ...overrides,
  });
  if (!result.ok) throw new Error(`test spec is invalid: ${JSON.stringify(result.problems)}`);
  return result.spec;
}
