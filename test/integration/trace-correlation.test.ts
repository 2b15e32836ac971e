/**
 * One trace from an API request through the workflow to its activities, and log lines that lead to
 * it: the API in this process with tracing on, a release worker in a process of its own configured
 * by the environment alone (OTEL_EXPORTER_OTLP_ENDPOINT), both exporting over OTLP/HTTP to a local
 * receiver, on the real Temporal dev server. The worker's JSON log lines come from its stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ApiMetrics } from '../../api/metrics.js';
import { startApiServer, type ApiServer } from '../../api/server.js';
import { createLogger } from '../../observability/logger.js';
import { startTracing, type Tracing } from '../../observability/tracing.js';
import { workerTelemetry } from '../../observability/worker.js';
import { WORKFLOWS_PATH } from '../../worker/index.js';
import {
  jsonHeaders,
  auth,
  SANDBOX_CAPABILITIES,
  specBody,
  testTokenStore,
  TOKENS,
} from '../harness/api.js';
import {
  startOtlpListener,
  type OtlpListener,
  type ReceivedSpan,
} from '../harness/otlp-listener.js';
import { connectTestEnv, uniqueTaskQueue } from '../harness/temporal.js';
import { workflowBundle } from '../harness/workflow-worker.js';

type Line = Record<string, unknown>;
type Status = { running: boolean; phase: string };
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

let env: TestWorkflowEnvironment;
let listener: OtlpListener;
let tracing: Tracing;
let server: ApiServer;
let worker: ChildProcess;
const apiLines: Line[] = [];
const workerLines: Line[] = [];

/** The worker process, polling; resolves on its "ready". */
async function startTracedWorker(address: string, taskQueue: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/fixtures/traced-worker-process.ts', address, taskQueue],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        OTEL_EXPORTER_OTLP_ENDPOINT: listener.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        CANARY_LOG_LEVEL: 'info',
      },
    },
  );
  let partial = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        workerLines.push(JSON.parse(line) as Line);
      } catch {
        process.stderr.write(`[traced worker] ${line}\n`);
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`traced worker exited early with ${code}`)));
  });
  return child;
}

beforeAll(async () => {
  env = await connectTestEnv();
  listener = await startOtlpListener();
  tracing = startTracing({
    service: 'canary-api',
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: listener.url },
  })!;
  const taskQueue = uniqueTaskQueue('traced');
  worker = await startTracedWorker(inject('temporalAddress'), taskQueue);
  const client = new Client({
    connection: env.connection,
    namespace: 'default',
    interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
  });
  const logger = createLogger('canary-api', {
    destination: { write: (line: string) => void apiLines.push(JSON.parse(line) as Line) },
  });
  server = await startApiServer({
    port: 0,
    client,
    tokens: testTokenStore(),
    capabilities: SANDBOX_CAPABILITIES,
    taskQueue,
    metrics: new ApiMetrics({ processMetrics: false }),
    logger,
    tracer: tracing.tracer,
  });
}, 120_000);

afterAll(async () => {
  await server?.close();
  if (worker && worker.exitCode === null) {
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.kill('SIGTERM');
    await exited;
  }
  await tracing?.shutdown();
  await listener?.close();
  await env?.teardown();
});

const named = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name);

describe('a release started through the API', () => {
  it('is one trace from the request through the workflow to its activities, and the activity log lines carry its ids', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    // a gate before step 2, approved through the API: the history holds an update
    const body = specBody({
      schedule: {
        steps: [
          { weight: 10, observe: '1s' },
          { weight: 50, observe: '1s', approval: true },
        ],
      },
    });
    const response = await fetch(`${server.url}/v1/releases`, {
      method: 'POST',
      headers: { ...jsonHeaders(TOKENS.deployer), traceparent: `00-${traceId}-${callerSpanId}-01` },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(201);
    const { id, workflowId } = (await response.json()) as { id: string; workflowId: string };

    const statusUntil = async (done: (s: Status) => boolean): Promise<Status> => {
      for (let i = 0; i < 300; i++) {
        const read = await fetch(`${server.url}/v1/releases/${id}`, {
          headers: auth(TOKENS.viewer),
        });
        const status = (await read.json()) as Status;
        if (done(status)) return status;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error(`release ${id} did not get there in 60 s`);
    };
    await statusUntil((s) => s.phase === 'AwaitingApproval');
    const approve = await fetch(`${server.url}/v1/releases/${id}/approve`, {
      method: 'POST',
      headers: jsonHeaders(TOKENS.approver),
      body: JSON.stringify({ comment: 'traced' }),
    });
    expect(approve.status).toBe(200);
    expect(await statusUntil((s) => !s.running)).toMatchObject({ phase: 'Promoted' });

    await tracing.forceFlush();
    const ours = (spans: ReceivedSpan[]) => spans.filter((s) => s.traceId === traceId);
    await listener.waitFor(
      (spans) =>
        named(ours(spans), 'RunWorkflow:canaryRelease').length === 1 &&
        named(ours(spans), 'RunActivity:finishRelease').length === 1,
    );
    const trace = ours(listener.spans);

    // the API's server span continues the caller's traceparent
    const [request] = named(trace, 'POST /v1/releases');
    expect(request).toMatchObject({
      service: 'canary-api',
      kind: 2,
      parentSpanId: callerSpanId,
      attributes: { 'http.response.status_code': 201, 'canary.release_id': id },
    });
    // the workflow start is its child, and the workflow run the start's
    const [start] = named(trace, 'StartWorkflow:canaryRelease');
    expect(start).toMatchObject({ service: 'canary-api', parentSpanId: request!.spanId });
    const [run] = named(trace, 'RunWorkflow:canaryRelease');
    expect(run).toMatchObject({ service: 'canary-worker', parentSpanId: start!.spanId });
    // activities run in the worker under the workflow's StartActivity spans
    const analyses = named(trace, 'RunActivity:analyseCanary');
    expect(analyses.length).toBeGreaterThanOrEqual(2);
    const startActivities = new Set(
      named(trace, 'StartActivity:analyseCanary').map((s) => s.spanId),
    );
    for (const analysis of analyses) {
      expect(analysis.service).toBe('canary-worker');
      expect(startActivities.has(analysis.parentSpanId)).toBe(true);
    }
    for (const type of ['prepareRelease', 'setCanaryWeight', 'promoteStable', 'finishRelease'])
      expect(named(trace, `RunActivity:${type}`).length, type).toBeGreaterThanOrEqual(1);

    // the activity's log line names the release and its look, and leads to its span
    const analysisLines = workerLines.filter(
      (l) =>
        l.msg === 'activity completed' && l.activityType === 'analyseCanary' && l.releaseId === id,
    );
    expect(analysisLines.length).toBe(analyses.length);
    const line = analysisLines[0]!;
    expect(line).toMatchObject({
      level: 'info',
      name: 'canary-worker',
      trace_id: traceId,
      workflowId: expect.stringMatching(/^canary\./),
      runId: expect.any(String),
      attempt: 1,
      step: 1,
      look: 1,
      verdict: 'pass',
      sdkComponent: 'activity',
    });
    expect(analyses.map((s) => s.spanId)).toContain(line.span_id);
    expect(line).not.toHaveProperty('taskToken');

    // the API's request line leads to the server span, names the caller, never the token
    const requestLine = apiLines.find((l) => l.msg === 'request' && l.method === 'POST');
    expect(requestLine).toMatchObject({
      path: '/v1/releases',
      status: 201,
      caller: 'ci-bot',
      releaseId: id,
      trace_id: traceId,
      span_id: request!.spanId,
    });
    expect(JSON.stringify(apiLines)).not.toContain(TOKENS.deployer);
    expect(JSON.stringify(apiLines)).not.toContain(TOKENS.approver);

    // this traced history, with its approval update, replays with tracing on and with it off
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const telemetry = workerTelemetry(tracing);
    const traced = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      workflowInterceptorModules: telemetry.workflowModules,
      logger: silent,
    });
    await Worker.runReplayHistory({ workflowBundle: traced, sinks: telemetry.sinks }, history);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history);
  }, 180_000);
});
