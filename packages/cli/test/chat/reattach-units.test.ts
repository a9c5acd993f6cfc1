/**
 * A turn whose stream breaks before its run completed, in the terminal client's parts with a scripted client: it
 * re-attaches with the last event id it saw (nothing missed, nothing twice), says so, and when the engine no longer
 * knows the run it ends saying what to run once the engine is back. The same over a real dropped connection:
 * chat-one-shot.test.ts.
 */
import type { AgentEvent } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../../src/chat/api-client.ts';
import { ChatError } from '../../src/chat/chat-error.ts';
import { runTurn } from '../../src/chat/run-turn.ts';

const conversation = '33333333-3333-4333-8333-333333333333';
const ready = { type: 'ready', run_id: 'run-1', conversation_id: conversation } as AgentEvent;
const token = (text: string) => ({ type: 'token', text }) as AgentEvent;
const completed = { type: 'completed', status: 'completed', duration: 0, duration_ms: 1 } as AgentEvent;

/** numbered events (their SSE ids), then a broken connection unless `end` */
async function* stream(list: Array<[number, AgentEvent]>, end: 'break' | 'close' | 'complete') {
  for (const [id, event] of list) yield { event, id };
  if (end === 'break') throw new ChatError('STREAM_FAILED', 'The connection to the engine broke mid-stream: terminated');
}

describe('a stream that breaks mid-run', () => {
  it('re-attaches from the last event it saw, says so, and shows every event once', async () => {
    const reattached: Array<{ runId: string; lastEventId: number }> = [];
    const client = {
      chat: async () => stream([[1, ready], [2, token('line 0 ')], [3, token('line 1 ')]], 'break'),
      runEvents: async ({ runId, lastEventId }: { runId: string; lastEventId: number }) => {
        reattached.push({ runId, lastEventId });
        // the first re-attach's stream closes early too; the second one reaches the end
        return reattached.length === 1 ? stream([[4, token('line 2 ')]], 'close') : stream([[5, token('line 3')], [6, completed]], 'complete');
      },
      stop: async () => ({}),
    } as unknown as ApiClient;
    const seen: string[] = [];
    const notices: string[] = [];
    const outcome = await runTurn({
      client,
      message: 'stream some lines',
      onEvent: (event) => seen.push(event.type === 'token' ? event.text : event.type),
      onNotice: (text) => notices.push(text),
      sleep: async () => undefined,
      decide: async () => ({ approve: false }),
    }).done;
    expect(outcome).toMatchObject({ status: 'completed', conversationId: conversation });
    expect(reattached).toEqual([{ runId: 'run-1', lastEventId: 3 }, { runId: 'run-1', lastEventId: 4 }]);
    expect(seen).toEqual(['ready', 'line 0 ', 'line 1 ', 'line 2 ', 'line 3', 'completed']);
    expect(notices[0]).toBe('lost the stream (The connection to the engine broke mid-stream: terminated); re-attaching to the run…');
    expect(notices).toHaveLength(2);
  });

  it('gives up when the engine no longer knows the run, and says how to see where it stands', async () => {
    const client = {
      chat: async () => stream([[1, ready], [2, token('line 0')]], 'break'),
      runEvents: async () => {
        throw new ChatError('HTTP_ERROR', 'GET /api/v1/agent/runs/run-1/events failed with 404: unknown run', 404);
      },
      stop: async () => ({}),
    } as unknown as ApiClient;
    const turn = runTurn({ client, message: 'stream', onEvent: () => undefined, sleep: async () => undefined, decide: async () => ({ approve: false }) });
    await expect(turn.done).rejects.toThrow(
      `The connection to the engine broke mid-stream: terminated, and the engine no longer knows run run-1. What already ran stays done; once the engine answers again, skyflo chat --resume ${conversation} shows where the conversation stands.`,
    );
  });

  it("does not re-attach to a stream the engine itself ended with an error event", async () => {
    let reattached = 0;
    const client = {
      chat: async () => stream([[1, ready], [2, { type: 'error', error: 'the event stream failed' } as AgentEvent]], 'close'),
      runEvents: async () => {
        reattached += 1;
        return stream([], 'close');
      },
      stop: async () => ({}),
    } as unknown as ApiClient;
    const turn = runTurn({ client, message: 'stream', onEvent: () => undefined, sleep: async () => undefined, decide: async () => ({ approve: false }) });
    await expect(turn.done).rejects.toThrow(/^The engine closed the stream before the run completed; the run may still be going\. What already ran stays done/);
    expect(reattached).toBe(0);
  });

  it('gives up after five failed re-attaches in a row (the engine is down), with the same way back', async () => {
    let attempts = 0;
    const client = {
      baseUrl: 'http://127.0.0.1:9',
      chat: async () => stream([[1, ready]], 'break'),
      runEvents: async () => {
        attempts += 1;
        throw new ChatError('ENGINE_UNREACHABLE', 'Cannot reach the Skyflo engine at http://127.0.0.1:9 (connection refused).');
      },
      stop: async () => ({}),
    } as unknown as ApiClient;
    const turn = runTurn({ client, message: 'stream', onEvent: () => undefined, sleep: async () => undefined, decide: async () => ({ approve: false }) });
    await expect(turn.done).rejects.toThrow(
      `Lost the stream of this run and could not re-attach to it (5 attempts; http://127.0.0.1:9 does not answer). What already ran stays done; once the engine answers again, skyflo chat --resume ${conversation} shows where the conversation stands.`,
    );
    expect(attempts).toBe(5);
  });
});
