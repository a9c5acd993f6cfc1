/**
 * Issue 39: an OTLP/HTTP trace receiver on loopback (127.0.0.1, port 0), standing in for an OpenTelemetry Collector
 * in tests. It takes POST /v1/traces in both OTLP encodings — http/protobuf (the exporters' default) and http/json —
 * flattens every span with its resource's service.name, and counts every request, whatever its encoding, so a test
 * can also show that none was made. Any other content type is counted and answered 415.
 *
 * Protobuf is decoded with the OpenTelemetry project's own generated decoder: @opentelemetry/otlp-transformer 0.52
 * still shipped the opentelemetry-proto messages compiled with protobufjs (`build/src/generated/root`); the current
 * one (used by the engine's exporter) only writes them. Pinned here, in the testkit only.
 */
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

interface ProtobufMessageType {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: { longs: typeof String; bytes: typeof String; defaults: boolean }): unknown;
}
const require = createRequire(import.meta.url);
let traceRequestType: ProtobufMessageType | undefined;
/** ExportTraceServiceRequest, loaded on the first protobuf export (tests using JSON never load protobufjs). */
function exportTraceServiceRequest(): ProtobufMessageType {
  if (!traceRequestType) {
    const root = require('@opentelemetry/otlp-transformer/build/src/generated/root') as { opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: ProtobufMessageType } } } } } };
    traceRequestType = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
  }
  return traceRequestType;
}

/** Trace and span ids are bytes in protobuf and hex in OTLP JSON: the receiver reports hex either way. */
function hexId(value: unknown): string {
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('hex') : '';
}

/** A protobuf ExportTraceServiceRequest as the same shape OTLP JSON has (camelCase fields, hex ids). */
function decodeProtobufTraces(body: Buffer): Payload {
  const type = exportTraceServiceRequest();
  const plain = type.toObject(type.decode(body), { longs: String, bytes: String, defaults: false }) as Payload;
  for (const resourceSpans of plain.resourceSpans ?? []) {
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        span.traceId = hexId(span.traceId);
        span.spanId = hexId(span.spanId);
        if (span.parentSpanId) span.parentSpanId = hexId(span.parentSpanId);
      }
    }
  }
  return plain;
}

type AnyValue = { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: AnyValue[] } };
type KeyValue = { key: string; value?: AnyValue };

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, string | number | boolean | unknown[]>;
}

export interface OtlpReceiver {
  /** the base URL, for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces) */
  url: string;
  spans: ReceivedSpan[];
  /** every request received, on any path or encoding */
  requests: number;
  /** why each export that could not be decoded was refused (answered 400) */
  rejected: string[];
  /** the encodings the exports came in, in order */
  encodings: Array<'protobuf' | 'json'>;
  /** resolves once `predicate` holds for the spans received (re-checked on each export) */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean): Promise<void>;
  close(): Promise<void>;
}

function valueOf(value: AnyValue | undefined): string | number | boolean | unknown[] {
  if (!value) return '';
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(valueOf);
  return '';
}

type Payload = { resourceSpans?: Array<{ resource?: { attributes?: KeyValue[] }; scopeSpans?: Array<{ spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: KeyValue[] }> }> }> };

const attributesOf = (list: KeyValue[] | undefined) => Object.fromEntries((list ?? []).map((entry) => [entry.key, valueOf(entry.value)]));

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const waiters = new Set<() => void>();
  const receiver = { spans, requests: 0, rejected: [], encodings: [] } as unknown as OtlpReceiver;
  const server = createServer(async (request, response) => {
    receiver.requests += 1;
    const body = await bodyOf(request);
    if (request.method !== 'POST' || request.url !== '/v1/traces') return void response.writeHead(404).end();
    const contentType = String(request.headers['content-type']);
    const protobuf = contentType.includes('application/x-protobuf');
    if (!protobuf && !contentType.includes('application/json')) return void response.writeHead(415).end();
    let payload: Payload;
    try {
      payload = protobuf ? decodeProtobufTraces(body) : (JSON.parse(body.toString('utf8')) as Payload);
    } catch (error) {
      // a malformed export is the exporter's bug: the test sees it as a 400 and in `rejected`
      receiver.rejected.push(error instanceof Error ? error.message : String(error));
      return void response.writeHead(400, { 'content-type': 'text/plain' }).end('undecodable OTLP export');
    }
    receiver.encodings.push(protobuf ? 'protobuf' : 'json');
    for (const resourceSpans of payload.resourceSpans ?? []) {
      const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name'] ?? '');
      for (const scope of resourceSpans.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          spans.push({ service, traceId: span.traceId, spanId: span.spanId, ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}), name: span.name, attributes: attributesOf(span.attributes) });
        }
      }
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    for (const wake of waiters) wake();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.waitFor = (predicate) =>
    new Promise<void>((resolve) => {
      if (predicate(spans)) return resolve();
      const wake = () => {
        if (!predicate(spans)) return;
        waiters.delete(wake);
        resolve();
      };
      waiters.add(wake);
    });
  receiver.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return receiver;
}
