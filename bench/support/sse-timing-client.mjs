/**
 * An SSE client on its own thread, for benchmarks that time an engine running in the bench's process: it POSTs, reads
 * the stream to its end and answers, per event name, the milliseconds from just before the POST to the first frame
 * of that name. Why a thread: a client on the engine's own event loop reads a frame only when the engine's work after
 * it (the tool call, the next model request) yields, so it times the engine's later work too; a real client is
 * another process.
 *
 * Two clients (workerData.client): 'http' (default), node:http with a keep-alive agent, reading the body's chunks as
 * they arrive; 'fetch', undici's fetch (Node's global), whose web-stream body adds a few milliseconds per response
 * that are the client's, not the engine's (measured: in-memory p50 ~16 ms with fetch, ~11.5 ms with node:http). A real
 * client is a browser; the lean one measures the engine. Plain JavaScript, so the worker needs no TypeScript loader.
 *
 * Protocol: the parent posts { id, url, headers, body }; the worker answers { id, status, seen } or { id, error }.
 */
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** Records the first time each event name is seen in a chunk of the stream. */
function frameReader(started) {
  const seen = {};
  const decoder = new TextDecoder();
  let buffered = '';
  return {
    seen,
    push(chunk) {
      const at = performance.now() - started;
      buffered += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      let end;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const frame = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        if (event !== undefined && seen[event] === undefined) seen[event] = at;
      }
    },
  };
}

async function withFetch(url, headers, body) {
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', headers, body });
  const reader = frameReader(started);
  for await (const chunk of response.body) reader.push(chunk);
  return { status: response.status, seen: reader.seen };
}

function withHttp(url, headers, body) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (response) => {
      const reader = frameReader(started);
      response.setEncoding('utf8');
      response.on('data', (chunk) => reader.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode, seen: reader.seen }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

const post = workerData?.client === 'fetch' ? withFetch : withHttp;

parentPort.on('message', async ({ id, url, headers, body }) => {
  try {
    const { status, seen } = await post(url, headers, body);
    parentPort.postMessage({ id, status, seen });
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
