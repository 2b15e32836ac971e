/**
 * The demo service's versions and how each behaves: the one table the sandbox's scenarios come
 * from. A release from v1 to v2 should promote, to v3 (more errors) or v4 (slower) roll back.
 */

/** How one version of the demo service answers its endpoint. */
export interface DemoBehaviour {
  /** Probability that a request is answered with HTTP 500. */
  errorRate: number;
  /** Mean time before answering, in milliseconds (errors take as long as successes). */
  latencyMs: number;
  /** Half-width of the uniform jitter around latencyMs, so per-bucket means vary like real ones. */
  jitterMs: number;
  /** What the version stands for in the walkthrough. */
  role: string;
}

/** The demo versions. v1 is the stable version a fresh sandbox starts with. */
export const DEMO_VERSIONS = {
  v1: { errorRate: 0.01, latencyMs: 100, jitterMs: 20, role: 'stable' },
  v2: {
    errorRate: 0.01,
    latencyMs: 100,
    jitterMs: 20,
    role: 'healthy canary: behaves exactly like v1',
  },
  v3: {
    errorRate: 0.05,
    latencyMs: 100,
    jitterMs: 20,
    role: 'faulty canary: five times the errors of v1',
  },
  v4: { errorRate: 0.01, latencyMs: 150, jitterMs: 20, role: 'slow canary: 50 ms slower than v1' },
} as const satisfies Record<string, DemoBehaviour>;

/** A demo version's name: v1, v2, v3 or v4. */
export type DemoVersion = keyof typeof DEMO_VERSIONS;

/** The versions in table order. */
export const DEMO_VERSION_NAMES = Object.keys(DEMO_VERSIONS) as DemoVersion[];

/** The version a fresh sandbox routes all traffic to. */
export const INITIAL_STABLE: DemoVersion = 'v1';

/** Whether a release's version is one the sandbox runs. */
export function isDemoVersion(name: string): name is DemoVersion {
  return Object.hasOwn(DEMO_VERSIONS, name);
}
