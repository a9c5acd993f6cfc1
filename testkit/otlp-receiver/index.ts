/**
 * Issue 39: an OTLP/HTTP trace receiver on loopback (127.0.0.1, port 0), standing in for an OpenTelemetry Collector
 * in tests. It takes POST /v1/traces in the OTLP JSON encoding (OTEL_EXPORTER_OTLP_PROTOCOL=http/json: the current
 * @opentelemetry/otlp-transformer no longer ships the .proto or a request decoder, and no protobuf library is in the
 * tree), flattens every span with its resource's service.name, and counts every request, whatever its encoding, so a
 * test can also show that none was made. A protobuf body is counted and answered 415.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

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

const attributesOf = (list: KeyValue[] | undefined) => Object.fromEntries((list ?? []).map((entry) => [entry.key, valueOf(entry.value)]));

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const waiters = new Set<() => void>();
  const receiver = { spans, requests: 0 } as OtlpReceiver;
  const server = createServer(async (request, response) => {
    receiver.requests += 1;
    const body = await bodyOf(request);
    if (request.method !== 'POST' || request.url !== '/v1/traces') return void response.writeHead(404).end();
    if (!String(request.headers['content-type']).includes('application/json')) return void response.writeHead(415).end();
    type Payload = { resourceSpans?: Array<{ resource?: { attributes?: KeyValue[] }; scopeSpans?: Array<{ spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: KeyValue[] }> }> }> };
    const payload = JSON.parse(body.toString('utf8')) as Payload;
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
