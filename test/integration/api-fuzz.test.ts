/**
 * Fuzzes the API from its own OpenAPI document with schemathesis (scripts/schemathesis.mjs), on a
 * real socket, against the shared Temporal dev server with a worker, so started releases run. It
 * holds the document to the truth: no 5xx, every status, content type and body as documented,
 * over at least 1,000 generated requests in a bounded time.
 *
 * The event stream (releaseEvents) is left out: while a release runs it is infinite by design, so
 * a fuzzer's request to a release it started would never end. Its refusals (400, 401, 403, 404)
 * go through the same validators and problem handler as the status route, which is fuzzed, and
 * its events are checked against their documented schemas in test/unit/api-event-schemas.test.ts.
 *
 * The dev server is shared with every other test file, so its visibility lists their releases too,
 * whose workers may have stopped (an action on one of them is a correct 503: no worker answers).
 * The fuzzer's token is therefore scoped to services named `fuzz-*`, and the test seeds two such
 * releases on its own worker (one waiting at a gate): the fuzzer reads and acts on those, and
 * every other release is a documented 403.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiServer } from '../../api/server.js';
import { ensureSchemathesis } from '../../scripts/schemathesis.mjs';
import { TokenStore } from '../../api/auth.js';
import { parseScope } from '../../api/scopes.js';
import { jsonHeaders, startApiStack, TOKENS, type ApiStack } from '../harness/api.js';
import { testSpecBody } from '../harness/release-spec.js';

/** Checks run on every response; together they say "the document tells the truth". */
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
];
const MIN_REQUESTS = 1000;
/** Per operation and phase; the coverage phase adds its own boundary cases on top. */
const MAX_EXAMPLES = 25;
const TIME_BUDGET_MS = 180_000;

interface FuzzRun {
  exitCode: number | string;
  output: string;
  junit: string;
}

function runSchemathesis(st: string, url: string, junitPath: string): Promise<FuzzRun> {
  const args = [
    'run',
    `${url}/openapi.json`,
    '--checks',
    CHECKS.join(','),
    '--header',
    `Authorization: Bearer ${TOKENS.ops}`,
    '--exclude-operation-id',
    'releaseEvents',
    // stateful needs links the document does not declare; the three phases cover every operation
    '--phases',
    'examples,coverage,fuzzing',
    '--max-examples',
    String(MAX_EXAMPLES),
    '--seed',
    '20261203',
    '--generation-database',
    'none',
    '--request-timeout',
    '30',
    '--no-color',
    '--report',
    'junit',
    '--report-junit-path',
    junitPath,
  ];
  return new Promise((resolve) => {
    // asynchronous: the API under test answers from this very process
    execFile(
      st,
      args,
      {
        // schemathesis keeps a .schemathesis/ cache in its working directory: not in the repository
        cwd: dirname(junitPath),
        timeout: TIME_BUDGET_MS,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, NO_COLOR: '1' },
      },
      (error, stdout, stderr) => {
        let junit = '';
        try {
          junit = readFileSync(junitPath, 'utf8');
        } catch {
          junit = '';
        }
        const exitCode = error ? (error.code ?? error.signal ?? 'failed') : 0;
        resolve({ exitCode, output: `${stdout}\n${stderr}`, junit });
      },
    );
  });
}

/** The "Test cases: N generated, N passed, ..." line of the summary, as numbers. */
function caseCounts(output: string): { generated: number; passed: number; line: string } {
  const line = /Test cases:\s*\n?\s*(.+)/.exec(output)?.[1]?.trim() ?? '';
  const generated = Number(/(\d+) generated/.exec(line)?.[1] ?? 0);
  const passed = Number(/(\d+) passed/.exec(line)?.[1] ?? 0);
  return { generated, passed, line };
}

/** Failures and errors the JUnit report counts over all its test suites. */
function junitProblems(junit: string): number {
  let total = 0;
  for (const match of junit.matchAll(/<testsuite\b[^>]*>/g)) {
    const tag = match[0];
    total += Number(/\bfailures="(\d+)"/.exec(tag)?.[1] ?? 0);
    total += Number(/\berrors="(\d+)"/.exec(tag)?.[1] ?? 0);
  }
  return total;
}

describe('the API under schemathesis', () => {
  let stack: ApiStack;
  let server: ApiServer;
  let st: string;
  let reportDir: string;
  beforeAll(async () => {
    st = ensureSchemathesis({ quiet: true });
    reportDir = mkdtempSync(join(tmpdir(), 'canary-fuzz-'));
    stack = await startApiStack();
    const tokens = new TokenStore([
      {
        name: 'fuzzer',
        token: TOKENS.ops,
        roles: ['deployer', 'approver', 'viewer'],
        scopes: [parseScope('*/fuzz-*', 'the fuzz test')],
      },
    ]);
    server = await stack.serve({ tokens });
    const gated = { schedule: { steps: [{ weight: 10, observe: '1s', approval: true }] } };
    for (const body of [testSpecBody({}, 'fuzz'), testSpecBody(gated, 'fuzz')]) {
      const res = await fetch(`${server.url}/v1/releases`, {
        method: 'POST',
        headers: jsonHeaders(TOKENS.ops),
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await stack?.stop();
    if (reportDir) rmSync(reportDir, { recursive: true, force: true });
  });

  it(
    'answers over a thousand generated requests without a 5xx or a response the document does not describe',
    async () => {
      const started = Date.now();
      const run = await runSchemathesis(st, server.url, join(reportDir, 'junit.xml'));
      const elapsedMs = Date.now() - started;
      const counts = caseCounts(run.output);
      // the whole report on failure: which operation, which check, and the curl to reproduce it
      if (run.exitCode !== 0 || counts.passed !== counts.generated) console.error(run.output);
      else console.error(`[fuzz] ${counts.line} in ${(elapsedMs / 1000).toFixed(0)} s`);
      expect(run.exitCode).toBe(0);
      expect(run.junit).toMatch(/<testsuite/);
      expect(junitProblems(run.junit)).toBe(0);
      expect(counts.generated).toBeGreaterThanOrEqual(MIN_REQUESTS);
      expect(counts.passed).toBe(counts.generated);
      expect(elapsedMs).toBeLessThan(TIME_BUDGET_MS);
    },
    TIME_BUDGET_MS + 30_000,
  );
});
