/**
 * Issue 39: starts the OpenTelemetry SDK when tracing is on. Off (the default) nothing of the SDK is loaded — the
 * imports below are dynamic — and every span the engine opens goes to @opentelemetry/api's no-op tracer. On, the SDK
 * registers itself as the OTel global tracer provider (the one global there is: the API's), with the W3C trace-context
 * propagator the MCP call carries and an AsyncLocalStorage context so spans nest across awaits.
 */
import type { TracingConfig } from './config.ts';

export interface Tracing {
  enabled: boolean;
  /** exports what is buffered (tests wait on the receiver; shutdown does it too) */
  forceFlush(): Promise<void>;
  /** flushes, then unregisters the provider so spans are no-ops again */
  shutdown(): Promise<void>;
}

const off: Tracing = { enabled: false, forceFlush: async () => {}, shutdown: async () => {} };

export async function startTracing(config: TracingConfig): Promise<Tracing> {
  if (!config.enabled) return off;
  const [api, sdk, contextHooks, resources, core] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/core'),
  ]);
  // The exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS and _TIMEOUT itself.
  const exporter =
    config.protocol === 'http/json'
      ? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter()
      : new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
  const provider = new sdk.TracerProvider({
    resource: resources.resourceFromAttributes({ 'service.name': config.serviceName }),
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter })],
  });
  const contextManager = new contextHooks.AsyncLocalStorageContextManager().enable();
  api.context.setGlobalContextManager(contextManager);
  api.propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);
  return {
    enabled: true,
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      api.trace.disable();
      api.propagation.disable();
      api.context.disable();
    },
  };
}
