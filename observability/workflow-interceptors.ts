/**
 * The workflow side of tracing, bundled into the workflow code when tracing is on: the Temporal
 * SDK's OpenTelemetry workflow interceptors, but only the methods that cannot reorder what a
 * workflow does. RunWorkflow (continuing the starter's trace from the headers), StartActivity
 * (carrying the trace to the activity in its headers), ContinueAsNew (to the next run), and the
 * trace ids on workflow log lines. Spans leave through the `exporter` sink, so no command is added.
 *
 * Left out on purpose: the SDK's `handleUpdate`, `validateUpdate`, `handleQuery` and `handleSignal`.
 * They are async wrappers even where an SDK flag turns them into pass-throughs, and the extra
 * microtask turns change when an update's completion lands relative to the workflow's own
 * commands: a release that was approved or paused while tracing was off then fails to replay on a
 * worker with tracing on (the replay test shows it with test/histories/paused.json). Without them,
 * turning tracing on or off never breaks a running release; updates and signals still carry the
 * trace context in their headers, only their handling has no span of its own.
 */
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow/index.js';
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';

export const interceptors: WorkflowInterceptorsFactory = () => {
  const inbound = new OpenTelemetryInboundInterceptor();
  const outbound = new OpenTelemetryOutboundInterceptor();
  return {
    inbound: [{ execute: (input, next) => inbound.execute(input, next) }],
    outbound: [
      {
        scheduleActivity: (input, next) => outbound.scheduleActivity(input, next),
        continueAsNew: (input, next) => outbound.continueAsNew(input, next),
        getLogAttributes: (input, next) => outbound.getLogAttributes(input, next),
      },
    ],
    internals: [new OpenTelemetryInternalsInterceptor()],
  };
};
