/**
 * The Streamable HTTP transport as a plain HTTP client meets it (issue 77 item 4): malformed JSON-RPC gets the error
 * JSON-RPC 2.0 names (-32700 for text that is not JSON, -32600 for JSON that is not a request), a batch on a session
 * that negotiated 2025-03-26 is answered, and POST SSE streams are resumable (MCP 2025-11-25): a priming event with
 * an id, a `retry:` field and empty data, and a client whose connection dropped mid-call gets the call's result by
 * reconnecting with Last-Event-ID.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sseRetryMs, startMcpHttpServer, type McpHttpServer } from '../../src/start-mcp-http-server.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

const clientToken = 'jsonrpc-client-token';
let harness: KubeHarness;
let server: McpHttpServer;

beforeAll(async () => {
  harness = await startKubeHarness({ workloads: false });
  server = await startMcpHttpServer({ deps: harness.deps, clientToken });
});
afterAll(async () => {
  await server?.close();
  await harness?.close();
});

const baseHeaders = { Authorization: `Bearer ${clientToken}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

function post(body: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(server.url, { method: 'POST', headers: { ...baseHeaders, ...headers }, body, signal });
}

interface SseEvent {
  id?: string;
  retry?: number;
  data: string;
}

/** Reads SSE events from a response until `done` says so (or the stream ends); the raw fields, as a client sees them. */
async function readEvents(response: Response, done: (events: SseEvent[]) => boolean = () => false): Promise<SseEvent[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: SseEvent[] = [];
  let buffer = '';
  for (;;) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event: SseEvent = { data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        const [field, ...rest] = line.split(':');
        const text = rest.join(':').replace(/^ /, '');
        if (field === 'id') event.id = text;
        else if (field === 'retry') event.retry = Number(text);
        else if (field === 'data') data.push(text);
      }
      event.data = data.join('\n');
      events.push(event);
    }
    if (done(events)) {
      await reader.cancel();
      break;
    }
  }
  return events;
}

const messagesOf = (events: SseEvent[]) => events.filter((event) => event.data !== '').map((event) => JSON.parse(event.data) as { id?: number; result?: Record<string, unknown>; error?: unknown });

/** initialize + notifications/initialized; returns the headers later requests of the session carry */
async function openSession(protocolVersion: string): Promise<Record<string, string>> {
  const response = await post(JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw-http', version: '1.0.0' } } }));
  expect(response.status).toBe(200);
  const sessionId = response.headers.get('mcp-session-id')!;
  const [initialized] = messagesOf(await readEvents(response, (events) => messagesOf(events).length > 0));
  expect(initialized.result?.protocolVersion).toBe(protocolVersion);
  // 2025-03-26 clients send no MCP-Protocol-Version header (it came with 2025-06-18)
  const headers: Record<string, string> = { 'mcp-session-id': sessionId, ...(protocolVersion >= '2025-06-18' ? { 'mcp-protocol-version': protocolVersion } : {}) };
  expect((await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), headers)).status).toBe(202);
  return headers;
}

describe('malformed JSON-RPC gets an answer', () => {
  it('answers text that is not JSON with -32700, without and within a session', async () => {
    const session = await openSession('2025-11-25');
    for (const headers of [{}, session]) {
      const response = await post('{"jsonrpc": "2.0", "id": 1, "method": "ping"', headers);
      expect(response.status).toBe(400);
      const body = await response.json();
      expect(body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
      expect(body.error.message).toMatch(/^Parse error/);
    }
  });

  it('answers JSON that is no JSON-RPC message with -32600, with the request id when it has one', async () => {
    const session = await openSession('2025-11-25');
    const cases: Array<[string, string | number | null]> = [
      ['{}', null],
      ['"ping"', null],
      ['{"jsonrpc":"2.0","id":7,"method":42}', 7],
      ['{"jsonrpc":"1.0","id":"a","method":"ping"}', 'a'],
      ['[]', null],
      ['[{"jsonrpc":"2.0","id":1,"method":"ping"}, 5]', null],
    ];
    for (const headers of [{}, session]) {
      for (const [text, id] of cases) {
        const response = await post(text, headers);
        expect(response.status, text).toBe(400);
        expect(await response.json(), text).toMatchObject({ jsonrpc: '2.0', id, error: { code: -32600, message: expect.stringMatching(/^Invalid Request/) } });
      }
    }
  });
});

describe('batches on protocol 2025-03-26', () => {
  it('answers every request of a batch on a session that negotiated 2025-03-26', async () => {
    const session = await openSession('2025-03-26');
    const response = await post(JSON.stringify([
      { jsonrpc: '2.0', id: 11, method: 'tools/list' },
      { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
      { jsonrpc: '2.0', id: 12, method: 'ping' },
      { jsonrpc: '2.0', id: 13, method: 'no/such/method' },
    ]), session);
    expect(response.status).toBe(200);
    const events = await readEvents(response);
    const answers = new Map(messagesOf(events).map((message) => [message.id, message]));
    expect([...answers.keys()].sort()).toEqual([11, 12, 13]);
    expect((answers.get(11)?.result?.tools as Array<{ name: string }>).map((tool) => tool.name)).toContain('k8s_get');
    expect(answers.get(12)?.result).toEqual({});
    expect(answers.get(13)?.error).toMatchObject({ code: -32601 });
    // a 2025-03-26 client knows nothing of empty-data priming events, so it gets none
    expect(events.every((event) => event.data !== '')).toBe(true);
  });

  it('answers a batch sent without a session as one JSON array', async () => {
    const response = await post(JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'ping' }, { jsonrpc: '2.0', id: 2, method: 'ping' }]), { 'mcp-protocol-version': '2025-03-26' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([{ jsonrpc: '2.0', id: 1, result: {} }, { jsonrpc: '2.0', id: 2, result: {} }]);
  });
});

describe('resumable POST streams (2025-11-25)', () => {
  it('opens every POST SSE stream with a priming event: an id, a retry field and empty data', async () => {
    const session = await openSession('2025-11-25');
    const response = await post(JSON.stringify({ jsonrpc: '2.0', id: 21, method: 'tools/list' }), session);
    const events = await readEvents(response);
    expect(events[0]).toEqual({ id: expect.stringMatching(/\S/), retry: sseRetryMs, data: '' });
    expect(messagesOf(events)).toEqual([expect.objectContaining({ id: 21, result: expect.objectContaining({ tools: expect.any(Array) }) })]);
  });

  it('gives a client whose connection dropped mid-call the result when it reconnects with Last-Event-ID', async () => {
    const session = await openSession('2025-11-25');
    const dropped = new AbortController();
    const call = await post(JSON.stringify({ jsonrpc: '2.0', id: 31, method: 'tools/call', params: { name: 'wait_for_x_seconds', arguments: { seconds: 1 } } }), session, dropped.signal);
    // the connection drops right after the priming event, long before the one-second wait ends
    const [priming] = await readEvents(call, (events) => events.length > 0);
    dropped.abort();
    expect(priming.id).toBeTruthy();

    // Until the server has seen the drop, the stream is still its caller's (409), and a client tries again after
    // `retry` ms; this retries at once, until the resume is accepted.
    const resumed = await vi.waitFor(async () => {
      const response = await fetch(server.url, { headers: { ...baseHeaders, ...session, 'last-event-id': priming.id! } });
      expect(response.status).toBe(200);
      return response;
    }, { timeout: 5000, interval: 20 });
    const events = await readEvents(resumed, (seen) => messagesOf(seen).some((message) => message.id === 31));
    const result = messagesOf(events).find((message) => message.id === 31)!;
    expect(result.result?.isError).toBeUndefined();
    expect(JSON.stringify(result.result?.content)).toMatch(/1 second/);
  });

  it('answers a session\'s requests as the version it negotiated, whatever older version the header names', async () => {
    const session = await openSession('2025-11-25');
    const primed = await readEvents(await post(JSON.stringify({ jsonrpc: '2.0', id: 41, method: 'ping' }), { ...session, 'mcp-protocol-version': '2025-03-26' }));
    expect(primed[0]).toEqual({ id: expect.stringMatching(/\S/), retry: sseRetryMs, data: '' });
    // and a session of 2025-03-26 gets no priming event even when a request claims 2025-11-25
    const old = await openSession('2025-03-26');
    const plain = await readEvents(await post(JSON.stringify({ jsonrpc: '2.0', id: 42, method: 'ping' }), { ...old, 'mcp-protocol-version': '2025-11-25' }));
    expect(plain.every((event) => event.data !== '')).toBe(true);
    expect(messagesOf(plain)).toEqual([{ jsonrpc: '2.0', id: 42, result: {} }]);
  });

  it('refuses a request naming a protocol version nobody supports (400)', async () => {
    const session = await openSession('2025-11-25');
    const response = await post(JSON.stringify({ jsonrpc: '2.0', id: 43, method: 'ping' }), { ...session, 'mcp-protocol-version': '1999-01-01' });
    expect(response.status).toBe(400);
  });

  it('refuses to resume from an event id it never issued', async () => {
    const session = await openSession('2025-11-25');
    const response = await fetch(server.url, { headers: { ...baseHeaders, ...session, 'last-event-id': 'made-up-event' } });
    expect(response.status).toBe(400);
  });
});
