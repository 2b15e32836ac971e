/**
 * Helpers for tests that run the local stack (stack/index.ts, what `npm start` runs) on free
 * loopback ports with its own data directory.
 */
import { freePort } from '../../scripts/lib/proc.mjs';

/** Environment for a stack whose every port is free, so it never collides with a running one. */
export async function freeStackEnv(): Promise<Record<string, string>> {
  return {
    PORT: String(await freePort()),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    PROMETHEUS_PORT: String(await freePort()),
    SANDBOX_ROUTER_PORT: String(await freePort()),
    SANDBOX_DEMO_PORT: '0',
  };
}

export const TEST_TOKEN = 'e2e-token-for-tests-only';
export const TEST_TOKENS = `ci=${TEST_TOKEN}:deployer+approver+viewer`;

export async function api(base: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${TEST_TOKEN}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
