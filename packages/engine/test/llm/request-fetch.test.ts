/**
 * The model's HTTP (llm/request-fetch.ts) keeps fetch's contract: every case runs through Node's own fetch and through
 * the request fetch against the same server on 127.0.0.1, and a provider must not be able to tell them apart — what
 * the server receives, the Response, the errors (the AI SDK decides retries from them) and when the connection closes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestFetch } from '../../src/adapters/llm/request-fetch.ts';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
const received: Received[] = [];
/** Resolved when the server saw the client close a connection it had not finished answering (by `x-case`). */
const closedEarly = new Map<string, () => void>();
/** What a streaming route does once the test has read the first event (no timing: the test says when). */
let afterFirstEvent: (() => void) | undefined;
/** Resolved when a request reached the server (a call stopped before that would never reach it). */
const arrived = new Map<string, () => void>();
let baseUrl: string;
let server: ReturnType<typeof createServer>;

const routes: Record<string, (request: IncomingMessage, response: ServerResponse) => void> = {
  '/echo': (_request, response) => {
    response.setHeader('set-cookie', ['a=1', 'b=2']);
    response.writeHead(201, { 'content-type': 'application/json', 'x-request-id': 'r-1' });
    response.end(JSON.stringify({ ok: true }));
  },
  '/stream': (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write('data: one\n\n');
    afterFirstEvent = () => response.end('data: two\n\n');
  },
  '/gzip': (_request, response) => {
    response.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
    response.end(gzipSync(JSON.stringify({ compressed: true })));
  },
  '/no-content': (_request, response) => {
    response.writeHead(204);
    response.end();
  },
  '/moved': (_request, response) => {
    response.writeHead(307, { location: '/echo' });
    response.end();
  },
  '/broken': (request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write('data: partial\n\n');
    afterFirstEvent = () => request.socket.destroy();
  },
  '/silent': (request, response) => {
    // headers, one event, then nothing: the caller stops reading or aborts
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write('data: first\n\n');
  },
  '/hang': (request, response) => {
    arrived.get(String(request.headers['x-case']))?.();
    // never answered: the response closes only when the connection does
  },
  '/error': (_request, response) => {
    response.writeHead(429, { 'retry-after': '3', 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { message: 'slow down' } }));
  },
};

beforeAll(async () => {
  server = createServer((request, response) => {
    // from the request's arrival, not its end: a call may give up while its body is still on the way
    response.on('close', () => {
      if (!response.writableFinished) closedEarly.get(String(request.headers['x-case']))?.();
    });
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ method: request.method!, url: request.url!, headers: request.headers, body: Buffer.concat(chunks).toString() });
      routes[request.url!]!(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const noFallback = () => Promise.reject(new Error('the request fetch handed this call to its fallback'));
const requestFetch = createRequestFetch({ fallback: noFallback });
// as the providers get it (LLM_TIMEOUT_MS): the watch must not change anything a provider sees while the model talks
const watchedRequestFetch = createRequestFetch({ idleTimeoutMs: 60_000, fallback: noFallback });
const every = [
  ['Node fetch', globalThis.fetch],
  ['request fetch', requestFetch],
  ['request fetch in its idle watch', watchedRequestFetch],
] as const;

/** What a provider can observe of a Response. */
async function observed(response: Response) {
  return {
    status: response.status,
    statusText: response.statusText,
    ok: response.ok,
    contentType: response.headers.get('content-type'),
    requestId: response.headers.get('x-request-id'),
    cookies: response.headers.getSetCookie(),
    body: response.body ? await response.text() : null,
  };
}

/** The error a call or a read ends with, as the AI SDK looks at it (name, message, the cause's code). */
function described(error: unknown) {
  const failure = error as Error & { cause?: Error & { code?: string } };
  return { name: failure.name, message: failure.message, causeCode: failure.cause?.code };
}

describe('the request fetch answers as fetch does', () => {
  it('sends the method, headers and body, and returns status, status text, headers (several set-cookie) and body', async () => {
    const results = [];
    for (const [, fetchFunction] of every) {
      received.length = 0;
      const response = await fetchFunction(`${baseUrl}/echo`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k' }, body: '{"model":"m"}' });
      results.push({ response: await observed(response), sent: { method: received[0]!.method, body: received[0]!.body, type: received[0]!.headers['content-type'], auth: received[0]!.headers['authorization'], accept: received[0]!.headers['accept'] } });
    }
    expect(results[0]).toEqual({
      response: { status: 201, statusText: 'Created', ok: true, contentType: 'application/json', requestId: 'r-1', cookies: ['a=1', 'b=2'], body: '{"ok":true}' },
      sent: { method: 'POST', body: '{"model":"m"}', type: 'application/json', auth: 'Bearer k', accept: '*/*' },
    });
    for (const other of results.slice(1)) expect(other).toEqual(results[0]);
  });

  it('takes the URL as a URL object and headers as a Headers object', async () => {
    received.length = 0;
    const response = await requestFetch(new URL(`${baseUrl}/echo`), { method: 'post', headers: new Headers({ 'X-Trace': 't-1' }), body: new TextEncoder().encode('bytes') });
    expect(await response.json()).toEqual({ ok: true });
    expect(received[0]).toMatchObject({ method: 'POST', body: 'bytes', headers: { 'x-trace': 't-1' } });
  });

  it('returns an error status as a Response, with its headers and body, not as a thrown error', async () => {
    const results = [];
    for (const [, fetchFunction] of every) {
      const response = await fetchFunction(`${baseUrl}/error`, { method: 'POST', body: '{}' });
      results.push({ ...(await observed(response)), retryAfter: response.headers.get('retry-after') });
    }
    expect(results[0]).toMatchObject({ status: 429, statusText: 'Too Many Requests', ok: false, retryAfter: '3', body: '{"error":{"message":"slow down"}}' });
    for (const other of results.slice(1)) expect(other).toEqual(results[0]);
  });

  it('hands over a streamed answer as it arrives: the first event before the server sends the second', async () => {
    for (const [name, fetchFunction] of every) {
      const response = await fetchFunction(`${baseUrl}/stream`, { method: 'POST', body: '{}' });
      const reader = response.body!.getReader();
      const first = await reader.read();
      expect(new TextDecoder().decode(first.value), name).toBe('data: one\n\n');
      afterFirstEvent!();
      let rest = '';
      for (let part = await reader.read(); !part.done; part = await reader.read()) rest += new TextDecoder().decode(part.value);
      expect(rest, name).toBe('data: two\n\n');
    }
  });

  it('decodes a gzip answer, gives a 204 a null body and follows a 307 with the body', async () => {
    const results = [];
    for (const [, fetchFunction] of every) {
      received.length = 0;
      const gzip = await observed(await fetchFunction(`${baseUrl}/gzip`));
      const noContent = await observed(await fetchFunction(`${baseUrl}/no-content`, { method: 'POST', body: '{}' }));
      const moved = await observed(await fetchFunction(`${baseUrl}/moved`, { method: 'POST', body: 'again' }));
      results.push({ gzip: gzip.body, noContent: [noContent.status, noContent.body], moved: [moved.status, moved.body], followed: received.map((each) => `${each.method} ${each.url} ${each.body}`) });
    }
    expect(results[0]).toEqual({ gzip: '{"compressed":true}', noContent: [204, null], moved: [201, '{"ok":true}'], followed: ['GET /gzip ', 'POST /no-content {}', 'POST /moved again', 'POST /echo again'] });
    for (const other of results.slice(1)) expect(other).toEqual(results[0]);
  });
});

describe('the request fetch fails as fetch does', () => {
  it('cannot reach the model: TypeError "fetch failed" with the socket error as its cause', async () => {
    // a port that was just listening and is closed now: nothing answers there
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
    await new Promise((resolve) => closed.close(resolve));
    const errors = [];
    for (const [, fetchFunction] of every) errors.push(described(await fetchFunction(url, { method: 'POST', body: '{}' }).catch((error: unknown) => error)));
    expect(errors[0]).toEqual({ name: 'TypeError', message: 'fetch failed', causeCode: 'ECONNREFUSED' });
    for (const other of errors.slice(1)) expect(other).toEqual(errors[0]);
  });

  it('the answer breaks off: the read fails with TypeError "terminated" after the part that arrived', async () => {
    const outcomes = [];
    for (const [, fetchFunction] of every) {
      const reader = (await fetchFunction(`${baseUrl}/broken`, { method: 'POST', body: '{}' })).body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      afterFirstEvent!();
      const failure = await reader.read().then(
        () => 'no error',
        (error: unknown) => described(error),
      );
      outcomes.push({ first, failure: typeof failure === 'string' ? failure : { name: failure.name, message: failure.message } });
    }
    expect(outcomes[0]).toEqual({ first: 'data: partial\n\n', failure: { name: 'TypeError', message: 'terminated' } });
    for (const other of outcomes.slice(1)) expect(other).toEqual(outcomes[0]);
  });

  it('stopped before the answer: rejects with the signal\'s own reason and closes the connection', async () => {
    for (const [name, fetchFunction] of every) {
      const stop = new AbortController();
      const closed = new Promise<void>((resolve) => closedEarly.set(`hang-${name}`, resolve));
      const reached = new Promise<void>((resolve) => arrived.set(`hang-${name}`, resolve));
      const call = fetchFunction(`${baseUrl}/hang`, { method: 'POST', body: '{}', headers: { 'x-case': `hang-${name}` }, signal: stop.signal });
      await reached;
      const reason = new DOMException('The model sent nothing for 50 ms (LLM_TIMEOUT_MS).', 'TimeoutError');
      stop.abort(reason);
      await expect(call, name).rejects.toBe(reason);
      await closed;
    }
  });

  it('stopped mid-answer: the next read rejects with the signal\'s reason; a cancelled body closes the connection', async () => {
    for (const [name, fetchFunction] of every) {
      const stop = new AbortController();
      const response = await fetchFunction(`${baseUrl}/silent`, { method: 'POST', body: '{}', signal: stop.signal });
      const reader = response.body!.getReader();
      expect(new TextDecoder().decode((await reader.read()).value), name).toBe('data: first\n\n');
      const reason = new DOMException('stopped', 'AbortError');
      stop.abort(reason);
      await expect(reader.read(), name).rejects.toBe(reason);

      const cancelled = new Promise<void>((resolve) => closedEarly.set(`cancel-${name}`, resolve));
      const unread = await fetchFunction(`${baseUrl}/silent`, { method: 'POST', body: '{}', headers: { 'x-case': `cancel-${name}` } });
      await unread.body!.cancel();
      // the server sees the connection close: a model nobody reads stops generating
      await cancelled;
    }
  });

  it('hands what it does not take on as fetch does (a Request object, a streamed body, redirect: manual) to its fallback', async () => {
    const handed: string[] = [];
    const withFallback = createRequestFetch({
      fallback: async (input, init) => {
        handed.push(input instanceof Request ? `Request ${input.url}` : `${String(input)} ${init?.redirect ?? (init?.body instanceof ReadableStream ? 'stream' : '')}`);
        return new Response('from the fallback');
      },
    });
    await withFallback(new Request(`${baseUrl}/echo`));
    await withFallback(`${baseUrl}/echo`, { method: 'POST', body: new ReadableStream(), duplex: 'half' } as RequestInit);
    await withFallback(`${baseUrl}/moved`, { redirect: 'manual' });
    expect(handed).toEqual([`Request ${baseUrl}/echo`, `${baseUrl}/echo stream`, `${baseUrl}/moved manual`]);
  });
});

describe('the idle watch (LLM_TIMEOUT_MS) in the request fetch and around its fallback', () => {
  // the same watch on both paths: the request fetch's own calls, and a Request object it hands to Node's fetch.
  // 1 s: far longer than a request takes to reach a server on 127.0.0.1 even on a busy machine
  const watched = createRequestFetch({ idleTimeoutMs: 1000 });
  const paths = [
    ['request fetch', (route: string, name: string) => watched(`${baseUrl}${route}`, { method: 'POST', body: '{}', headers: { 'x-case': name } })],
    ['fallback', (route: string, name: string) => watched(new Request(`${baseUrl}${route}`, { method: 'POST', body: '{}', headers: { 'x-case': name } }))],
  ] as const;
  const timedOut = { name: 'TimeoutError', message: 'The model sent nothing for 1000 ms (LLM_TIMEOUT_MS).' };

  it('a model that never answers: the call fails with the timeout and the connection closes', async () => {
    for (const [path, call] of paths) {
      const closed = new Promise<void>((resolve) => closedEarly.set(`idle-hang-${path}`, resolve));
      const failure = await call('/hang', `idle-hang-${path}`).catch((error: unknown) => error);
      expect({ name: (failure as Error).name, message: (failure as Error).message }, path).toEqual(timedOut);
      await closed;
    }
  });

  it('a model that goes quiet mid-answer: it fails with the timeout, never with a part missing, and the connection closes', async () => {
    for (const [path, call] of paths) {
      const closed = new Promise<void>((resolve) => closedEarly.set(`idle-silent-${path}`, resolve));
      let text = '';
      const failure = await (async () => {
        const reader = (await call('/silent', `idle-silent-${path}`)).body!.getReader();
        for (let part = await reader.read(); !part.done; part = await reader.read()) text += new TextDecoder().decode(part.value);
      })().then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      expect({ name: failure?.name, message: failure?.message }, path).toEqual(timedOut);
      // the first event before the timeout, unless a busy machine held the reader past it: then nothing, never a piece
      expect('data: first\n\n'.startsWith(text), path).toBe(true);
      await closed;
    }
  });
});
