/**
 * Helpers for tests that run the local stack (stack/index.ts, what `npm start` runs) on free
 * loopback ports with its own data directory.
 */
import { freePort } from '../../scripts/lib/proc.mjs';

/** Environment for a stack whose every port is free, so it never collides with a running one. */
export async function freeStackEnv(): Promise<Record<string, string>> {
  // the OS may hand out the same free port twice in a row: insist on five different ones
  const ports = new Set<number>();
  while (ports.size < 5) ports.add(await freePort());
  const [api, temporal, ui, prometheus, router] = [...ports].map(String);
  return {
    PORT: api!,
    TEMPORAL_PORT: temporal!,
    TEMPORAL_UI_PORT: ui!,
    PROMETHEUS_PORT: prometheus!,
    SANDBOX_ROUTER_PORT: router!,
    SANDBOX_DEMO_PORT: '0',
  };
}

export const TEST_TOKEN = 'e2e-token-for-tests-only';
export const TEST_TOKENS = `ci=${TEST_TOKEN}:deployer+approver+viewer`;

export async function api(
  base: string,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${TEST_TOKEN}`,
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const TERMINAL = ['Promoted', 'RolledBack', 'Failed'];

/** Submits a spec to the API and polls its status until the release ends. */
export async function runRelease(
  base: string,
  spec: Record<string, unknown>,
  pollMs = 1000,
): Promise<{ id: string; status: Record<string, unknown>; seconds: number }> {
  const started = Date.now();
  const created = await api(base, '/v1/releases', { method: 'POST', body: spec });
  if (created.status !== 201)
    throw new Error(
      `POST /v1/releases answered ${created.status}: ${JSON.stringify(created.body)}`,
    );
  const id = created.body.id as string;
  for (;;) {
    const { status, body } = await api(base, `/v1/releases/${id}`);
    if (status !== 200)
      throw new Error(`GET /v1/releases/${id} answered ${status}: ${JSON.stringify(body)}`);
    if (TERMINAL.includes(body.phase as string))
      return { id, status: body, seconds: (Date.now() - started) / 1000 };
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
