/**
 * Issue 39: which traces the engine exports, read from the standard OpenTelemetry variables so an operator configures
 * Skyflo like any other instrumented service. Off unless asked for: an OTLP endpoint is set, or OTEL_TRACES_EXPORTER
 * names otlp. OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none win over everything (the spec's meaning).
 */
export interface TracingConfig {
  enabled: boolean;
  /** OTEL_SERVICE_NAME; the exporter reads the endpoint, headers and timeout variables itself */
  serviceName: string;
  /** OTEL_EXPORTER_OTLP_TRACES_PROTOCOL / OTEL_EXPORTER_OTLP_PROTOCOL: the spec's default is http/protobuf */
  protocol: 'http/protobuf' | 'http/json';
}

export function tracingConfigFromEnv(env: NodeJS.ProcessEnv, defaultServiceName = 'skyflo-engine'): TracingConfig {
  const exporters = (env['OTEL_TRACES_EXPORTER'] ?? '').split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
  const disabled = env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true' || exporters.includes('none');
  const endpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  const asked = exporters.includes('otlp') || (exporters.length === 0 && Boolean(endpoint));
  const protocol = (env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] || env['OTEL_EXPORTER_OTLP_PROTOCOL'] || 'http/protobuf').trim();
  return {
    enabled: asked && !disabled,
    serviceName: env['OTEL_SERVICE_NAME']?.trim() || defaultServiceName,
    protocol: protocol === 'http/json' ? 'http/json' : 'http/protobuf',
  };
}
