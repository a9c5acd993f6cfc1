/**
 * An SSE client on its own thread, for benchmarks that time an engine running in the bench's process: it POSTs, reads
 * the stream to its end and answers, per event name, the milliseconds from just before the POST to the first frame
 * of that name. Why a thread: a client on the engine's own event loop reads a frame only when the engine's work after
 * it (the tool call, the next model request) yields, so it times the engine's later work too; a real client is
 * another process. Plain JavaScript, so the worker needs no TypeScript loader.
 *
 * Protocol: the parent posts { id, url, headers, body }; the worker answers { id, status, seen } or { id, error }.
 */
import { parentPort } from 'node:worker_threads';

parentPort.on('message', async ({ id, url, headers, body }) => {
  try {
    const started = performance.now();
    const response = await fetch(url, { method: 'POST', headers, body });
    const seen = {};
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of response.body) {
      const at = performance.now() - started;
      buffered += decoder.decode(chunk, { stream: true });
      let end;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const frame = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        if (event !== undefined && seen[event] === undefined) seen[event] = at;
      }
    }
    parentPort.postMessage({ id, status: response.status, seen });
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
