/**
 * P4: a frame leaves as soon as it is published, not once the engine's work after it yields. The engine publishes
 * `tool.executing` and goes straight on (the tool call, the next model request); with storage and tools answering
 * in-process that work is a chain of promise continuations, and a frame whose flush waited for process.nextTick sat
 * in the corked socket until the whole chain was done. Here the work after the frame is exactly such a chain: it
 * keeps the microtask queue busy until a client on another thread says it has received the frame (shared memory).
 * Before the fix the client never received it while the chain ran, so the chain ended at its bound, not by the signal.
 */
import Fastify from 'fastify';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryEventBus } from '../../src/adapters/bus/memory-event-bus.ts';
import { streamRun } from '../../src/http/routes/agent/stream-run.ts';

const runId = 'run-1';
const conversationId = 'conversation-1';
/** set to 1 by the client thread when it has read the frame */
const received = new Int32Array(new SharedArrayBuffer(4));
const bus = createMemoryEventBus();
const app = Fastify();
let chainEndedBy: 'the client' | 'its bound' | undefined;

/** Microtask continuations only (no I/O, no timer) until the client has the frame, or a generous bound. */
async function workAfterTheFrame(): Promise<void> {
  const bound = Date.now() + 30_000;
  while (Date.now() < bound) {
    for (let step = 0; step < 1000; step += 1) await Promise.resolve();
    if (Atomics.load(received, 0) === 1) {
      chainEndedBy = 'the client';
      return;
    }
  }
  chainEndedBy = 'its bound';
}

app.post('/stream', async (request, reply) => {
  await streamRun({
    request,
    reply,
    bus,
    runId,
    conversationId,
    heartbeatMs: 60_000,
    start: async () => {
      await bus.publish(runId, 'tool.executing', { type: 'tool.executing', conversation_id: conversationId, call_id: 'call-1' });
      await workAfterTheFrame();
      await bus.publish(runId, 'completed', { type: 'completed', conversation_id: conversationId, status: 'completed' });
    },
  });
});

let url: string;
beforeAll(async () => {
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app.close();
  await bus.close();
});

const clientSource = `
const { workerData } = require('node:worker_threads');
const http = require('node:http');
const flag = new Int32Array(workerData.flag);
const request = http.request(workerData.url + '/stream', { method: 'POST' }, (response) => {
  let text = '';
  response.setEncoding('utf8');
  response.on('data', (chunk) => {
    text += chunk;
    if (text.includes('event: tool.executing')) { Atomics.store(flag, 0, 1); }
  });
  response.on('end', () => process.exit(0));
});
request.end();
`;

describe('SSE frames', () => {
  it('a published frame reaches the client while the engine is still busy with the work after it', async () => {
    const client = new Worker(clientSource, { eval: true, workerData: { url, flag: received.buffer } });
    const exited = new Promise<number>((resolve) => client.once('exit', resolve));
    expect(await exited).toBe(0);
    expect(chainEndedBy).toBe('the client');
  }, 60_000);
});
