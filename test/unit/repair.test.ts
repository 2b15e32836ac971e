/**
 * The repair's rules that need no server: which runs block a service, the refusals' words and the
 * problems they become, the CLI's argument, and a repair request refused before Temporal is asked.
 */
import { describe, expect, it } from 'vitest';
import { parseTokenEntry, TokenStore } from '../../api/auth.js';
import { toProblem } from '../../api/problems.js';
import { serviceArg } from '../../cli/commands/repair.js';
import { UsageError } from '../../cli/lib/context.js';
import {
  NothingToRepairError,
  RepairConflictError,
  ServiceBlockedError,
} from '../../client/errors.js';
import { blocks } from '../../client/reads.js';
import { phaseQuery } from '../../worker/metrics.js';
import { jsonHeaders, unitApp } from '../harness/api.js';

const run = (status: string) => ({
  releaseId: 'web-v2',
  status,
  runId: 'r1',
  type: 'canaryRelease',
});

describe('which runs block the next release', () => {
  it('blocks after a failed, terminated or timed-out run, never after a completed or cancelled one', () => {
    for (const status of ['FAILED', 'TERMINATED', 'TIMED_OUT'])
      expect(blocks(run(status))).toBe(true);
    for (const status of ['COMPLETED', 'CANCELED', 'RUNNING', 'CONTINUED_AS_NEW'])
      expect(blocks(run(status))).toBe(false);
    expect(blocks(undefined)).toBe(false);
  });
});

describe('the refusals', () => {
  it('says what happened to which release and how to repair it', () => {
    const failed = new ServiceBlockedError(
      'web-v3',
      'canary.shop.web',
      'web-v2',
      'FAILED',
      'shop',
      'web',
      'rollback failed: router unavailable',
    );
    expect(failed.message).toBe(
      'service shop/web is blocked: release web-v2 ended Failed (rollback failed: router unavailable), and its routing and replicas may be as it left them; run `canary repair shop/web` to restore routing to stable and scale the canary down, then start again',
    );
    const terminated = new ServiceBlockedError(
      'x',
      'w',
      'web-v2',
      'TERMINATED',
      'shop',
      'web',
      undefined,
    );
    expect(terminated.message).toContain('is blocked: release web-v2 was terminated, and');
    const repair = new ServiceBlockedError(
      'x',
      'w',
      'web-v2',
      'FAILED',
      'shop',
      'web',
      undefined,
      true,
    );
    expect(repair.message).toContain('is blocked: the repair of release web-v2 failed, and');
  });

  it('becomes 409 problems: service-blocked with the repair route, nothing-to-repair, release-conflict', () => {
    const blocked = toProblem(
      new ServiceBlockedError(
        'x',
        'canary.shop.web',
        'web-v2',
        'TIMED_OUT',
        'shop',
        'web',
        undefined,
      ),
    );
    expect(blocked).toMatchObject({
      status: 409,
      kind: 'service-blocked',
      extensions: {
        blockingReleaseId: 'web-v2',
        workflowStatus: 'TIMED_OUT',
        repair: 'POST /v1/services/shop/web/repair',
      },
    });
    expect(blocked?.message).toContain('release web-v2 timed out');
    const nothing = toProblem(
      new NothingToRepairError('shop', 'web', {
        releaseId: 'web-v2',
        workflowStatus: 'COMPLETED',
        phase: 'RolledBack',
      }),
    );
    expect(nothing).toMatchObject({ status: 409, kind: 'nothing-to-repair' });
    expect(nothing?.message).toBe(
      'nothing to repair for service shop/web: its last release web-v2 ended RolledBack, which leaves nothing to restore',
    );
    const running = toProblem(
      new RepairConflictError('shop', 'web', 'canary.shop.web', 'web-v2', false),
    );
    expect(running).toMatchObject({ status: 409, kind: 'release-conflict' });
    expect(running?.message).toContain('abort it with `canary abort web-v2 --reason ...`');
  });
});

describe('canary repair <namespace/service>', () => {
  it('takes two DNS labels and refuses anything else naming the argument', () => {
    expect(serviceArg('shop/web')).toEqual({ namespace: 'shop', service: 'web' });
    for (const bad of ['web', 'shop/web/x', 'Shop/web', 'shop/', '/web'])
      expect(() => serviceArg(bad)).toThrow(UsageError);
    expect(() => serviceArg('web')).toThrow(
      '<namespace/service>: "web" is not <namespace>/<service>',
    );
  });
});

describe('the repair route before Temporal', () => {
  it('refuses a token scoped to another service without asking Temporal anything', async () => {
    const app = unitApp({
      tokens: new TokenStore([
        parseTokenEntry('b=token-b-0123456789abcdef:approver@shop/api', 'test'),
      ]),
    });
    const res = await app.request('/v1/services/shop/web/repair', {
      method: 'POST',
      headers: jsonHeaders('token-b-0123456789abcdef'),
      body: '{}',
    });
    expect(res.status).toBe(403);
    expect((await res.json()).detail).toBe(
      'the token of b may not repair shop/web: it is scoped to shop/api, and the release is in namespace shop, service web',
    );
  });
});

describe("the worker's phase gauge", () => {
  it('counts Repairing and Repaired from the repair workflow', () => {
    expect(phaseQuery('q', 'Repaired')).toBe(
      "WorkflowType = 'canaryRepair' AND TaskQueue = 'q' AND CanaryPhase = 'Repaired'",
    );
    expect(phaseQuery('q', 'Repairing')).toContain("ExecutionStatus = 'Running'");
  });
});
