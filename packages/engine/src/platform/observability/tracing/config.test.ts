import { describe, expect, it } from 'vitest';
import { tracingConfigFromEnv } from './config.ts';

describe('tracingConfigFromEnv (issue 39)', () => {
  it('is off with no OTEL_* variables', () => {
    expect(tracingConfigFromEnv({})).toEqual({ enabled: false, serviceName: 'skyflo-engine', protocol: 'http/protobuf' });
  });

  it('is on with an OTLP endpoint or OTEL_TRACES_EXPORTER=otlp, with the service name and protocol asked for', () => {
    expect(tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SERVICE_NAME: 'skyflo-prod' })).toEqual({ enabled: true, serviceName: 'skyflo-prod', protocol: 'http/protobuf' });
    expect(tracingConfigFromEnv({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toMatchObject({ enabled: true, protocol: 'http/json' });
    expect(tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }).enabled).toBe(true);
  });

  it('OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none win over an endpoint', () => {
    expect(tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
    expect(tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' }).enabled).toBe(false);
    expect(tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'console' }).enabled).toBe(false);
  });
});
