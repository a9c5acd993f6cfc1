/**
 * Streams one run's bus events as SSE: `ready` first, then `id/event/data` frames until `completed`, with a
 * heartbeat after a quiet period. Closing the connection only unsubscribes; the run and its persistence go on.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StartedRun } from '../../../agent/create-agent-service.ts';
import type { EventBus } from '../../../ports/index.ts';

export function sseFrame(event: string, data: unknown, id?: number): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Events after which the stream closes (the run is over, or waits for a human). */
const closingEvents = new Set(['completed', 'error']);

export async function streamRun(input: { request: FastifyRequest; reply: FastifyReply; bus: EventBus; run: StartedRun; heartbeatMs: number }): Promise<void> {
  const { request, reply, bus, run } = input;
  const response = reply.raw;
  reply.hijack();
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'access-control-allow-origin': request.headers.origin ?? '*',
    vary: 'Origin',
  });

  let open = true;
  let heartbeat: NodeJS.Timeout | undefined;
  let unsubscribe: (() => Promise<void>) | undefined;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const close = () => {
    if (!open) return;
    open = false;
    clearTimeout(heartbeat);
    void unsubscribe?.().catch(() => {});
    if (!response.writableEnded) response.end();
    finish();
  };
  const armHeartbeat = () => {
    clearTimeout(heartbeat);
    heartbeat = setTimeout(() => {
      if (!open) return;
      response.write(sseFrame('heartbeat', { timestamp: Date.now() }));
      armHeartbeat();
    }, input.heartbeatMs);
    heartbeat.unref?.();
  };
  response.on('close', close);

  // Frames published in the same tick go out in one write (one syscall) instead of one per token.
  let corked = false;
  const write = (chunk: string) => {
    if (!corked) {
      corked = true;
      response.cork();
      process.nextTick(() => {
        corked = false;
        response.uncork();
      });
    }
    response.write(chunk);
  };

  unsubscribe = await bus.subscribe(run.runId, (message) => {
    if (!open) return;
    write(sseFrame(message.event, message.data, message.index));
    armHeartbeat();
    if (closingEvents.has(message.event)) close();
  });
  if (!open) await unsubscribe().catch(() => {});
  response.write(sseFrame('ready', { type: 'ready', run_id: run.runId, conversation_id: run.conversationId }));
  armHeartbeat();
  void run.start();
  await finished;
}
