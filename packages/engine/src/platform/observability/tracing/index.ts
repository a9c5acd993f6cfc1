export { tracingConfigFromEnv, type TracingConfig } from './config.ts';
export { startTracing, type Tracing } from './start-tracing.ts';
export { traceRun, traceModelCall, traceToolCall, toolCallTraceContext, recordApproval, traceVerification } from './spans.ts';
